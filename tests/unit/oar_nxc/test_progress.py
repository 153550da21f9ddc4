"""Progress from ansible-runner events, on a terminal and in plain mode."""

from __future__ import annotations

import io
import re

from oar_nxc.progress import Progress

EVENTS = [
    {"event": "playbook_on_play_start", "event_data": {"name": "Build the composition"}},
    {"event": "playbook_on_task_start", "event_data": {"task": "Run nxc build"}},
    {"event": "runner_on_ok", "event_data": {"host": "oarnode1"}},
    {"event": "runner_on_failed", "event_data": {"host": "oarnode2", "ignore_errors": True}},
    {"event": "runner_on_failed", "event_data": {"host": "oarnode3"}},
    {"event": "runner_on_unreachable", "event_data": {"host": "frontend"}},
    {"event": "verbose", "stdout": "TASK [x] ***", "event_data": {}},
]


def test_plain_lines_per_play_and_task() -> None:
    out = io.StringIO()
    progress = Progress(out, ["Preflight", "Build the composition"], tty=False)
    for event in EVENTS:
        assert progress(event) is True
    progress.finish()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"\[\s*\d+\.\ds\] 1/2 Build the composition:  \| hosts ok 0, failed 0, unreachable 0 \| "
                        r"\d+\.\ds", lines[0])
    assert re.fullmatch(r"\[\s*\d+\.\ds\] 1/2 Build the composition: Run nxc build \| hosts ok 0, failed 0, "
                        r"unreachable 0 \| \d+\.\ds", lines[1])
    assert (progress.ok, progress.failed, progress.unreachable) == ({"oarnode1"}, {"oarnode3"}, {"frontend"})


def test_terminal_bar_is_redrawn_in_place() -> None:
    out = io.StringIO()
    progress = Progress(out, ["A", "B"], tty=True)
    for event in EVENTS:
        progress(event)
    progress.finish()
    text = out.getvalue()
    assert "\n" not in text.rstrip("\n")
    frames = [f.rstrip() for f in text.split("\r") if f]
    assert len(frames) == 6
    assert frames[-1].startswith("[#") and "] 1/2 Build the composition: Run nxc build | hosts ok 1, failed 1, " \
        "unreachable 1 |" in frames[-1]


def test_verbose_passes_ansible_output_through() -> None:
    out = io.StringIO()
    progress = Progress(out, ["A"], tty=False, verbose=True)
    for event in EVENTS:
        progress(event)
    assert out.getvalue() == "TASK [x] ***\n"


def test_the_bar_is_full_when_the_playbook_ends() -> None:
    out = io.StringIO()
    progress = Progress(out, ["A", "B"], tty=True)
    for event in [*EVENTS[:2], {"event": "playbook_on_stats", "event_data": {}}]:
        progress(event)
    frames = [f.rstrip() for f in out.getvalue().split("\r") if f]
    assert frames[-2].startswith("[#" + "-" * 23 + "] 1/2 Build the composition: Run nxc build")
    assert frames[-1].startswith("[" + "#" * 24 + "] 1/2 Build the composition: Run nxc build")
