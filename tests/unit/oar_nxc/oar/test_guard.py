"""oar_nxc.oar.guard with real processes: the release runs once the watched process has exited, unless the
run released or kept the job itself. OAR's commands are small programs on PATH (``oardel`` appends to a log,
``oarstat`` prints the state a file holds): the guard runs them as it runs OAR's, through the argv it builds
from the record's job id and frontend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oar_nxc.errors import SourceError
from oar_nxc.oar import guard as jobguard


@pytest.fixture
def oar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with fake oardel and oarstat first on PATH; its 'state' file is the job's state for oarstat,
    its 'oardel.log' what oardel was asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "oardel").write_text(f'#!/bin/sh\necho "oardel $*" >> "{tmp_path}/oardel.log"\n')
    (bin_dir / "oarstat").write_text(f'#!/bin/sh\nprintf \'{{"7": "%s"}}\\n\' "$(cat "{tmp_path}/state")"\n')
    for name in ("oardel", "oarstat"):
        (bin_dir / name).chmod(0o755)
    (tmp_path / "state").write_text("Error")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path


def released(oar: Path) -> str:
    log = oar / "oardel.log"
    return log.read_text() if log.exists() else ""


def test_the_guard_releases_after_the_watched_process_exits(oar: Path) -> None:
    watched = subprocess.Popen(["sleep", "1"])
    record = oar / "job.json"
    began = time.monotonic()
    pid = jobguard.spawn(record, watch_pid=watched.pid, job_id=7, description={"name": "oar-nxc"})
    data = json.loads(record.read_text())
    assert (data["guard"], data["frontend"], data["user"]) == (jobguard.ARMED, None, "")
    assert "release_argv" not in data and "state_argv" not in data  # a record names no program
    time.sleep(0.3)
    assert released(oar) == ""  # the watched process still runs
    watched.wait()
    done = jobguard.wait(record, timeout=30)
    assert released(oar) == "oardel 7\n"
    assert (done["guard"], done["final_state"], done["release_rc"], done["job_id"], done["guard_pid"]) == (
        jobguard.DONE, "Error", 0, 7, pid)
    assert time.monotonic() - began < 10
    assert "releasing OAR job 7" in (oar / "job-guard.log").read_text()


def test_a_released_or_kept_job_is_left_alone(oar: Path) -> None:
    for outcome in (jobguard.RELEASED, jobguard.KEPT):
        watched = subprocess.Popen(["sleep", "0.5"])
        record = oar / f"{outcome}.json"
        jobguard.spawn(record, watch_pid=watched.pid, job_id=7, description={})
        jobguard.disarm(record, outcome, final_state="Error")
        watched.wait()
        done = jobguard.wait(record, timeout=30)
        assert done["guard"] == outcome
    assert released(oar) == ""


def test_a_reused_pid_is_not_the_watched_process(oar: Path) -> None:
    record = oar / "job.json"
    me = subprocess.Popen(["sleep", "30"])
    try:
        # another process had this pid when the guard was armed: it started at another time
        jobguard.spawn(record, watch_pid=me.pid, job_id=7, description={}, watch_started="1")
        done = jobguard.wait(record, timeout=30)
        assert done["guard"] == jobguard.DONE and released(oar) == "oardel 7\n"
    finally:
        me.kill()
        me.wait()


def test_the_guard_stops_watching_once_oar_has_ended_the_job(oar: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that outlives its job (the walltime ended it) holds no guard for ever: the guard asks OAR."""
    me = subprocess.Popen(["sleep", "60"])
    record = oar / "job.json"
    try:
        jobguard.write(record, {"job_id": 7, "guard": "armed", "watch_pid": me.pid,
                                "watch_started": jobguard.start_time(me.pid), "frontend": None, "user": ""})
        (oar / "state").write_text("Terminated")
        monkeypatch.setattr(jobguard, "STATE_EVERY", 0.2)
        began = time.monotonic()
        assert jobguard.guard(record) == 0
        assert time.monotonic() - began < 5
    finally:
        me.kill()
        me.wait()
    data = json.loads(record.read_text())
    assert (data["guard"], data["final_state"]) == (jobguard.ENDED, "Terminated")
    assert released(oar) == ""


def test_start_time_of_no_process() -> None:
    assert jobguard.start_time(2**22 + 12345) is None
    assert jobguard.alive(2**22 + 12345, None) is False


def armed(record: Path, *, watch_pid: int, **more: object) -> None:
    jobguard.write(record, {"job_id": 7, "name": "oar-nxc-ci-1-2", "guard": jobguard.ARMED, "watch_pid": watch_pid,
                            "watch_started": jobguard.start_time(watch_pid) or "1", "frontend": None, "user": "",
                            **more})


def test_release_now_releases_a_job_whose_run_still_runs(oar: Path) -> None:
    # after_script while the killed run's ansible-playbook lingers: nobody else will release the job soon
    record = oar / "job.json"
    watched = subprocess.Popen(["sleep", "30"])
    try:
        armed(record, watch_pid=watched.pid)
        began = time.monotonic()
        ended, said = jobguard.release_now(record, settle=20)
        assert time.monotonic() - began < 5  # it does not wait for the settle time
    finally:
        watched.kill()
        watched.wait()
    assert (ended, said) == (True, "OAR job 7: released by oar-nxc release (oardel rc 0), Error")
    assert released(oar) == "oardel 7\n"
    data = json.loads(record.read_text())
    assert (data["guard"], data["final_state"], data["release_rc"]) == (jobguard.BY_COMMAND, "Error", 0)


def test_release_now_releases_a_job_whose_guard_is_gone(oar: Path) -> None:
    record = oar / "job.json"
    gone = subprocess.Popen(["true"])
    gone.wait()
    armed(record, watch_pid=gone.pid, guard_pid=gone.pid)  # the run and its guard were killed
    assert jobguard.release_now(record, settle=20)[0] is True
    assert released(oar) == "oardel 7\n"


def test_release_now_waits_for_a_guard_at_work_instead_of_releasing_twice(oar: Path) -> None:
    record = oar / "job.json"
    watched = subprocess.Popen(["sleep", "0.5"])
    jobguard.spawn(record, watch_pid=watched.pid, job_id=7, description={"name": "oar-nxc-ci-1-2"})
    watched.wait()
    ended, said = jobguard.release_now(record, settle=20)
    assert (ended, said) == (True, "OAR job 7: released by the guard, Error")
    assert released(oar) == "oardel 7\n"  # once, by the guard


def test_release_now_checks_a_released_job_with_oar_and_releases_it_again_if_it_runs(oar: Path) -> None:
    record = oar / "job.json"
    armed(record, watch_pid=os.getpid())
    jobguard.update(record, guard=jobguard.RELEASED)
    assert jobguard.release_now(record) == (True, "OAR job 7: released, Error")
    assert released(oar) == ""
    (oar / "state").write_text("Running")  # OAR says it still runs
    ended, said = jobguard.release_now(record, timeout=2)
    assert released(oar) == "oardel 7\n"
    assert (ended, said.split(":")[0]) == (False, "OAR job 7")
    assert "still not ended" in said


def test_release_now_leaves_a_kept_or_given_job(oar: Path) -> None:
    record = oar / "job.json"
    jobguard.write(record, {"job_id": 7, "name": "oar-nxc", "guard": jobguard.KEPT})  # as oar_job writes it
    assert jobguard.release_now(record) == (True, "OAR job 7 was kept by the run (--keep-job): not released")
    jobguard.write(record, {"job_id": 7, "name": "oar-nxc", "guard": "given", "given": True})
    assert jobguard.release_now(record) == (True, "OAR job 7 was given to the run, not reserved by it: not released")
    assert released(oar) == ""


@pytest.mark.parametrize(("text", "error"), [
    ("[]", "is an array where a JSON object is expected"),
    ("{}", "key 'job_id': a NoneType ('None') is not an OAR job id (an integer)"),
    ('{"job_id": "7", "guard": "armed"}', "key 'job_id': a str ('7') is not an OAR job id (an integer)"),
    ('{"job_id": true, "guard": "armed"}', "key 'job_id': a bool ('True') is not an OAR job id (an integer)"),
    ('{"job_id": -5, "guard": "armed"}', "key 'job_id': '-5' is not an OAR job id (1 to 2147483647)"),
    ('{"job_id": 7, "guard": "armed", "watch_pid": 1}',
     "key 'watch_pid': '1' is not the pid of a run's process (an integer, 2 to 4194304)"),
    ('{"job_id": 7, "guard": "armed", "watch_pid": true}',
     "key 'watch_pid': 'True' is not the pid of a run's process (an integer, 2 to 4194304)"),
    ('{"job_id": 7, "guard": "armed", "user": "-s/bin/sh"}',
     "key 'user': '-s/bin/sh' is not a user name (it starts with '-': su would read it as an option): a letter or _ "
     "first, then letters, digits, _ . -, at most 32 characters"),
    ('{"job_id": 7, "guard": "armed", "frontend": {"host": "-oProxyCommand=x"}}',
     "key 'frontend.host': '-oProxyCommand=x' is not a host name or an IP address"),
    ('{"job_id": 7, "guard": "pwned"}', "key 'guard': 'pwned' is not one of armed, released, kept, given, "
                                        "released by the guard, ended, released by oar-nxc release"),
    ("not json", ":1: invalid JSON: Expecting value (column 1)"),
])
def test_a_record_that_is_not_one_is_refused_naming_the_key(oar: Path, text: str, error: str) -> None:
    record = oar / "job.json"
    record.write_text(text)
    with pytest.raises(SourceError) as err:
        jobguard.release_now(record)
    assert str(err.value) == f"{record}{'' if error.startswith(':') else ': '}{error}"
    assert released(oar) == ""


def test_the_guard_program_refuses_bad_arguments_and_records_without_a_traceback(oar: Path) -> None:
    def guard(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "oar_nxc.oar.guard", *args], capture_output=True, text=True,
                              timeout=30, check=False)

    for args in ((), ("a", "b"), ("--help",)):
        done = guard(*args)
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr.startswith("usage: python -m oar_nxc.oar.guard RECORD"), done.stderr
    record = oar / "job.json"
    record.write_text('{"job_id": 7, "guard": "armed", "watch_pid": "abc"}')
    done = guard(str(record))
    assert (done.returncode, done.stderr) == (2, f"oar_nxc.oar.guard: {record}: key 'watch_pid': 'abc' is not the "
                                                 "pid of a run's process (an integer, 2 to 4194304)\n")
    assert "Traceback" not in done.stderr and released(oar) == ""
