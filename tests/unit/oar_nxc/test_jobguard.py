"""oar_nxc.jobguard with real processes: the release runs once the watched process has exited, unless the
run released or kept the job itself."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from oar_nxc import jobguard

STATE = [sys.executable, "-c", "print('{\"7\": \"Error\"}')"]


def test_the_guard_releases_after_the_watched_process_exits(tmp_path: Path) -> None:
    watched = subprocess.Popen(["sleep", "1"])
    marker = tmp_path / "released"
    record = tmp_path / "job.json"
    began = time.monotonic()
    pid = jobguard.spawn(record, watch_pid=watched.pid, release=["sh", "-c", f'echo oardel 7 > "{marker}"'],
                         state=STATE, job_id=7, description={"name": "oar-nxc"})
    assert json.loads(record.read_text())["guard"] == jobguard.ARMED
    time.sleep(0.3)
    assert not marker.exists()  # the watched process still runs
    watched.wait()
    done = jobguard.wait(record, timeout=30)
    assert marker.read_text() == "oardel 7\n"
    assert (done["guard"], done["final_state"], done["release_rc"], done["job_id"], done["guard_pid"]) == (
        jobguard.DONE, "Error", 0, 7, pid)
    assert time.monotonic() - began < 10
    assert "releasing OAR job 7" in (tmp_path / "job-guard.log").read_text()


def test_a_released_or_kept_job_is_left_alone(tmp_path: Path) -> None:
    for outcome in (jobguard.RELEASED, jobguard.KEPT):
        watched = subprocess.Popen(["sleep", "0.5"])
        marker = tmp_path / f"released-{outcome}"
        record = tmp_path / f"{outcome}.json"
        jobguard.spawn(record, watch_pid=watched.pid, release=["touch", str(marker)], state=STATE, job_id=7,
                       description={})
        jobguard.disarm(record, outcome, final_state="Error")
        watched.wait()
        done = jobguard.wait(record, timeout=30)
        assert done["guard"] == outcome and not marker.exists()


def test_a_reused_pid_is_not_the_watched_process(tmp_path: Path) -> None:
    record = tmp_path / "job.json"
    marker = tmp_path / "released"
    me = subprocess.Popen(["sleep", "30"])
    try:
        # another process had this pid when the guard was armed: it started at another time
        jobguard.spawn(record, watch_pid=me.pid, release=["touch", str(marker)], state=STATE, job_id=7,
                       description={}, watch_started="1")
        done = jobguard.wait(record, timeout=30)
        assert done["guard"] == jobguard.DONE and marker.exists()
    finally:
        me.kill()
        me.wait()


def test_start_time_of_no_process() -> None:
    assert jobguard.start_time(2**22 + 12345) is None
    assert jobguard.alive(2**22 + 12345, None) is False
