"""The smoke reports, from the oar.nxc.oar_smoke action's report: ``report.json``, ``junit.xml``
(one testcase per check) and ``report.html``, a self-contained page (inline CSS and SVG, nothing
fetched) that shows at a glance what happened and when:

* a timeline, in the manner of OAR's drawgantt: one bar per phase of the run (the playbook's
  plays, when the run's events are known: ``oar-nxc`` passes them), one per smoke check, and one
  per OAR job the checks submitted (from OAR's own start and stop times when it gave them);
* the checks, their status, time and message (a failed one shown as failed, with its message);
* the machines and their roles, and the OAR source and build that were deployed.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Mapping, Sequence
from html import escape as _html_escape
from pathlib import Path
from typing import Any

FILES = ("report.json", "junit.xml", "report.html")
WIDTH = 900  # px of the timeline's time axis
ROW = 22
MAX_ROWS = 500  # bars drawn; a report with more says how many were left out
LABEL = 230  # px for the row labels
COLOURS = {"phase": "#6b7fa8", "passed": "#3f8f4f", "failed": "#c0392b", "skipped": "#9a9a9a", "job": "#e0a030"}

# the page runs no script and fetches nothing: a value that slipped through as markup could not run either
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
# what XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF): shown as U+FFFD
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(value: Any) -> str:
    """Any value as text for HTML and XML: characters XML cannot hold replaced, markup escaped."""
    return _html_escape(_NOT_XML.sub("\ufffd", str(value)), quote=True)


def number(value: Any, default: float = 0.0) -> float:
    """A finite number from a report field, else DEFAULT (a field given as text, null, NaN)."""
    if isinstance(value, bool):
        return default
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return out if math.isfinite(out) else default


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> list[Mapping[str, Any]]:
    """The mappings of a list field (anything else in it, or a field that is no list, left out)."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _count(value: Any) -> int:
    return int(number(value))


CSS = """
body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1d232b;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.summary span{display:inline-block;margin-right:12px;padding:2px 8px;border-radius:3px;color:#fff}
.s-passed{background:#3f8f4f}.s-failed{background:#c0392b}.s-skipped{background:#9a9a9a}
table{border-collapse:collapse;background:#fff;min-width:600px}
td,th{border:1px solid #d5d9e0;padding:4px 8px;text-align:left;vertical-align:top}th{background:#eef1f5}
tr.failed td.status{color:#c0392b;font-weight:bold}tr.passed td.status{color:#3f8f4f}
tr.skipped td.status{color:#777}td.message{max-width:640px;word-break:break-word}
svg{background:#fff;border:1px solid #d5d9e0}svg text{font-size:12px;fill:#1d232b}
svg .axis{stroke:#d5d9e0}.muted{color:#666}code{font-size:12px}
"""


def junit(report: Mapping[str, Any]) -> str:
    """JUnit XML: one testcase per check (failure, skipped, or its message as system-out)."""
    checks = _items(report.get("checks"))
    summary = _mapping(report.get("summary"))
    total = round(sum(number(c.get("seconds")) for c in checks), 1)
    failed, skipped = _count(summary.get("failed")), _count(summary.get("skipped"))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites name="oar_smoke" tests="{len(checks)}" failures="{failed}" skipped="{skipped}">',
             f'  <testsuite name="oar_smoke" hostname="{escape(report.get("submit_host", ""))}" '
             f'tests="{len(checks)}" failures="{failed}" errors="0" skipped="{skipped}" time="{total}">']
    for check in checks:
        message = escape(check.get("message", ""))
        lines.append(f'    <testcase classname="oar_smoke" name="{escape(check.get("name", ""))}" '
                     f'time="{number(check.get("seconds")):g}">')
        if check.get("status") == "failed":
            lines.append(f'      <failure message="{message}">{message}</failure>')
        elif check.get("status") == "skipped":
            lines.append(f'      <skipped message="{message}"/>')
        else:
            lines.append(f"      <system-out>{message}</system-out>")
        lines.append("    </testcase>")
    lines += ["  </testsuite>", "</testsuites>", ""]
    return "\n".join(lines)


def _bars(report: Mapping[str, Any], phases: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, float, float, str]]:
    """(kind, label, start, end, title) rows: phases, then each check, each OAR job under its check."""
    rows: list[tuple[str, str, float, float, str]] = []
    for phase in (p for p in phases if isinstance(p, Mapping)):
        start = number(phase.get("started"))
        if start:
            seconds = max(number(phase.get("seconds")), 0.0)
            rows.append(("phase", str(phase.get("name", "")), start, start + seconds,
                         f"{phase.get('name')}: {seconds:.1f} s"))
    for check in _items(report.get("checks")):
        start, end = number(check.get("started")), number(check.get("ended"))
        if not start:
            continue
        status = str(check.get("status", ""))
        rows.append((status, str(check.get("name", "")), start, max(end, start),
                     f"{check.get('name')}: {status}, {check.get('seconds')} s: {check.get('message', '')}"))
        if check.get("job") is not None:
            job_start = number(check.get("job_started"), start) or start
            job_end = number(check.get("job_stopped"), end) or end or job_start
            where = _hosts_text(check.get("job_hosts"))
            rows.append(("job", f"  OAR job {check['job']}" + (f" on {where}" if where else ""), job_start,
                         max(job_end, job_start), f"OAR job {check['job']} ({check.get('name')})"
                         + (f" on {where}" if where else "") + f": {job_end - job_start:.0f} s"))
    return rows


def _hosts_text(value: Any) -> str:
    return ", ".join(str(h) for h in value) if isinstance(value, list) else ""


# the time axis' tick steps (s); a span beyond them (a clock a day off) gets ticks of a twelfth of it
STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200)


def _step(span: float) -> float:
    return next((s for s in STEPS if span / s <= 12), span / 12)


def timeline(report: Mapping[str, Any], phases: Sequence[Mapping[str, Any]] = ()) -> str:
    """An inline SVG Gantt chart of the rows of :func:`_bars`, on one time axis."""
    rows = _bars(report, phases)
    if not rows:
        return '<p class="muted">No timing was recorded.</p>'
    hidden = max(len(rows) - MAX_ROWS, 0)
    rows = rows[:MAX_ROWS]
    t0 = min(r[2] for r in rows)
    span = max(max(r[3] for r in rows) - t0, 1.0)
    scale = WIDTH / span
    height = ROW * (len(rows) + (1 if hidden else 0)) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL + WIDTH + 20}" height="{height}" '
             f'role="img" aria-label="timeline of the run">']
    step = _step(span)
    for index in range(int(span / step) + 1):
        tick = index * step
        x = LABEL + tick * scale
        parts.append(f'<line class="axis" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}"/>'
                     f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">{tick:.0f} s</text>')
    for index, (kind, label, start, end, title) in enumerate(rows):
        y = index * ROW + 4
        x, w = LABEL + (start - t0) * scale, max((end - start) * scale, 2.0)
        css = "phase" if kind == "phase" else "job" if kind == "job" else f"check {escape(kind)}"
        parts.append(f'<text x="4" y="{y + 13}">{escape(label[:34])}</text>'
                     f'<rect class="bar {css}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW - 8}" rx="2" '
                     f'fill="{COLOURS.get(kind, COLOURS["phase"])}"><title>{escape(title)}</title></rect>')
    if hidden:
        parts.append(f'<text x="4" y="{len(rows) * ROW + 17}">{hidden} more rows not drawn</text>')
    parts.append("</svg>")
    return "".join(parts)


def _stamp(epoch: Any) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(epoch)))
    except (TypeError, ValueError, OverflowError, OSError):  # OSError: a time beyond what localtime takes
        return "?"


def html(report: Mapping[str, Any], phases: Sequence[Mapping[str, Any]] = (), title: str = "OAR smoke report") -> str:
    """The self-contained page: every value escaped, no script, a Content-Security-Policy that allows none."""
    report = _mapping(report)
    phases = [p for p in phases if isinstance(p, Mapping)]
    checks = _items(report.get("checks"))
    summary = _mapping(report.get("summary"))
    head = (f"<h1>{escape(title)}</h1><p class=\"muted\">{_stamp(report.get('started'))} to "
            f"{_stamp(report.get('ended'))}, as {escape(report.get('user', '?'))} from "
            f"{escape(report.get('submit_host', '?'))}"
            + (f", OAR {escape(report['oar_version'])} (oarsub -V)" if report.get("oar_version") else "")
            + "</p><p class=\"summary\">"
            + "".join(f'<span class="s-{k}">{_count(summary.get(k))} {k}</span>'
                      for k in ("passed", "failed", "skipped"))
            + "</p>")
    if phases:
        total = sum(number(p.get("seconds")) for p in phases)
        slowest = max(phases, key=lambda p: number(p.get("seconds")))
        head += (f"<p>The run took {total:.1f} s; the longest phase was <b>{escape(slowest.get('name'))}</b> "
                 f"({number(slowest.get('seconds')):.1f} s).</p>")
    rows = []
    for check in checks:
        status = str(check.get("status", ""))
        job = check.get("job")
        where = _hosts_text(check.get("job_hosts"))
        rows.append(f'<tr class="check {escape(status)}" data-check="{escape(check.get("name"))}">'
                    f'<td>{escape(check.get("name", ""))}</td><td class="status">{escape(status)}</td>'
                    f'<td>{number(check.get("seconds")):g} s</td>'
                    f'<td>{"" if job is None else escape(job) + (f" on {escape(where)}" if where else "")}</td>'
                    f'<td class="message">{escape(check.get("message", ""))}</td></tr>')
    machines = []
    for host in _items(report.get("hosts")):
        machines.append(f"<tr><td>{escape(host.get('name', ''))}</td><td>{escape(host.get('role', ''))}"
                        f"</td><td>{escape(host.get('machine', ''))}</td><td>{escape(host.get('ip', ''))}"
                        f"</td><td>{escape(host.get('address', ''))}</td></tr>")
    if not machines:
        nodes, addresses = report.get("nodes"), report.get("addresses")
        for node, address in zip(nodes if isinstance(nodes, list) else [],
                                 addresses if isinstance(addresses, list) else [], strict=False):
            machines.append(f"<tr><td>{escape(node)}</td><td>node</td><td></td><td></td>"
                            f"<td>{escape(address)}</td></tr>")
    build = _mapping(report.get("build"))
    sources = _mapping(build.get("sources"))
    build_rows: list[tuple[str, Any]] = [("variant", build.get("variant") or "(none: the composition's own OAR)"),
                                         ("fingerprint", build.get("fingerprint") or "?")]
    build_rows += [(f"source of {name}", path) for name, path in sorted(sources.items(), key=lambda kv: str(kv[0]))]
    if report.get("build") is not None and not isinstance(report.get("build"), Mapping):
        build_rows.append(("build record", "garbled (not an object): not shown"))
    body = (head
            + "<h2>Timeline</h2>" + timeline(report, phases)
            + '<h2>Checks</h2><table id="checks"><tr><th>check</th><th>status</th><th>time</th><th>OAR job</th>'
            + "<th>message</th></tr>" + "".join(rows) + "</table>"
            + '<h2>Machines and roles</h2><table id="machines"><tr><th>host</th><th>role</th><th>reserved machine'
            + "</th><th>address</th><th>OAR network_address</th></tr>" + "".join(machines) + "</table>"
            + '<h2>What was deployed</h2><table id="build">'
            + "".join(f"<tr><th>{escape(k)}</th><td><code>{escape(v)}</code></td></tr>" for k, v in build_rows)
            + "</table>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
            f"<body>{body}</body></html>\n")


def _plain(value: Any) -> Any:
    """VALUE as strict JSON can hold it: non-finite numbers as null, keys as text, anything else as its text."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _json_text(report: Any) -> str:
    return json.dumps(_plain(report), indent=4, sort_keys=True, allow_nan=False) + "\n"


def write(report: Mapping[str, Any], directory: str | os.PathLike[str],
          phases: Sequence[Mapping[str, Any]] = ()) -> dict[str, str]:
    """Write report.json, junit.xml and report.html into DIRECTORY (made if missing); their paths."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    texts = dict(zip(FILES, (_json_text(report), junit(report), html(report, phases)), strict=True))
    paths = {}
    for name, text in texts.items():
        path = target / name
        path.write_text(text, encoding="utf-8", errors="replace")
        path.chmod(0o644)
        paths[name] = str(path)
    return paths
