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
import os
import time
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

FILES = ("report.json", "junit.xml", "report.html")
WIDTH = 900  # px of the timeline's time axis
ROW = 22
LABEL = 230  # px for the row labels
COLOURS = {"phase": "#6b7fa8", "passed": "#3f8f4f", "failed": "#c0392b", "skipped": "#9a9a9a", "job": "#e0a030"}

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
    checks = list(report.get("checks") or [])
    summary = report.get("summary") or {}
    total = round(sum(float(c.get("seconds") or 0) for c in checks), 1)
    failed, skipped = summary.get("failed", 0), summary.get("skipped", 0)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites name="oar_smoke" tests="{len(checks)}" failures="{failed}" skipped="{skipped}">',
             f'  <testsuite name="oar_smoke" hostname="{escape(str(report.get("submit_host", "")))}" '
             f'tests="{len(checks)}" failures="{failed}" errors="0" skipped="{skipped}" time="{total}">']
    for check in checks:
        message = escape(str(check.get("message", "")))
        lines.append(f'    <testcase classname="oar_smoke" name="{escape(str(check.get("name", "")))}" '
                     f'time="{check.get("seconds", 0)}">')
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
    for phase in phases:
        start = float(phase.get("started") or 0)
        if start:
            seconds = float(phase.get("seconds") or 0)
            rows.append(("phase", str(phase.get("name", "")), start, start + seconds,
                         f"{phase.get('name')}: {seconds:.1f} s"))
    for check in report.get("checks") or []:
        start, end = float(check.get("started") or 0), float(check.get("ended") or 0)
        if not start:
            continue
        status = str(check.get("status", ""))
        rows.append((status, str(check.get("name", "")), start, max(end, start),
                     f"{check.get('name')}: {status}, {check.get('seconds')} s: {check.get('message', '')}"))
        if check.get("job") is not None:
            job_start = float(check.get("job_started") or start)
            job_end = float(check.get("job_stopped") or end or job_start)
            where = ", ".join(check.get("job_hosts") or [])
            rows.append(("job", f"  OAR job {check['job']}" + (f" on {where}" if where else ""), job_start,
                         max(job_end, job_start), f"OAR job {check['job']} ({check.get('name')})"
                         + (f" on {where}" if where else "") + f": {job_end - job_start:.0f} s"))
    return rows


def timeline(report: Mapping[str, Any], phases: Sequence[Mapping[str, Any]] = ()) -> str:
    """An inline SVG Gantt chart of the rows of :func:`_bars`, on one time axis."""
    rows = _bars(report, phases)
    if not rows:
        return '<p class="muted">No timing was recorded.</p>'
    t0 = min(r[2] for r in rows)
    span = max(max(r[3] for r in rows) - t0, 1.0)
    scale = WIDTH / span
    height = ROW * len(rows) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL + WIDTH + 20}" height="{height}" '
             f'role="img" aria-label="timeline of the run">']
    step = next(s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200) if span / s <= 12)
    tick = 0.0
    while tick <= span:
        x = LABEL + tick * scale
        parts.append(f'<line class="axis" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}"/>'
                     f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">{tick:.0f} s</text>')
        tick += step
    for index, (kind, label, start, end, title) in enumerate(rows):
        y = index * ROW + 4
        x, w = LABEL + (start - t0) * scale, max((end - start) * scale, 2.0)
        css = "phase" if kind == "phase" else "job" if kind == "job" else f"check {kind}"
        parts.append(f'<text x="4" y="{y + 13}">{escape(label[:34])}</text>'
                     f'<rect class="bar {css}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW - 8}" rx="2" '
                     f'fill="{COLOURS.get(kind, COLOURS["phase"])}"><title>{escape(title)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def _stamp(epoch: Any) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(epoch)))
    except (TypeError, ValueError, OverflowError):
        return "?"


def html(report: Mapping[str, Any], phases: Sequence[Mapping[str, Any]] = (), title: str = "OAR smoke report") -> str:
    """The self-contained page."""
    checks = list(report.get("checks") or [])
    summary = report.get("summary") or {}
    head = (f"<h1>{escape(title)}</h1><p class=\"muted\">{_stamp(report.get('started'))} to "
            f"{_stamp(report.get('ended'))}, as {escape(str(report.get('user', '?')))} from "
            f"{escape(str(report.get('submit_host', '?')))}"
            + (f", OAR {escape(str(report['oar_version']))} (oarsub -V)" if report.get("oar_version") else "")
            + "</p><p class=\"summary\">"
            + "".join(f'<span class="s-{k}">{summary.get(k, 0)} {k}</span>' for k in ("passed", "failed", "skipped"))
            + "</p>")
    if phases:
        total = sum(float(p.get("seconds") or 0) for p in phases)
        slowest = max(phases, key=lambda p: float(p.get("seconds") or 0))
        head += (f"<p>The run took {total:.1f} s; the longest phase was <b>{escape(str(slowest.get('name')))}</b> "
                 f"({float(slowest.get('seconds') or 0):.1f} s).</p>")
    rows = []
    for check in checks:
        status = str(check.get("status", ""))
        job = check.get("job")
        where = ", ".join(check.get("job_hosts") or [])
        rows.append(f'<tr class="check {escape(status)}" data-check="{escape(str(check.get("name")))}">'
                    f'<td>{escape(str(check.get("name", "")))}</td><td class="status">{escape(status)}</td>'
                    f'<td>{check.get("seconds", "")} s</td>'
                    f'<td>{"" if job is None else f"{job}" + (f" on {escape(where)}" if where else "")}</td>'
                    f'<td class="message">{escape(str(check.get("message", "")))}</td></tr>')
    machines = []
    for host in report.get("hosts") or []:
        machines.append(f"<tr><td>{escape(str(host.get('name', '')))}</td><td>{escape(str(host.get('role', '')))}"
                        f"</td><td>{escape(str(host.get('machine', '')))}</td><td>{escape(str(host.get('ip', '')))}"
                        f"</td><td>{escape(str(host.get('address', '')))}</td></tr>")
    if not machines:
        for node, address in zip(report.get("nodes") or [], report.get("addresses") or [], strict=False):
            machines.append(f"<tr><td>{escape(str(node))}</td><td>node</td><td></td><td></td>"
                            f"<td>{escape(str(address))}</td></tr>")
    build = report.get("build") or {}
    sources = build.get("sources") or {}
    build_rows = [("variant", build.get("variant") or "(none: the composition's own OAR)"),
                  ("fingerprint", build.get("fingerprint") or "?")]
    build_rows += [(f"source of {name}", path) for name, path in sorted(sources.items())]
    body = (head
            + "<h2>Timeline</h2>" + timeline(report, phases)
            + '<h2>Checks</h2><table id="checks"><tr><th>check</th><th>status</th><th>time</th><th>OAR job</th>'
            + "<th>message</th></tr>" + "".join(rows) + "</table>"
            + '<h2>Machines and roles</h2><table id="machines"><tr><th>host</th><th>role</th><th>reserved machine'
            + "</th><th>address</th><th>OAR network_address</th></tr>" + "".join(machines) + "</table>"
            + '<h2>What was deployed</h2><table id="build">'
            + "".join(f"<tr><th>{escape(k)}</th><td><code>{escape(str(v))}</code></td></tr>" for k, v in build_rows)
            + "</table>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
            f"<body>{body}</body></html>\n")


def write(report: Mapping[str, Any], directory: str | os.PathLike[str],
          phases: Sequence[Mapping[str, Any]] = ()) -> dict[str, str]:
    """Write report.json, junit.xml and report.html into DIRECTORY (made if missing); their paths."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    texts = dict(zip(FILES, (json.dumps(report, indent=4, sort_keys=True) + "\n", junit(report),
                             html(report, phases)), strict=True))
    paths = {}
    for name, text in texts.items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o644)
        paths[name] = str(path)
    return paths
