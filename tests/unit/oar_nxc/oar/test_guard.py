"""oar_nxc.oar.guard with real processes: the release runs once the watched process has exited, unless the
run released or kept the job itself."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from oar_nxc.oar import guard as jobguard

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


RUNNING = [sys.executable, "-c", "print('{\"7\": \"Running\"}')"]


def armed(record: Path, marker: Path, *, watch_pid: int, state: list[str] | None = None, **more: object) -> None:
    jobguard.write(record, {"job_id": 7, "name": "oar-nxc-ci-1-2", "guard": jobguard.ARMED, "watch_pid": watch_pid,
                            "watch_started": jobguard.start_time(watch_pid),
                            "release_argv": ["sh", "-c", f'echo oardel 7 >> "{marker}"'],
                            "state_argv": STATE if state is None else state,
                            **more})


def test_release_now_releases_a_job_whose_run_still_runs(tmp_path: Path) -> None:
    # after_script while the killed run's ansible-playbook lingers: nobody else will release the job soon
    record, marker = tmp_path / "job.json", tmp_path / "released"
    watched = subprocess.Popen(["sleep", "30"])
    try:
        armed(record, marker, watch_pid=watched.pid)
        began = time.monotonic()
        ended, said = jobguard.release_now(record, settle=20)
        assert time.monotonic() - began < 5  # it does not wait for the settle time
    finally:
        watched.kill()
        watched.wait()
    assert (ended, said) == (True, "OAR job 7: released by oar-nxc release (oardel rc 0), Error")
    assert marker.read_text() == "oardel 7\n"
    data = json.loads(record.read_text())
    assert (data["guard"], data["final_state"], data["release_rc"]) == (jobguard.BY_COMMAND, "Error", 0)


def test_release_now_releases_a_job_whose_guard_is_gone(tmp_path: Path) -> None:
    record, marker = tmp_path / "job.json", tmp_path / "released"
    gone = subprocess.Popen(["true"])
    gone.wait()
    armed(record, marker, watch_pid=gone.pid, guard_pid=gone.pid)  # the run and its guard were killed
    assert jobguard.release_now(record, settle=20)[0] is True
    assert marker.read_text() == "oardel 7\n"


def test_release_now_waits_for_a_guard_at_work_instead_of_releasing_twice(tmp_path: Path) -> None:
    record, marker = tmp_path / "job.json", tmp_path / "released"
    watched = subprocess.Popen(["sleep", "0.5"])
    jobguard.spawn(record, watch_pid=watched.pid, release=["sh", "-c", f'echo oardel 7 >> "{marker}"'], state=STATE,
                   job_id=7, description={"name": "oar-nxc-ci-1-2"})
    watched.wait()
    ended, said = jobguard.release_now(record, settle=20)
    assert (ended, said) == (True, "OAR job 7: released by the guard, Error")
    assert marker.read_text() == "oardel 7\n"  # once, by the guard


def test_release_now_checks_a_released_job_with_oar_and_releases_it_again_if_it_runs(tmp_path: Path) -> None:
    record, marker = tmp_path / "job.json", tmp_path / "released"
    armed(record, marker, watch_pid=1, state=STATE)
    jobguard.update(record, guard=jobguard.RELEASED)
    assert jobguard.release_now(record) == (True, "OAR job 7: released, Error")
    assert not marker.exists()
    jobguard.update(record, guard=jobguard.RELEASED, state_argv=RUNNING)  # OAR says it still runs
    ended, said = jobguard.release_now(record, timeout=2)
    assert marker.read_text() == "oardel 7\n"
    assert (ended, said.split(":")[0]) == (False, "OAR job 7")
    assert "still not ended" in said


def test_release_now_leaves_a_kept_or_given_job_and_names_a_record_without_a_job(tmp_path: Path) -> None:
    record, marker = tmp_path / "job.json", tmp_path / "released"
    armed(record, marker, watch_pid=1)
    jobguard.update(record, guard=jobguard.KEPT)
    assert jobguard.release_now(record) == (True, "OAR job 7 was kept by the run (--keep-job): not released")
    jobguard.update(record, guard=jobguard.ARMED, given=True)
    assert jobguard.release_now(record) == (True, "OAR job 7 was given to the run, not reserved by it: not released")
    assert not marker.exists()
    for text in ("[]", "{}", '{"job_id": "7"}', "not json"):
        record.write_text(text)
        assert jobguard.release_now(record) == (False, f"{record}: no OAR job recorded (job_id and release_argv)")
