"""tests/testbed/pidfile.sh: a testbed daemon is known by its pidfile, and a pid reused since is not its."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HELPER = Path(__file__).resolve().parents[2] / "testbed" / "pidfile.sh"


def alive(pidfile: Path) -> bool:
    done = subprocess.run(["bash", "-c", '. "$1"; alive "$2"', "alive", str(HELPER), str(pidfile)],
                          capture_output=True, text=True, check=False, timeout=30)
    assert done.stderr == ""
    return done.returncode == 0


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def test_a_running_process_started_before_its_pidfile(tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    pidfile = tmp_path / "daemon.pid"
    pidfile.write_text(f"{sleeper.pid}\n")
    assert alive(pidfile)


def test_a_pid_reused_after_the_pidfile_was_written_is_not_ours(
        tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    pidfile = tmp_path / "daemon.pid"
    pidfile.write_text(f"{sleeper.pid}\n")
    written = time.time() - 3600  # the file from before a restart; the process that has the pid now is younger
    os.utime(pidfile, (written, written))
    assert not alive(pidfile)


def test_a_process_that_ended(tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    pidfile = tmp_path / "daemon.pid"
    pidfile.write_text(f"{sleeper.pid}\n")
    sleeper.kill()
    sleeper.wait()
    assert not alive(pidfile)


@pytest.mark.parametrize("content", ["", "garbage\n", "-1\n", "12 34\n"])
def test_no_pid_in_the_file(tmp_path: Path, content: str) -> None:
    pidfile = tmp_path / "daemon.pid"
    pidfile.write_text(content)
    assert not alive(pidfile)


def test_no_file(tmp_path: Path) -> None:
    assert not alive(tmp_path / "none.pid")
