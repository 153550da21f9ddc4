"""The compositions' status table (``oar-nxc report --table DIR...``) from the runs' ``summary.json``.

Each ``oar-nxc run`` (a CI job's, or ``oar-nxc submit``'s inside its batch job) leaves a
``summary.json`` in its run directory: the composition, the flavour, when it started, the commit of
the composition's checkout, the exit code and the smoke checks. This module finds those files
under the directories it is given, keeps the last run of each composition and flavour, and writes
the README's "List of compositions" table: Directory, Description and Status from each composition's
README (its first heading, its ``Status:`` line), and the CI@Grid5000 column from the runs: passed or
failed, the checks, the date, the commit and a link to the run's ``report.html``.

Every file is read through :mod:`oar_nxc.formats.reading` (regular files, bounded, strict JSON); a summary
that cannot be read or has the wrong shape is named in a note and left out, never guessed at. Every
value written into the table is escaped for Markdown and HTML.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oar_nxc.errors import SourceError
from oar_nxc.formats import reading

SUMMARY = "summary.json"
REPORT = "report.html"
MAX_DEPTH = 4  # directories below each one given: <results>/<CI job id>/job-<OAR job id>/summary.json
MAX_SUMMARIES = 10_000
HEADER = ("| Directory | Description | Status | CI@Grid5000 |", "|---|---|---|---|")
_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}", re.ASCII)
_COMMIT_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}", re.ASCII)
NONE = "-"  # an empty cell
# the lines around the table in a README that `oar-nxc report --table ... --update README.md` rewrites
BEGIN = "<!-- oar-nxc report --table: generated from the runs' summary.json, do not edit by hand -->"
END = "<!-- end of the generated table -->"
_STATUS_RE = re.compile(r"^Status: *([^\n]{1,80}?)\.? *$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Run:
    composition: str
    flavour: str
    started: float
    commit: str
    exit_code: int
    meaning: str
    passed: int
    checks: int
    summary: Path  # the summary.json it was read from
    report: Path | None  # report.html beside it


def escape(text: str) -> str:
    """Text for a Markdown table cell: HTML escaped, no pipe, no newline, no Markdown markup."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    out = re.sub(r"([\\`*_\[\]()#!~|])", r"\\\1", out)
    return " ".join(out.split())


def _word(value: Any) -> str | None:
    return value if isinstance(value, str) and _WORD_RE.fullmatch(value) else None


MAX_TIME = 253402300799  # 9999-12-31 23:59:59 UTC: the last second a date can show


def _number(value: Any) -> float | None:
    """A time (seconds since the epoch) a date can show: from 0 to the year 9999, else None."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return float(value) if 0 <= value <= MAX_TIME else None


def parse(summary: Path) -> Run:
    """One run of ``summary`` (a SourceError naming the file and the key when it is not a run's summary)."""
    source = str(summary)
    data = reading.loads_json(reading.decode(reading.read_bytes(source, "run summary"), source), source)
    if not isinstance(data, dict):
        raise SourceError(source, f"a {type(data).__name__} is not a run's summary (a JSON object)")
    composition, flavour = _word(data.get("composition")), _word(data.get("flavour"))
    started, code = _number(data.get("started")), data.get("exit_code")
    for key, value in (("composition", composition), ("flavour", flavour), ("started", started)):
        if value is None:
            what = "a time (seconds since the epoch, up to the year 9999)" if key == "started" else "a name"
            raise SourceError(source, f"{key}: missing or not {what} (a summary of oar-nxc 1.0.0 or later?)")
    if not isinstance(code, int) or isinstance(code, bool):
        raise SourceError(source, "exit_code: missing or not an integer")
    found = data.get("checks")
    checks: list[Any] = found if isinstance(found, list) else []
    given = data.get("commit")
    commit = given if isinstance(given, str) and _COMMIT_RE.fullmatch(given) else ""
    meaning = _word(str(data.get("meaning", "")).replace(" ", "-")) or ""
    report = summary.with_name(REPORT)
    return Run(composition=str(composition), flavour=str(flavour), started=float(started or 0), commit=commit,
               exit_code=code, meaning=meaning.replace("-", " "),
               passed=len([c for c in checks if isinstance(c, dict) and c.get("status") == "passed"]),
               checks=len(checks), summary=summary, report=report if report.is_file() else None)


def find(directories: list[str]) -> list[Path]:
    """The summary.json files in or under (at most MAX_DEPTH levels) each directory; symlinks not followed."""
    found: list[Path] = []
    for top in directories:
        if not os.path.isdir(top):
            raise SourceError(top, "is not a directory of run directories")
        base = Path(top)
        for root, dirs, files in os.walk(base):
            depth = len(Path(root).relative_to(base).parts)
            if depth >= MAX_DEPTH:
                dirs[:] = []
            dirs.sort()
            if SUMMARY in files:
                found.append(Path(root) / SUMMARY)
                if len(found) > MAX_SUMMARIES:
                    raise SourceError(top, f"more than {MAX_SUMMARIES} summaries: give the directories of the "
                                           "runs to show")
    return found


def collect(directories: list[str]) -> tuple[dict[tuple[str, str], Run], list[str]]:
    """The last run of each (composition, flavour), and a note for each summary left out."""
    last: dict[tuple[str, str], Run] = {}
    notes: list[str] = []
    for path in find(directories):
        try:
            run = parse(path)
        except SourceError as exc:
            notes.append(f"left out: {exc}")
            continue
        key = (run.composition, run.flavour)
        if key not in last or run.started > last[key].started:
            last[key] = run
    return last, notes


def describe(compositions: str | None, name: str) -> tuple[str, str, str]:
    """(the link to the composition's README, its description, its status) from ``compositions/NAME/README.md``:
    the text after the first heading's colon, and its ``Status:`` line."""
    if not compositions:
        return "", "", ""
    readme = Path(compositions) / name / "README.md"
    try:
        text = reading.decode(reading.read_bytes(str(readme), "composition README"), str(readme))
    except SourceError:
        return "", "", ""
    heading = next((line[2:] for line in text.splitlines() if line.startswith("# ")), "")
    description = heading.split(": ", 1)[1] if ": " in heading else heading
    status = _STATUS_RE.search(text)
    return str(readme), description.replace("`", "").strip(), status.group(1) if status else ""


def cell(run: Run, link_base: str, cwd: Path) -> str:
    verdict = "✅ passed" if run.exit_code == 0 else f"❌ failed ({escape(run.meaning or f'exit {run.exit_code}')})"
    parts = [f"{escape(run.flavour)}: {verdict}"]
    if run.checks:
        parts.append(f"{run.passed}/{run.checks} checks")
    parts.append(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(run.started)))
    if run.commit:
        parts.append(f"commit {run.commit[:8]}")
    if run.report is not None:
        where = os.path.relpath(run.report, cwd)
        target = f"{link_base.rstrip('/')}/{where}" if link_base else where
        parts.append(f"[report]({escape_url(target)})")
    return ", ".join(parts)


def escape_url(target: str) -> str:
    """A link target that cannot end the link or carry markup: percent-encoded."""
    from urllib.parse import quote

    return quote(target, safe="/:.-_~#?=&%")


def markdown(runs: dict[tuple[str, str], Run], *, compositions: str | None = None, link_base: str = "",
             cwd: Path | None = None) -> str:
    """The table, one row per composition (its runs' flavours in one cell, one per line)."""
    cwd = cwd or Path.cwd()
    lines = list(HEADER)
    for name in sorted({composition for composition, _unused in runs}):
        readme, description, status = describe(compositions, name)
        directory = f"[{escape(name)}]({escape_url(os.path.relpath(readme, cwd))})" if readme else escape(name)
        ci = "<br>".join(cell(runs[key], link_base, cwd) for key in sorted(runs) if key[0] == name)
        lines.append(f"| {directory} | {escape(description) or NONE} | {escape(status) or NONE} | {ci} |")
    if not runs:
        lines.append(f"| {NONE} | no run found | {NONE} | {NONE} |")
    return "\n".join(lines)


def update(text: str, table: str, source: str) -> str:
    """``text`` with the table between its BEGIN and END lines replaced (a SourceError naming ``source`` when they
    are missing or out of order)."""
    lines = text.split("\n")
    try:
        begin, end = lines.index(BEGIN), lines.index(END)
    except ValueError:
        raise SourceError(source, f"has no generated table: put the lines {BEGIN!r} and {END!r} where it goes") \
            from None
    if end < begin:
        raise SourceError(source, f"line {end + 1}: the table's end comes before its beginning (line {begin + 1})")
    return "\n".join([*lines[:begin + 1], *table.split("\n"), *lines[end:]])
