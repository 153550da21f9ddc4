"""oar_nxc.oar.lifecycle on what OAR 2.5 and OAR 3 printed on the testbed (tests/fixtures/oar/jobs-*.json,
recorded by ``python -m tests.testbed.record_oar jobs``): every command the decisions make is the one
recorded, and each scenario ends as it ended against the real OAR."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from oar_nxc.oar import lifecycle as joblife
from oar_nxc.oar import request as jobrequest
from oar_nxc.oar.remote import Output

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "oar"
RECORDINGS = sorted(FIXTURES.glob("jobs-*.json"))


class Replay:
    """The recorded calls in their order. A call that is not the next recorded one but was made before (one
    more poll than the real OAR needed, the clock here being a fake one) gets that command's last answer."""

    def __init__(self, calls: list[dict[str, Any]]) -> None:
        self.calls = [(c["command"], Output(c["rc"], c["stdout"], c["stderr"])) for c in calls]
        self.cursor = 0
        self.last: dict[str, Output] = {}
        self.ran: list[str] = []

    def run(self, command: str) -> Output:
        self.ran.append(command)
        if self.cursor < len(self.calls) and self.calls[self.cursor][0] == command:
            self.last[command] = self.calls[self.cursor][1]
            self.cursor += 1
        if command not in self.last:
            raise AssertionError(f"not recorded here: {command}")
        return self.last[command]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def recording(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def frontend(calls: list[dict[str, Any]], user: str) -> tuple[joblife.Frontend, Replay]:
    replay, clock = Replay(calls), Clock()
    return joblife.Frontend(replay, user, clock=clock, sleep=clock.sleep), replay


def request(data: dict[str, Any], which: str) -> jobrequest.JobRequest:
    argv = data["requests"][which]  # oarsub --name NAME -l R,walltime=W [-t T] COMMAND
    values: dict[str, Any] = {"name": argv[argv.index("--name") + 1], "command": argv[-1]}
    resources, walltime = argv[argv.index("-l") + 1].split(",walltime=")
    values.update(resources=resources, walltime=walltime, types=[argv[i + 1] for i, a in enumerate(argv) if a == "-t"])
    return jobrequest.from_mapping(values)


def without_countdown(text: str) -> str:
    return re.sub(r" \(in \d+ s\)", "", text)


def test_both_generations_are_recorded() -> None:
    assert [p.name for p in RECORDINGS] == ["jobs-2.5.9.json", "jobs-3.json"]


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_submit_then_reuse_by_name(path: Path) -> None:
    data = recording(path)
    sub = data["scenarios"]["submit"]
    front, replay = frontend(sub["calls"], data["user"])
    known: list[tuple[int | None, list[str]]] = []  # the hook: the job id, and what ran by then
    held = joblife.present(front, request(data, "held"), data["user"], timeout=60, poll=1,
                           held_hook=lambda h: known.append((h.job_id, list(replay.ran))))
    ((hooked, ran_by_then),) = known
    assert hooked == held.job_id and "oarsub" in ran_by_then[-1]  # right after oarsub, before the wait
    assert (held.job_id, held.state, held.submitted, held.reused) == (sub["outcome"]["ok"]["job_id"], "Running", True,
                                                                      False)
    assert [c.split(" -c ")[0] for c in replay.ran if "oarsub" in c] == ["timeout 60 su - oartest"]
    again = data["scenarios"]["reuse"]
    front, replay = frontend(again["calls"], data["user"])
    held2 = joblife.present(front, request(data, "held"), data["user"], timeout=60, poll=1)
    assert (held2.job_id, held2.state, held2.reused, held2.submitted) == (held.job_id, "Running", True, False)
    assert not [c for c in replay.ran if "oarsub" in c]  # never doubled


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_a_job_that_waits_is_deleted_on_timeout_naming_oars_reason(path: Path) -> None:
    data = recording(path)
    wait = data["scenarios"]["wait_timeout"]
    front, replay = frontend(wait["calls"], data["user"])
    with pytest.raises(joblife.WaitTimeout) as error:
        joblife.present(front, request(data, "wait"), data["user"], timeout=6, poll=1)
    message = str(error.value)
    assert without_countdown(message) == without_countdown(wait["outcome"]["error"])
    job = error.value.job_id
    assert re.fullmatch(rf"OAR job {job} did not run within 6 s: Waiting, .*; job {job} deleted", message), message
    assert "OAR says: " in message or "predicted start" in message
    assert any(c.endswith(f"'cd && oardel {job}'") for c in replay.ran)
    assert error.value.ended is True  # deleted: nothing left for a guard to release
    assert error.value.reservation is True  # an infrastructure failure (oar-nxc: exit 6, the one CI retries)


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_more_machines_than_exist_is_oars_refusal(path: Path) -> None:
    data = recording(path)
    many = data["scenarios"]["too_many"]
    front, _unused = frontend(many["calls"], data["user"])
    with pytest.raises(joblife.JobError) as error:
        joblife.present(front, request(data, "many"), data["user"], timeout=6, poll=1)
    assert str(error.value) == many["outcome"]["error"]
    assert str(error.value).startswith("oarsub refused the job (rc ")
    details = error.value.details()
    assert details["cmd"].endswith("sleep infinity'\"'\"''") and details["rc"] != 0
    assert not isinstance(error.value, joblife.WaitTimeout)
    assert error.value.reservation is True


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_release_waits_for_the_end_and_a_second_release_is_no_change(path: Path) -> None:
    data = recording(path)
    for name, changed in (("release", True), ("release_again", False)):
        scenario = data["scenarios"][name]
        front, replay = frontend(scenario["calls"], data["user"])
        got = front.delete(scenario["given"]["job_id"], timeout=60, poll=1)
        assert list(got) == scenario["outcome"]["ok"]
        assert got[0] is changed and got[1] in ("Terminated", "Error")
        assert any("oardel" in c for c in replay.ran) is changed


def test_two_jobs_of_the_same_name_are_an_error_naming_both() -> None:
    listing = json.dumps({"7": {"name": "oar-nxc", "state": "Running"}, "9": {"name": "oar-nxc", "state": "Waiting"},
                          "3": {"name": "oar-nxc", "state": "Terminated"}, "8": {"name": "other", "state": "Running"}})
    calls = [{"command": "timeout 60 oarstat -u alice -J", "rc": 0, "stdout": listing, "stderr": ""}]
    front, replay = frontend(calls, "")
    with pytest.raises(joblife.JobError, match=r"^alice has 2 jobs named oar-nxc that have not ended \(7, 9\)"):
        joblife.present(front, jobrequest.from_mapping({"nodes": 1}), "alice", timeout=5, poll=1)
    assert replay.ran == ["timeout 60 oarstat -u alice -J"]


def test_check_mode_runs_only_oarstat_and_says_the_command() -> None:
    calls = [{"command": "timeout 60 oarstat -u alice -J", "rc": 0, "stdout": "{}", "stderr": ""}]
    front, replay = frontend(calls, "")
    held = joblife.present(front, jobrequest.from_mapping({"nodes": 2, "name": "n"}), "alice", timeout=5, poll=1,
                           check=True)
    assert (held.job_id, held.command) == (
        None, "timeout 60 oarsub --name n -l nodes=2,walltime=1:00:00 'sleep infinity'")
    assert replay.ran == ["timeout 60 oarstat -u alice -J"]


def test_a_given_job_needs_no_request_and_is_only_waited_for() -> None:
    running = json.dumps({"5": {"state": "Running", "exit_code": None}})
    calls = [{"command": "timeout 60 oarstat -f -J -j 5", "rc": 0, "stdout": running, "stderr": ""}]
    front, replay = frontend(calls, "")
    held = joblife.present(front, None, "alice", timeout=5, poll=1, job_id=5)
    assert (held.job_id, held.state, held.given, held.submitted, held.reused, held.command) == (
        5, "Running", True, False, False, "")
    assert set(replay.ran) == {"timeout 60 oarstat -f -J -j 5"}


def test_a_given_job_that_ended_is_refused() -> None:
    ended = json.dumps({"5": {"state": "Terminated", "exit_code": 0}})
    calls = [{"command": "timeout 60 oarstat -f -J -j 5", "rc": 0, "stdout": ended, "stderr": ""}]
    front, _unused = frontend(calls, "")
    with pytest.raises(joblife.JobError, match=r"^OAR job 5 is Terminated: give a job that has not ended") as error:
        joblife.present(front, jobrequest.from_mapping({"nodes": 2}), "alice", timeout=5, poll=1, job_id=5)
    assert error.value.reservation is False  # the user's input, not the infrastructure: never retried


@pytest.mark.parametrize("text", ["[1, 2]", '{"5": []}', '{"x": {"state": "Running"}}', "not json"])
def test_unreadable_oarstat_is_a_source_error(text: str) -> None:
    from oar_nxc.errors import SourceError

    with pytest.raises(SourceError):
        if text.startswith('{"x"'):
            joblife.parse_user_jobs(text, "oarstat -u alice -J")
        else:
            joblife.parse_status(text, 5, "oarstat -f -J -j 5")


def test_nodefile_text_is_oars() -> None:
    assert joblife.nodefile_text([("node2", 2), ("node1", 1)]) == "node1\nnode2\nnode2\n"


WALLTIME = (FIXTURES / "live" / "oarstat-f-J-walltime-2.5.9.json").read_text()  # job 7, walltime ran out


def status_calls(job_id: int, rc: int, stdout: str, stderr: str = "") -> list[dict[str, Any]]:
    return [{"command": f"timeout 60 oarstat -f -J -j {job_id}", "rc": rc, "stdout": stdout, "stderr": stderr}]


def test_a_job_whose_walltime_ran_out_is_no_longer_held_naming_its_state_and_oars_events() -> None:
    front, replay = frontend(status_calls(7, 0, WALLTIME), "")
    with pytest.raises(joblife.JobError) as error:
        joblife.still_held(front, 7)
    assert str(error.value) == (
        "OAR job 7 ended during the run: it is Error, not Running (OAR's events: FRAG_JOB_REQUEST: User root "
        "requested to frag the job 7; WALLTIME: [sarko] Job [7] from 1796393212 with 15; current time=1796393232 "
        "(Elapsed)). The run's results come from machines the job no longer held: reserve a longer job (its "
        "walltime) and run again")
    assert (error.value.reservation, error.value.ended, error.value.job_id) == (True, True, 7)
    assert replay.ran == ["timeout 60 oarstat -f -J -j 7"]  # one read, no wait


def test_a_running_job_is_still_held_and_one_that_finishes_is_not() -> None:
    running = json.dumps({"5": {"state": "Running", "exit_code": None}})
    front, _unused = frontend(status_calls(5, 0, running), "")
    status, unread = joblife.still_held(front, 5)
    assert (status is not None and status.state, unread) == ("Running", "")
    finishing = json.dumps({"5": {"state": "Finishing", "events": []}})
    front, _unused = frontend(status_calls(5, 0, finishing), "")
    with pytest.raises(joblife.JobError, match=r"^OAR job 5 ended during the run: it is Finishing, not Running\. "
                                               r"The run's results") as error:
        joblife.still_held(front, 5)
    assert (error.value.reservation, error.value.ended) == (True, False)  # not ended yet: release it still


def test_a_job_oar_forgot_is_no_longer_held() -> None:
    front, _unused = frontend(status_calls(9, 0, "{}"), "")
    with pytest.raises(joblife.JobError, match=r"^OAR job 9 is gone \(oarstat knows it no more\): the run went on "
                                               r"past the job") as error:
        joblife.still_held(front, 9)
    assert error.value.reservation is True


@pytest.mark.parametrize(("rc", "stdout", "said"), [
    (255, "", r"oarstat -f -J -j 5 failed \(rc 255\): ssh: connect to host fgrenoble port 22: Connection refused$"),
    (0, "[1, 2]", r"oarstat -f -J -j 5: must be a JSON object \(job id -> job\)$"),
])
def test_oar_that_cannot_be_read_is_not_known_and_said(rc: int, stdout: str, said: str) -> None:
    front, _unused = frontend(status_calls(5, rc, stdout, "ssh: connect to host fgrenoble port 22: Connection "
                                                          "refused" if rc else ""), "")
    status, unread = joblife.still_held(front, 5)
    assert status is None
    assert re.match(r"OAR job 5 could not be read at the end of the run, so whether it still held its machines is not "
                    r"known: " + said, unread), unread
