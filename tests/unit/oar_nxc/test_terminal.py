"""What the CLI prints is one line per value: newlines and escape sequences from input are shown escaped,
so they can neither forge a line of the plan nor drive the terminal."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from oar_nxc import api
from oar_nxc.cli import summary
from oar_nxc.progress import Progress
from oar_nxc.terminal import shown

FORGED = "x\n    deploy  SKIP  forged\x1b[2J\x1b]0;title\x07\u202e"


def test_controls_are_escaped_and_text_kept() -> None:
    assert shown(FORGED) == "x\\n    deploy  SKIP  forged\\x1b[2J\\x1b]0;title\\x07\\u202e"
    assert shown("dahu-3.grenoble.grid5000.fr: état Alive") == "dahu-3.grenoble.grid5000.fr: état Alive"
    assert shown("a\udc80b") == "a\\udc80b"


@given(st.text())
def test_any_text_is_one_printable_line(text: str) -> None:
    out = shown(text)
    assert "\n" not in out and "\x1b" not in out and "\r" not in out
    out.encode("utf-8")  # no lone surrogate left


def test_the_plan_shows_a_forged_value_on_its_own_line() -> None:
    result = api.RunResult(command="plan", exit_code=2, status="failed", rc=2, run_dir=f"/tmp/{FORGED}", elapsed=1.0,
                           hosts={}, failures=[], checks=[], deployment_file=None, machine_file=None)
    result.commands = [{"oar_nxc_step": "build", "run": True, "command": f"nxc build -s {FORGED}", "why": FORGED,
                        "inputs": ["a", FORGED]}]
    result.failures = [f"no setup variant '{FORGED}'"]
    result.hosts = {FORGED: {"ok": 1, "changed": 0, "failures": 1, "dark": 0, "skipped": 0}}
    text = summary(result)
    lines = text.splitlines()
    assert not any(line.startswith("    deploy  SKIP  forged") for line in lines)
    assert "\x1b" not in text and "\u202e" not in text
    assert "    build   RUN   nxc build -s x\\n    deploy  SKIP  forged\\x1b[2J" in text
    assert len(lines) == 9, lines  # summary, hosts (2), plan, build, why, inputs, failed, run directory


def test_progress_lines_are_escaped_too() -> None:
    import io

    out = io.StringIO()
    progress = Progress(out, ["play"], tty=False)
    progress({"event": "playbook_on_play_start", "event_data": {"name": FORGED}})
    assert out.getvalue().count("\n") == 1 and "\x1b" not in out.getvalue()
