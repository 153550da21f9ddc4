"""oar_nxc.smoke.runner on recorded real runs (the testbed's OAR 2.5.9 and OAR 3 from a checkout) and on
faults built from them. Each recording says the command that made it (tests/testbed/record_oar.py)."""

from __future__ import annotations

import json
import re
import shlex
import threading
from collections import Counter, defaultdict, deque
from pathlib import Path
from typing import Any

import pytest

from oar_nxc.errors import OarNxcError
from oar_nxc.oar import output as oarjson
from oar_nxc.smoke import model
from oar_nxc.smoke import runner as smokerun

RECORDED = Path(__file__).parents[3] / "fixtures" / "oar" / "smoke-run-2.5.9.json"
REST = Path(__file__).parents[3] / "fixtures" / "oar" / "rest-2.5.9.json"  # the testbed's oar-restful-api
WRONG_PASSWORD = json.loads(REST.read_text())["calls"][4]
RECORDED_3 = Path(__file__).parents[3] / "fixtures" / "oar" / "smoke-run-3.json"
API_3 = "http://oar-server:6668/api/"
API = "http://oar-server:6668/oarapi/"
DB_DOWN = smokerun.Output(1, "", "[oarnodes] DB connection error: could not connect to server\n")


class Replay:
    """A submit host built from a recorded run: each command line gets its recorded outputs in order;
    oarstat answers per job (each job's recorded states in order, then its last one), whatever set
    of jobs a poll asks for, so that a test can change one job's story."""

    def __init__(self, calls: list[dict[str, Any]], clock: Clock, recording: Path = RECORDED) -> None:
        self.queues: dict[str, deque[smokerun.Output]] = defaultdict(deque)
        self.states: dict[str, deque[str]] = defaultdict(deque)
        self.info: dict[str, Any] = {}
        for call in calls:
            words = shlex.split(call["command"])
            if words[2:4] == ["oarstat", "-s"]:
                for job, state in json.loads(call["stdout"]).items():
                    self.states[job].append(state)
            elif words[2:4] == ["oarstat", "-f"]:
                self.info.update(json.loads(call["stdout"]))
            else:
                self.queues[call["command"]].append(smokerun.Output(call["rc"], call["stdout"], call["stderr"]))
        self.last: dict[str, smokerun.Output] = {}
        self.seen: list[str] = []
        self.http_calls: deque[dict[str, Any]] = deque(json.loads(recording.read_text())["http"])
        self.asked: list[tuple[str, str, Any, str | None]] = []
        self.log: list[str] = []  # commands and HTTP requests, in the order they were made
        self.clock = clock

    def run(self, command: str) -> smokerun.Output:
        self.seen.append(command)
        self.log.append(command)
        self.clock.now += 0.1
        words = shlex.split(command)
        jobs = [words[i + 1] for i, w in enumerate(words) if w == "-j"]
        if words[2:4] == ["oarstat", "-s"]:
            out = {}
            for job in jobs:
                queue = self.states[job]
                out[job] = queue.popleft() if len(queue) > 1 else queue[0]
            return smokerun.Output(0, json.dumps(out), "")
        if words[2:4] == ["oarstat", "-f"]:
            return smokerun.Output(0, json.dumps({job: self.info[job] for job in jobs}), "")
        queue = self.queues.get(command)
        if queue:
            self.last[command] = queue.popleft()
        if command not in self.last:
            raise AssertionError(f"not recorded: {command}")
        return self.last[command]  # the last answer again once the recording is used up

    def http(self, method: str, url: str, *, headers: dict[str, str] | None = None, body: Any = None,
             user: str | None = None, password: str | None = None) -> tuple[int, Any, str]:
        """The recorded answer to the same request (the first not yet given: the recording's order may not be
        the runner's); a test may replace one (a stopped API, a wrong password)."""
        self.asked.append((method, url, body, user))
        self.log.append(f"{method} {url}")
        call = next((c for c in self.http_calls if (c["method"], c["url"]) == (method, url)), None)
        if call is None:
            raise AssertionError(f"not recorded: {method} {url}")
        self.http_calls.remove(call)
        assert call["authenticated"] == (user is not None or bool(headers)), url
        if call.get("error"):
            return int(call["status"]), None, str(call["error"])
        return int(call["status"]), call["json"], "" if int(call["status"]) < 400 else f"HTTP Error {call['status']}"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def recorded(recording: Path = RECORDED) -> list[dict[str, Any]]:
    return json.loads(recording.read_text())["calls"]


def options(**changes: Any) -> model.Options:
    nodes = [model.Node(name=f"node{i}", address=f"oarnode{i + 1}", machine=f"oarnode{i + 1}",
                        ip=f"10.213.0.{11 + i}", sshd="") for i in (1, 2)]
    return model.Options(**{"user": "oartest", "submit": "frontend", "nodes": nodes, "job_timeout": 120,
                            "poll_interval": 1, "api_url": API, "api_password": "s3cret", **changes})


def replay(calls: list[dict[str, Any]], states: dict[str, list[str]] | None = None, recording: Path = RECORDED,
           **changes: Any) -> tuple[list[dict[str, Any]], Replay, Clock]:
    clock = Clock()
    host = Replay(calls, clock, recording)
    for job, story in (states or {}).items():
        host.states[job] = deque(story)
    results = smokerun.run(host, options(**changes), clock=clock, sleep=clock.sleep, wall=clock)
    return results, host, clock


def recorded_jobs(recording: Path = RECORDED) -> dict[str, str]:
    """check -> the job id the recorded run got for it."""
    out = {}
    for call in recorded(recording):
        found = re.search(r"^OAR_JOB_ID=([0-9]+)$", call["stdout"], re.MULTILINE)
        if "oarsub" in call["command"] and found:
            command = call["command"]
            name = ("reservation" if " -r " in command else "batch_job" if "nodes=2" in command
                    else "oardel" if "sleep 300" in command else "failing_job")
            out[name] = found.group(1)
    return out


JOBS = recorded_jobs()
REST_JOB = json.loads(RECORDED.read_text())["http"][2]["json"]["id"]
REST_STATE = json.loads(RECORDED.read_text())["http"][3]["json"]["state"]
WHEN = next(c["stdout"].strip() for c in recorded() if c["command"].startswith("timeout 60 date "))


def test_the_recorded_run_passes_with_the_same_commands() -> None:
    results, host, _unused = replay(recorded())
    assert [(r["name"], r["status"]) for r in results] == [
        ("node_sshd", "passed"), ("resources_alive", "passed"), ("batch_job", "passed"),
        ("failing_job", "passed"), ("oardel", "passed"), ("reservation", "passed"), ("rest_api", "passed")]
    messages = {r["name"]: r["message"] for r in results}
    assert messages == {
        "node_sshd": "port 6667 open on node1, node2 (OAR: oarnode2, oarnode3)",
        "resources_alive": "4 resources Alive on oarnode2, oarnode3",
        "batch_job": f"job {JOBS['batch_job']} on 2 nodes: Terminated, exit status 0, output names oarnode2, oarnode3",
        "failing_job": f"job {JOBS['failing_job']}: Terminated with exit_code 768 (exit status 3)",
        "oardel": f"job {JOBS['oardel']}: Running, oardel, then Error",
        "reservation": f"job {JOBS['reservation']} reserved for {WHEN}: Reservation valid --> OK, then cancelled",
        "rest_api": f"{API}: OAR 2.5.9 (Canicule), API 1.0.2, 8 resources; job {REST_JOB} submitted as oartest, "
                    f"read back ({REST_STATE}), then Terminated"}
    # the run asks what the real run asked, as many times (the order depends on the clock, and the
    # replay's is simulated); every job is awaited with one oarstat per poll until it ends
    others = Counter(c["command"] for c in recorded() if not c["command"].startswith("timeout 60 oarstat -s -J"))
    assert Counter(c for c in host.seen if not c.startswith("timeout 60 oarstat -s -J")) == others
    # the API is asked from the start, beside the gate checks; the reservation beside the jobs'
    # submissions; what is left of them in the waits between two polls
    log = host.log
    polls = [i for i, e in enumerate(log) if e.startswith("timeout 60 oarstat -s -J")]
    reserve = next(i for i, e in enumerate(log) if " -r " in e)
    version = log.index("timeout 60 oarsub -V")
    submits = [i for i, e in enumerate(log) if "oarsub" in e and " -r " not in e and "-V" not in e]
    assert version == 0 and log[1] == "timeout 60 oarnodes -s -J"
    assert max(submits) < polls[0] and min(submits) < reserve < polls[0]
    # the API's job is posted while the job checks' jobs are submitted, before the first poll
    assert min(submits) < log.index(f"POST {API.replace('/oarapi/', '/oarapi-priv/')}jobs.json") < polls[0]
    asked = [e for e in log[version + 1:] if e.startswith(("GET", "POST"))]
    # the resources_alive gate has just read OAR's database: the job first, then the resources, the job read
    # back and the version while OAR runs it
    private = API.replace("/oarapi/", "/oarapi-priv/")
    assert asked == [f"POST {private}jobs.json", f"GET {API}resources.json", f"GET {private}jobs/{REST_JOB}.json",
                     f"GET {API}version.json"]
    # the job the API took is awaited in the same polls as the job checks' jobs
    assert any(f"-j {JOBS['oardel']}" in log[i] and log[i].endswith(f"-j {REST_JOB}") for i in polls)
    jobs = {r["name"]: (r.get("job"), r.get("job_hosts")) for r in results}
    assert jobs["batch_job"] == (int(JOBS["batch_job"]), ["oarnode2", "oarnode3"])
    assert jobs["oardel"] == (int(JOBS["oardel"]), ["oarnode2"])
    assert all(r["ended"] >= r["started"] for r in results)
    assert smokerun.oar_version(results) == "2.5.9 (Canicule)"


JOBS_3 = recorded_jobs(RECORDED_3)
WHEN_3 = next(c["stdout"].strip() for c in recorded(RECORDED_3) if c["command"].startswith("timeout 60 date "))


def test_the_recorded_oar_3_run_passes_with_the_same_commands() -> None:
    """OAR 3 (from a checkout, on the testbed): its JSON names no hosts (oar3 #158), it says the
    reservation's verdict on stderr, its API is FastAPI's with a token from ``oarsub -T``."""
    results, host, _unused = replay(recorded(RECORDED_3), recording=RECORDED_3, api_url=API_3)
    messages = {r["name"]: (r["status"], r["message"]) for r in results}
    assert messages == {
        "node_sshd": ("passed", "port 6667 open on node1, node2 (OAR: oarnode2, oarnode3)"),
        "resources_alive": ("passed", "4 resources Alive on oarnode2, oarnode3"),
        "batch_job": ("passed", f"job {JOBS_3['batch_job']} on 2 nodes: Terminated, exit status 0, output names "
                                "oarnode2, oarnode3"),
        "failing_job": ("passed", f"job {JOBS_3['failing_job']}: Terminated with exit_code 768 (exit status 3)"),
        "oardel": ("passed", f"job {JOBS_3['oardel']}: Running, oardel, then Error"),
        "reservation": ("passed", f"job {JOBS_3['reservation']} reserved for {WHEN_3}: Advance reservation is "
                                  "GRANTED, then cancelled"),
        "rest_api": ("passed", f"{API_3}: OAR 3.0.3dev (oarsub -V), api_version 3.0.0.dev11, whoami oartest")}
    others = Counter(c["command"] for c in recorded(RECORDED_3)
                     if not c["command"].startswith("timeout 60 oarstat -s -J"))
    assert Counter(c for c in host.seen if not c.startswith("timeout 60 oarstat -s -J")) == others
    assert host.asked == [("GET", API_3, None, None), ("GET", API_3 + "whoami", None, None)]
    jobs = {r["name"]: r.get("job_hosts") for r in results}
    assert jobs["batch_job"] is None and jobs["oardel"] is None  # OAR 3's JSON names no hosts
    assert smokerun.oar_version(results) == "3.0.3dev"


def test_job_checks_are_submitted_together_then_awaited_with_one_oarstat() -> None:
    _unused, host, _unused = replay(recorded())
    submits = [i for i, c in enumerate(host.seen) if "oarsub" in c and " -r " not in c and "-V" not in c]
    first_poll = next(i for i, c in enumerate(host.seen) if c.startswith("timeout 60 oarstat -s"))
    assert len(submits) == 3 and max(submits) < first_poll
    # the longest check first: oardel waits for Running, then for its deletion
    assert host.seen[first_poll] == (f"timeout 60 oarstat -s -J -j {JOBS['oardel']} -j {JOBS['batch_job']} "
                                     f"-j {JOBS['failing_job']}")
    assert all("-t 'timesharing=*,*'" in shlex.split(c)[-1] for c in (host.seen[i] for i in submits))


class Beside(Replay):
    """A submit host that can run calls beside the polls (``spawn``), where OAR answers the
    reservation only once the oardel job has been deleted, as a busy scheduler might: a runner that
    waited for ``oarsub -r`` before polling again would never see it answered."""

    def __init__(self, calls: list[dict[str, Any]], clock: Clock) -> None:
        super().__init__(calls, clock)
        self.lock = threading.Lock()
        self.deleted = threading.Event()
        self.reserved_on: set[str] = set()
        self.answered = False

    def spawn(self) -> Beside:
        return self

    def run(self, command: str) -> smokerun.Output:
        if " -r " in command:
            self.reserved_on.add(threading.current_thread().name)
            self.answered = self.deleted.wait(10)
        with self.lock:
            out = super().run(command)
        if f"oardel {JOBS['oardel']}'" in command:
            self.deleted.set()
        return out

    def http(self, method: str, url: str, **kwargs: Any) -> tuple[int, Any, str]:
        with self.lock:
            return super().http(method, url, **kwargs)


def test_a_slow_call_beside_the_polls_holds_none_of_them_up() -> None:
    clock = Clock()
    host = Beside(recorded(), clock)
    results = smokerun.run(host, options(poll_interval=0.05), clock=clock, sleep=clock.sleep, wall=clock)
    # the polls went on, saw the oardel job Running and deleted it, while oarsub -r waited
    assert host.answered
    assert host.reserved_on and threading.current_thread().name not in host.reserved_on
    assert [(r["name"], r["status"]) for r in results] == [
        ("node_sshd", "passed"), ("resources_alive", "passed"), ("batch_job", "passed"),
        ("failing_job", "passed"), ("oardel", "passed"), ("reservation", "passed"), ("rest_api", "passed")]
    assert [t.name for t in threading.enumerate() if t.name.startswith("oar-smoke")] == []  # none left behind


class Together(Beside):
    """A submit host that can spawn, where each job check's oarsub returns only once all three have been asked:
    a runner that submitted them one after the other would wait for the first forever (here: 5 s, then
    BrokenBarrierError)."""

    def __init__(self, calls: list[dict[str, Any]], clock: Clock) -> None:
        super().__init__(calls, clock)
        self.barrier = threading.Barrier(3, timeout=5)
        self.threads: set[str] = set()

    def run(self, command: str) -> smokerun.Output:
        if "oarsub" in command and " -r " not in command and "-V" not in command:
            self.threads.add(threading.current_thread().name)
            self.barrier.wait()
        return super().run(command)


def test_with_a_host_that_can_spawn_the_job_checks_oarsub_run_at_once() -> None:
    clock = Clock()
    host = Together(recorded(), clock)
    results = smokerun.run(host, options(poll_interval=0.05), clock=clock, sleep=clock.sleep, wall=clock)
    assert [(r["name"], r["status"]) for r in results] == [
        ("node_sshd", "passed"), ("resources_alive", "passed"), ("batch_job", "passed"),
        ("failing_job", "passed"), ("oardel", "passed"), ("reservation", "passed"), ("rest_api", "passed")]
    assert len(host.threads) == 3 and threading.current_thread().name not in host.threads
    # the polls await them in the order of the specs (the longest first), whichever oarsub answered first (the
    # REST API's job may come before them: it is posted meanwhile)
    first_poll = shlex.split(next(c for c in host.seen if c.startswith("timeout 60 oarstat -s")))
    polled = [first_poll[i + 1] for i, w in enumerate(first_poll) if w == "-j"]
    assert [j for j in polled if j != str(REST_JOB)] == [JOBS["oardel"], JOBS["batch_job"], JOBS["failing_job"]]
    assert [t.name for t in threading.enumerate() if t.name.startswith("oar-smoke")] == []


def test_a_refused_submission_among_those_made_at_once_fails_its_check_alone() -> None:
    calls = recorded()
    for call in calls:
        if "oarsub" in call["command"] and "nodes=2" in call["command"]:
            call.update(rc=6, stdout="[ADMISSION RULE] Error: no such resources\n", stderr="")
    clock = Clock()
    host = Together(calls, clock)
    results = smokerun.run(host, options(poll_interval=0.05), clock=clock, sleep=clock.sleep, wall=clock)
    assert (results[2]["name"], results[2]["status"], results[2]["message"]) == (
        "batch_job", "failed", "oarsub failed (rc 6): [ADMISSION RULE] Error: no such resources")
    assert [(r["name"], r["status"]) for r in results[3:]] == [
        ("failing_job", "passed"), ("oardel", "passed"), ("reservation", "passed"), ("rest_api", "passed")]
    assert not any(f"-j {JOBS['batch_job']}" in c for c in host.seen)


def test_one_after_the_other_without_concurrent() -> None:
    calls = [{**c, "command": c["command"].replace(" -t '\"'\"'timesharing=*,*'\"'\"'", "")} for c in recorded()]
    results, host, _unused = replay(calls, concurrent=False)
    assert [r["status"] for r in results] == ["passed"] * 7
    steps = []
    for command in host.seen:
        if "oarsub -l" in command:
            steps.append("submit")
        elif (command.startswith("timeout 60 oarstat -s") and steps[-1] != (job := command.split("-j ")[-1])
              and job != str(REST_JOB)):  # the API's own job, polled until it ends
            steps.append(job)
    assert steps == ["submit", JOBS["oardel"], "submit", JOBS["batch_job"], "submit", JOBS["failing_job"]]
    assert not any("timesharing" in c for c in host.seen)


def test_a_failed_gate_skips_the_job_checks() -> None:
    nodes = [model.Node(name="node1", address="oarnode2", machine="oarnode2", ip="10.213.0.12",
                        sshd="connection refused"),
             model.Node(name="node2", address="oarnode3", sshd=None)]
    results, host, _unused = replay(recorded(), nodes=nodes)
    assert results[0] == {**results[0], "status": "failed", "message": (
        "OAR's node sshd (port 6667) does not answer within 10 s on node1 (machine oarnode2, 10.213.0.12): "
        "connection refused, node2 (node2): not probed (run the oar_smoke node entry point first)")}
    assert [(r["name"], r["status"], r["message"]) for r in results[2:6]] == [
        (name, "skipped", "not run: node_sshd failed")
        for name in ("batch_job", "failing_job", "oardel", "reservation")]
    assert not any("oarsub -t" in c or "oarsub -l" in c for c in host.seen)


def test_a_broken_oar_fails_after_the_grace_with_its_own_error() -> None:
    calls = [c if c["command"] != "timeout 60 oarnodes -s -J" else {**c, **DB_DOWN.__dict__} for c in recorded()]
    results, _unused, clock = replay(calls, grace=10)
    assert results[1]["status"] == "failed"
    assert results[1]["message"] == ("oarnodes -s -J failed (rc 1): [oarnodes] DB connection error: could not "
                                     "connect to server")
    assert clock.now - 1000.0 < 15  # the grace, not the 120 s job timeout
    assert [r["status"] for r in results[2:6]] == ["skipped"] * 4


def test_a_job_that_never_ends_fails_at_its_deadline_and_the_others_are_still_judged() -> None:
    results, _unused, clock = replay(recorded(), states={JOBS["failing_job"]: ["Waiting"]}, job_timeout=30)
    by_name = {r["name"]: r for r in results}
    assert by_name["failing_job"]["status"] == "failed"
    assert by_name["failing_job"]["message"] == (f"job {JOBS['failing_job']} is still Waiting after 30 s (waited for "
                                                 "Terminated/Error)")
    assert (by_name["batch_job"]["status"], by_name["oardel"]["status"]) == ("passed", "passed")
    assert 30 <= clock.now - 1000.0 < 45


def test_a_refused_submission_names_oarsub_output() -> None:
    calls = recorded()
    for call in calls:
        if "oarsub" in call["command"] and "nodes=2" in call["command"]:
            call.update(rc=6, stdout="[ADMISSION RULE] Error: no such resources\n", stderr="")
    results, host, _unused = replay(calls)
    batch = results[2]
    assert (batch["status"], batch["message"]) == (
        "failed", "oarsub failed (rc 6): [ADMISSION RULE] Error: no such resources")
    assert [r["status"] for r in results[3:6]] == ["passed"] * 3
    assert not any(f"-j {JOBS['batch_job']}" in c for c in host.seen)


def test_reservation_not_validated() -> None:
    calls = recorded()
    for call in calls:
        if " -r " in call["command"]:
            call.update(stdout=f"[ADMISSION RULE] ...\nOAR_JOB_ID={JOBS['reservation']}\nReservation mode: waiting "
                               "validation...\nReservation valid --> KO\n")
    results, _unused, _unused = replay(calls)
    assert results[5]["message"] == (f"reservation {JOBS['reservation']} for {WHEN} not validated: Reservation "
                                     "valid --> KO")


def test_command_line_quotes_every_word() -> None:
    hostile = "x'; rm -rf / #"
    line = smokerun.command_line(["oarsub", "-p", "network_address = 'a'", hostile], user="user1")
    words = shlex.split(line)
    assert words[:6] == ["timeout", "60", "su", "-", "user1", "-c"]
    assert shlex.split(words[6]) == ["cd", "&&", "oarsub", "-p", "network_address = 'a'", hostile]


def test_unknown_check() -> None:
    clock = Clock()
    with pytest.raises(OarNxcError, match="unknown smoke check nope: one of node_sshd, "):
        smokerun.run(Replay([], clock), options(checks=["nope"]), clock=clock, sleep=clock.sleep, wall=clock)


def test_plan() -> None:
    assert smokerun.plan(options(checks=["batch_job"])) == {
        "step": "smoke", "run": False, "why": "--check: the smoke checks submit OAR jobs",
        "command": "batch_job: OAR jobs as oartest from frontend"}


def only_rest_api(version: str, token: str = "", user: str = "user1") -> list[dict[str, Any]]:
    calls = [{"command": "timeout 60 oarsub -V", "rc": 0, "stdout": f"OAR version : {version}\n", "stderr": ""}]
    # the recorded polls of the job the API took, until it ended
    calls += [c for c in recorded() if c["command"] == f"timeout 60 oarstat -s -J -j {REST_JOB}"]
    if token:
        calls.append({"command": f"timeout 60 su - {user} -c 'cd && oarsub -T'", "rc": 0,
                      "stdout": f"OAR_API_TOKEN={token}\n", "stderr": ""})
    return calls


def test_rest_api_on_oar_2_5_asks_what_a_user_would() -> None:
    results, host, _unused = replay(only_rest_api("2.5.9 (Canicule)"), checks=["rest_api"])
    assert results[0]["status"] == "passed", results[0]["message"]
    # timesharing, as the other smoke jobs: it runs beside them on the same nodes
    body = {"resource": "/nodes=1,walltime=0:05:00", "command": "true", "type": ["timesharing=*,*"]}
    assert host.asked == [("GET", API + "resources.json", None, None),
                          ("POST", "http://oar-server:6668/oarapi-priv/jobs.json", body, "oartest"),
                          ("GET", f"http://oar-server:6668/oarapi-priv/jobs/{REST_JOB}.json", None, "oartest"),
                          ("GET", API + "version.json", None, None)]
    assert results[0]["job"] == REST_JOB
    assert host.seen[-1] == f"timeout 60 oarstat -s -J -j {REST_JOB}"  # awaited until OAR ended it


@pytest.mark.parametrize(("fault", "message"), [
    ({0: {"status": -1, "error": "Request failed: <urlopen error [Errno 111] Connection refused>"}},
     f"GET {API}version.json: no answer: Request failed: <urlopen error [Errno 111] Connection refused>"),
    ({1: {"status": 500, "json": {"code": 500, "title": "Internal error", "message": "DB connection error"}}},
     f"GET {API}resources.json: HTTP 500: DB connection error"),
    # a wrong password, as Apache answered it on the testbed (an HTML page, no JSON)
    ({2: {k: WRONG_PASSWORD[k] for k in ("status", "json")}},
     "POST http://oar-server:6668/oarapi-priv/jobs.json: HTTP 401: HTTP Error 401"),
    ({3: {"json": {"id": 25, "owner": "alice"}}},
     f"GET http://oar-server:6668/oarapi-priv/jobs/{REST_JOB}.json: owner 'alice', expected oartest"),
])
def test_rest_api_failures_name_the_method_url_and_status(fault: dict[int, dict[str, Any]], message: str) -> None:
    clock = Clock()
    host = Replay(only_rest_api("2.5.9 (Canicule)"), clock)
    calls = list(host.http_calls)
    for index, change in fault.items():
        calls[index] = {**calls[index], **change}
    host.http_calls = deque(calls)
    (result,) = smokerun.run(host, options(checks=["rest_api"]), clock=clock, sleep=clock.sleep, wall=clock)
    assert (result["status"], result["message"]) == ("failed", message)


def test_a_request_failed_after_the_api_took_its_job_still_awaits_the_job() -> None:
    """The job is posted early; when a later request fails, the check fails with that request's error once
    OAR has ended the job: it leaves no job behind."""
    clock = Clock()
    host = Replay(only_rest_api("2.5.9 (Canicule)"), clock)
    calls = list(host.http_calls)
    calls[0] = {**calls[0], "status": 500, "json": {"code": 500, "message": "version unknown"}}  # version.json
    host.http_calls = deque(calls)
    (result,) = smokerun.run(host, options(checks=["rest_api"]), clock=clock, sleep=clock.sleep, wall=clock)
    assert (result["status"], result["message"], result["job"]) == (
        "failed", f"GET {API}version.json: HTTP 500: version unknown", REST_JOB)
    assert host.seen[-1] == f"timeout 60 oarstat -s -J -j {REST_JOB}"  # awaited until OAR ended it
    assert [a[0] for a in host.asked] == ["GET", "POST", "GET", "GET"]


def test_a_database_that_is_down_fails_the_api_check_before_any_job_is_posted() -> None:
    """OAR's resources read its database and fail at once; a job's submission would wait for the database."""
    clock = Clock()
    host = Replay(only_rest_api("2.5.9 (Canicule)"), clock)
    calls = list(host.http_calls)
    calls[1] = {**calls[1], "status": 500, "json": {"code": 500, "message": "DB connection error"}}  # resources
    host.http_calls = deque(calls)
    (result,) = smokerun.run(host, options(checks=["rest_api"]), clock=clock, sleep=clock.sleep, wall=clock)
    assert (result["status"], result["message"]) == ("failed", f"GET {API}resources.json: HTTP 500: DB connection "
                                                               "error")
    assert [a[0] for a in host.asked] == ["GET"]


def test_with_the_database_down_the_api_check_asks_the_resources_first_and_posts_no_job() -> None:
    """The resources_alive gate failed (oarnodes could not read the database): the API's resources first, which
    fail at once, where a job's submission would wait for the database."""
    calls = [c if c["command"] != "timeout 60 oarnodes -s -J" else {**c, **DB_DOWN.__dict__} for c in recorded()]
    clock = Clock()
    host = Replay(calls, clock)
    http = list(host.http_calls)
    at = next(i for i, c in enumerate(http) if c["url"].endswith("/resources.json"))
    http[at] = {**http[at], "status": 500, "json": {"code": 500, "message": "DB connection error"}}
    host.http_calls = deque(http)
    results = smokerun.run(host, options(grace=10), clock=clock, sleep=clock.sleep, wall=clock)
    by_name = {r["name"]: (r["status"], r["message"]) for r in results}
    assert by_name["resources_alive"][0] == "failed"
    assert by_name["rest_api"] == ("failed", f"GET {API}resources.json: HTTP 500: DB connection error")
    assert [(a[0], a[1]) for a in host.asked] == [("GET", f"{API}resources.json")]


def test_rest_api_on_oar_2_5_needs_the_password() -> None:
    results, host, _unused = replay(only_rest_api("2.5.9 (Canicule)"), checks=["rest_api"], api_password="")
    assert (results[0]["status"], results[0]["message"]) == ("failed", (
        "http://oar-server:6668/oarapi-priv/: OAR 2.5 takes jobs only at its authenticated URL: give the password "
        "of oartest there (oar_smoke_api_password)"))
    assert host.asked == []  # refused before any request


def test_rest_api_on_oar_3_asks_index_then_whoami_with_a_token() -> None:
    clock = Clock()
    host = Replay(only_rest_api("3.0.0.dev4", "abc.def"), clock, RECORDED_3)
    opts = options(checks=["rest_api"], user="user1", api_url=API_3, api_password="")
    (result,) = smokerun.run(host, opts, clock=clock, sleep=clock.sleep, wall=clock)
    assert (result["status"], result["message"]) == ("failed", f"GET {API_3}whoami: HTTP 200, whoami oartest "
                                                               "(expected user1)")
    host = Replay(only_rest_api("3.0.0.dev4", "abc.def", "oartest"), clock, RECORDED_3)
    (result,) = smokerun.run(host, options(checks=["rest_api"], api_url=API_3, api_password=""), clock=clock,
                             sleep=clock.sleep, wall=clock)
    assert (result["status"], result["message"], result["oar_version"]) == (
        "passed", f"{API_3}: OAR 3.0.0.dev4 (oarsub -V), api_version 3.0.0.dev11, whoami oartest", "3.0.0.dev4")
    assert host.asked == [("GET", API_3, None, None), ("GET", API_3 + "whoami", None, None)]

    wrong = Replay(only_rest_api("3.0.0.dev4", "abc.def", "oartest"), clock, RECORDED_3)
    (result,) = smokerun.run(wrong, options(checks=["rest_api"], api_url=API_3.rstrip("/"),
                                            api_password="", server="x"), clock=clock, sleep=clock.sleep, wall=clock)
    assert result["status"] == "passed"  # a base URL without its trailing slash is the same API


def test_lines_are_what_the_action_prints() -> None:
    results, _unused, _unused = replay(recorded(), checks=["resources_alive"])
    assert smokerun.lines(results) == [f"passed   resources_alive  {results[0]['seconds']:>5.1f}s  "
                                       "4 resources Alive on oarnode2, oarnode3"]


def test_a_machine_cut_off_under_the_batch_job_is_named_before_the_output() -> None:
    """The batch job's end as OAR 2.5.9 told it when oarnode4 was cut off under a job on the testbed
    (tests/fixtures/oar/live/*-cutoff-2.5.9.json), moved onto this recording's oarnode3."""
    live = Path(__file__).parents[3] / "fixtures" / "oar" / "live"
    cut = next(iter(json.loads((live / "oarstat-f-J-cutoff-2.5.9.json").read_text()).values()))
    job = JOBS["batch_job"]
    text = json.dumps(cut).replace("oarnode4", "oarnode3").replace(f"job {cut['Job_Id']}", f"job {job}")
    nodes = (live / "oarnodes-s-J-cutoff-2.5.9.json").read_text().replace("oarnode3", "x").replace("oarnode4",
                                                                                                   "oarnode3")
    calls = recorded()
    calls.append({"command": "timeout 60 oarnodes -s -J", "rc": 0, "stdout": nodes, "stderr": ""})
    clock = Clock()
    host = Replay(calls, clock)
    host.info[job] = {**json.loads(text), "Job_Id": int(job), "exit_code": 256,
                      "assigned_network_address": ["oarnode2", "oarnode3"]}
    results = smokerun.run(host, options(), clock=clock, sleep=clock.sleep, wall=clock)
    batch = next(r for r in results if r["name"] == "batch_job")
    assert batch["status"] == "failed"
    assert batch["message"].startswith(
        f"node2 (oarnode3: Suspected) is not Alive in OAR; OAR's events on job {job}: CPUSET_CLEAN_ERROR: "
        f"[job_finishing_sequence] OAR suspects nodes for the job {job} : oarnode3. job {job}: state Terminated, "
        "exit status 1 (exit_code 256), ran on oarnode2, oarnode3")
    assert "homes" not in batch["message"]
    assert host.seen.count("timeout 60 oarnodes -s -J") == 2  # the gate's, then the judge's: once
    assert [r["status"] for r in results if r["name"] != "batch_job"] == ["passed"] * (len(results) - 1)


def test_a_batch_job_that_passed_on_a_machine_oar_then_lost_fails_naming_the_machine() -> None:
    """The batch job's end as OAR 2.5.9 told it when oarnode4 was cut off after a job's command and before
    OAR cleaned its machines (tests/fixtures/oar/live/*-cutatend-2.5.9.json): Terminated, exit code 0,
    every name in the output, and the event CPUSET_CLEAN_ERROR. Moved onto this recording's oarnode3."""
    live = Path(__file__).parents[3] / "fixtures" / "oar" / "live"
    cut = next(iter(json.loads((live / "oarstat-f-J-cutatend-2.5.9.json").read_text()).values()))
    assert (cut["state"], cut["exit_code"]) == ("Terminated", 0)
    job = JOBS["batch_job"]
    text = json.dumps(cut).replace("oarnode4", "oarnode3").replace(f"job {cut['Job_Id']}", f"job {job}")
    nodes = (live / "oarnodes-s-J-cutatend-2.5.9.json").read_text().replace("oarnode3", "x").replace(
        "oarnode4", "oarnode3")
    calls = recorded()
    calls.append({"command": "timeout 60 oarnodes -s -J", "rc": 0, "stdout": nodes, "stderr": ""})
    clock = Clock()
    host = Replay(calls, clock)
    host.info[job] = {**json.loads(text), "Job_Id": int(job), "assigned_network_address": ["oarnode2", "oarnode3"]}
    results = smokerun.run(host, options(), clock=clock, sleep=clock.sleep, wall=clock)
    batch = next(r for r in results if r["name"] == "batch_job")
    assert (batch["status"], batch["message"]) == ("failed", (
        f"node2 (oarnode3: Suspected) is not Alive in OAR; OAR's events on job {job}: CPUSET_CLEAN_ERROR: "
        f"[job_finishing_sequence] OAR suspects nodes for the job {job} : oarnode3. job {job} on 2 nodes: "
        "Terminated, exit status 0, output names oarnode2, oarnode3; but OAR suspected a machine of the job as "
        "it ended"))
    assert [r["status"] for r in results if r["name"] != "batch_job"] == ["passed"] * (len(results) - 1)


def test_a_job_check_passes_with_oar_s_other_events_and_fails_with_each_machine_lost_event() -> None:
    """oardel's own FRAG_JOB_REQUEST is no loss; each of OAR's machine-lost event types fails a passed check."""
    for kind, status in [("FRAG_JOB_REQUEST", "passed"), *((k, "failed") for k in oarjson.MACHINE_LOST_EVENTS)]:
        clock = Clock()
        host = Replay(recorded(), clock)
        job = JOBS["failing_job"]
        host.info[job] = {**host.info.get(job, {}), "events": [
            {"type": kind, "description": f"OAR says {kind} for the job {job} : oarnode2"}]}
        results = smokerun.run(host, options(checks=["failing_job"]), clock=clock, sleep=clock.sleep, wall=clock)
        assert results[0]["status"] == status, (kind, results[0]["message"])
        assert (kind in results[0]["message"]) == (status == "failed")
