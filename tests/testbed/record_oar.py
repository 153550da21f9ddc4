"""Record what the testbed's real OAR says, for the unit tests' replays (tests/fixtures/oar/).

Run as root with the testbed up (either OAR: `testbed.sh up`, or TESTBED_OAR_SRC=... for OAR 3):

    .venv/bin/python -m tests.testbed.record_oar smoke tests/fixtures/oar/smoke-run-<version>.json
    .venv/bin/python -m tests.testbed.record_oar live tests/fixtures/oar/live <version>

``smoke`` runs the real smoke checks (oar_nxc.smoke.runner) with this machine as the submit host (the
frontend of the testbed: same OAR commands, same files as on the nodes) on nodes oarnode2 and
oarnode3, as the smoke user oartest, and writes every command line with its rc, stdout and
stderr, and every REST API request with its answer, in the order they were made. ``live`` records
``oarstat -f -J``, ``oarstat -p`` and ``oarstat -f`` (text) of a running 3-node job and of a deleted
1-node job, and the running job's resources file. <version> is what names the files (``2.5.9``, ``3``).

    .venv/bin/python -m tests.testbed.record_oar jobs tests/fixtures/oar/jobs-<version>.json

``jobs`` runs the real job life of oar.nxc.oar_job (oar_nxc.oar.lifecycle) as oartest, each command
recorded with its rc, stdout and stderr: submit and wait, reuse by name, a job that waits (its
machines are held) until the timeout deletes it, more machines than exist, release, release again.

    .venv/bin/python -m tests.testbed.record_oar faults tests/fixtures/oar/live <version>

``scenarios`` tells OAR the scenarios of a directory (oar_nxc.scenarios) as oartest and records every
command with its rc, output and time, and each outcome:

    .venv/bin/python -m tests.testbed.record_oar scenarios tests/fixtures/oar/scenarios-<version>.json \\
        compositions/master/scenarios

``faults`` records how a job ends when something goes wrong under it: ``oarstat -f -J`` of a 1-node
job whose walltime (15 s) ran out (``walltime-<v>.json``), of a 4-node job (20 s) whose last machine was
cut off the network while it ran (``cutoff-<v>.json``, the host side of its veth set down), and of a
4-node ``true`` job whose last machine was cut off after its command and before OAR cleaned its
machines (``cutatend-<v>.json``: the testbed's server epilogue holds its end for the cut, as
tests/integration/test_pipeline.py does; OAR 2.5 only), each with ``oarnodes -s -J`` after it
(``oarnodes-s-J-cutoff-<v>.json``, ``oarnodes-s-J-cutatend-<v>.json``). After each cut the machine's
link is set up again and ``testbed.sh up`` makes its resources Alive.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from oar_nxc.oar import output as oarjson
from oar_nxc.smoke import model
from oar_nxc.smoke import runner as smokerun
from tests.testbed import oar_testbed as tb

TOKEN_RE = re.compile(r"OAR_API_TOKEN=\S+")
REDACTED = "recorded.token.redacted"
API_URLS = {"2.5": "http://oar-server:6668/oarapi/", "3": "http://oar-server:6668/api/"}


class RecordingHost:
    """model.Host on this machine: each command through bash, each request through urllib; both
    recorded (shared by the copies ``spawn`` makes for the calls beside the polls)."""

    def __init__(self, calls: list[dict[str, Any]], http_calls: list[dict[str, Any]], lock: threading.Lock) -> None:
        self.calls, self.http_calls, self.lock = calls, http_calls, lock

    def spawn(self) -> RecordingHost:
        return RecordingHost(self.calls, self.http_calls, self.lock)

    def run(self, command: str) -> smokerun.Output:
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False, timeout=120)
        # the API token oarsub -T gave is the smoke user's credential: used, never written down
        kept = TOKEN_RE.sub("OAR_API_TOKEN=" + REDACTED, done.stdout)
        with self.lock:
            self.calls.append({"command": command, "rc": done.returncode, "stdout": kept, "stderr": done.stderr})
        return smokerun.Output(done.returncode, done.stdout, done.stderr)

    def http(self, method: str, url: str, *, headers: dict[str, str] | None = None, body: Any = None,
             user: str | None = None, password: str | None = None) -> tuple[int, Any, str]:
        request = urllib.request.Request(url, method=method, headers=dict(headers or {}))  # noqa: S310
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        if user is not None:
            pair = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            request.add_header("Authorization", f"Basic {pair}")
        status, answer, error = -1, None, ""
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the testbed's own API)
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, text, error = exc.code, exc.read().decode(errors="replace"), f"HTTP Error {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            error = f"Request failed: {exc}"
            text = ""
        try:
            answer = json.loads(text) if text else None
        except json.JSONDecodeError:
            answer = None
        entry = {"method": method, "url": url, "authenticated": user is not None or bool(headers), "body": body,
                 "status": status, "json": answer}
        if error and status < 0:
            entry["error"] = error
        with self.lock:
            self.http_calls.append(entry)
        return status, answer, error


def oar_generation() -> str:
    return (tb.STATE / "oar").read_text().strip() if (tb.STATE / "oar").exists() else "2.5"


def record_smoke(out: Path) -> int:
    gen = oar_generation()
    version = oarjson.version_line(subprocess.run(["oarsub", "-V"], capture_output=True, text=True,
                                                  check=False).stdout)
    password = (tb.STATE / "api-password").read_text().strip()
    nodes = [model.Node(name=f"node{i}", address=f"oarnode{i + 1}", sshd="") for i in (1, 2)]
    options = model.Options(user=tb.USER, submit="frontend", nodes=nodes, job_types=["timesharing=*,*"],
                            api_url=API_URLS[gen], api_password=password)
    calls: list[dict[str, Any]] = []
    http_calls: list[dict[str, Any]] = []
    started = time.monotonic()
    results = smokerun.run(RecordingHost(calls, http_calls, threading.Lock()), options)
    for line in smokerun.lines(results):
        print(line)
    where = "Debian 12, the testbed; its REST API: Apache and oar-restful-api" if gen == "2.5" else \
        "from a checkout, the testbed (tests/testbed/oar3.sh); its REST API: uvicorn behind Apache"
    document = {"oar": f"{version} ({where})",
                "recorded_with": f"python -m tests.testbed.record_oar smoke {out}",
                "seconds": round(time.monotonic() - started, 1),
                "options": {"user": options.user, "addresses": options.addresses, "api_url": options.api_url},
                "calls": calls, "http": http_calls}
    out.write_text(json.dumps(document, indent=1) + "\n")
    failed = [r["name"] for r in results if r["status"] != "passed"]
    print(f"{out}: {len(calls)} commands, {len(http_calls)} requests; {len(results) - len(failed)} passed"
          + (f", not passed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def oarstat(*args: str) -> str:
    return subprocess.run(["oarstat", *args], capture_output=True, text=True, check=True, timeout=60).stdout


def record_live(outdir: Path, version: str) -> int:
    outdir.mkdir(parents=True, exist_ok=True)
    running = tb.submit("nodes=3,walltime=0:10:00", "sleep 600")
    tb.wait_state(running, ("Running",), timeout=120)
    (outdir / f"oarstat-f-J-running-{version}.json").write_text(oarstat("-f", "-J", "-j", str(running)))
    (outdir / f"oarstat-p-running-{version}.txt").write_text(oarstat("-p", "-j", str(running)))
    (outdir / f"oarstat-f-running-{version}.txt").write_text(oarstat("-f", "-j", str(running)))
    resources = tb.RUNTIME / f"{running}_resources"
    if resources.exists():
        (outdir / f"resources-file-{version}.txt").write_text(resources.read_text())
    else:
        print(f"{resources}: no such file (OAR did not write the job's resources file there)", file=sys.stderr)
    deleted = tb.submit("nodes=1,walltime=0:10:00", "sleep 600")
    tb.wait_state(deleted, ("Running",), timeout=120)
    subprocess.run(["su", "-", tb.USER, "-c", f"oardel {deleted}"], check=True, capture_output=True, timeout=60)
    tb.wait_state(deleted, tb.FINAL_STATES, timeout=120)
    (outdir / f"oarstat-f-J-deleted-{version}.json").write_text(oarstat("-f", "-J", "-j", str(deleted)))
    (outdir / f"oarstat-p-deleted-{version}.txt").write_text(oarstat("-p", "-j", str(deleted)))
    (outdir / f"oarstat-f-deleted-{version}.txt").write_text(oarstat("-f", "-j", str(deleted)))
    tb.release(running)
    tb.wait_state(running, tb.FINAL_STATES, timeout=120)
    print(f"{outdir}: jobs {running} (running, 3 nodes) and {deleted} (deleted) recorded as *-{version}.*")
    return 0


def record_cut(outdir: Path, name: str, job: int, machine: str, version: str) -> None:
    """Wait for JOB to end with MACHINE cut off (the cut is made by the caller), record NAME's files,
    then bring the machine back."""
    try:
        tb.wait_state(job, tb.FINAL_STATES, timeout=240)
        (outdir / f"oarstat-f-J-{name}-{version}.json").write_text(oarstat("-f", "-J", "-j", str(job)))
        (outdir / f"oarnodes-s-J-{name}-{version}.json").write_text(subprocess.run(
            ["oarnodes", "-s", "-J"], capture_output=True, text=True, check=True, timeout=60).stdout)
    finally:
        tb.set_link(machine, up=True)
        subprocess.run([str(tb.HERE / "testbed.sh"), "up"], check=True, capture_output=True, timeout=600)


def record_faults(outdir: Path, version: str) -> int:
    outdir.mkdir(parents=True, exist_ok=True)
    short = tb.submit("nodes=1,walltime=0:00:15", "sleep 600")
    tb.wait_state(short, ("Running",), timeout=120)
    tb.wait_state(short, tb.FINAL_STATES, timeout=120)
    (outdir / f"oarstat-f-J-walltime-{version}.json").write_text(oarstat("-f", "-J", "-j", str(short)))
    nodes = int((tb.STATE / "nodes").read_text().split()[0])
    machine = f"oarnode{nodes}"
    # a short job, as the smoke checks' batch job is: OAR reaches every machine again when it ends
    # (its cpuset clean-up, over its own ssh), and cannot reach the one cut off under it
    during = tb.submit(f"nodes={nodes},walltime=0:05:00", "sleep 20")
    tb.wait_state(during, ("Running",), timeout=120)
    time.sleep(3)
    tb.set_link(machine, up=False)
    record_cut(outdir, "cutoff", during, machine, version)
    recorded = f"jobs {short} (walltime ran out), {during} ({machine} cut off)"
    if tb.HOLD.parent.is_dir():  # OAR 2.5's server epilogue: the cut between the command and the clean-up
        tb.hold_job_ends()
        try:
            ending = tb.submit(f"nodes={nodes},walltime=0:05:00", "true")
            deadline = time.monotonic() + 120
            while ending not in tb.held_jobs():
                if time.monotonic() > deadline:
                    raise tb.TestbedError(f"job {ending} was not held at its end within 120 s")
                time.sleep(0.1)
            tb.set_link(machine, up=False)
        finally:
            tb.release_job_ends()
        record_cut(outdir, "cutatend", ending, machine, version)
        recorded += f", {ending} ({machine} cut off at its end)"
    print(f"{outdir}: {recorded} recorded as *-{version}.*")
    return 0


class RecordingShell:
    """oar_nxc.oar.remote.Shell on this machine, every command recorded."""

    def __init__(self, calls: list[dict[str, Any]]) -> None:
        self.calls = calls

    def run(self, command: str) -> smokerun.Output:
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False, timeout=120)
        self.calls.append({"command": command, "rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr})
        return smokerun.Output(done.returncode, done.stdout, done.stderr)


def record_jobs(out: Path) -> int:
    from oar_nxc.oar import lifecycle as joblife
    from oar_nxc.oar import request as jobrequest

    calls: list[dict[str, Any]] = []
    frontend = joblife.Frontend(RecordingShell(calls), tb.USER)
    held_request = jobrequest.from_mapping({"nodes": 2, "walltime": "0:10:00", "name": "oar-nxc-rec",
                                            "types": ["timesharing=*,*"]})
    # not timesharing: it cannot share the 2 machines the first job holds, so it waits
    wait_request = jobrequest.from_mapping({"nodes": 4, "walltime": "0:10:00", "name": "oar-nxc-wait"})
    many_request = jobrequest.from_mapping({"nodes": 99, "walltime": "0:10:00", "name": "oar-nxc-many"})
    scenarios: dict[str, Any] = {}

    def scenario(name: str, call: Any, **given: Any) -> Any:
        start, began = len(calls), time.monotonic()
        try:
            value = call()
            outcome = {"ok": value if isinstance(value, (list, tuple)) else getattr(value, "__dict__", None) or
                       {k: getattr(value, k) for k in value.__slots__}}
        except joblife.JobError as exc:
            value, outcome = None, {"error": str(exc)}
        scenarios[name] = {"given": given, "calls": calls[start:], "outcome": outcome,
                           "seconds": round(time.monotonic() - began, 1)}
        print(f"{name}: {len(calls) - start} commands, {outcome}")
        return value

    held = scenario("submit", lambda: joblife.present(frontend, held_request, tb.USER, timeout=60, poll=1),
                    timeout=60, poll=1)
    scenario("reuse", lambda: joblife.present(frontend, held_request, tb.USER, timeout=60, poll=1),
             timeout=60, poll=1)
    scenario("wait_timeout", lambda: joblife.present(frontend, wait_request, tb.USER, timeout=6, poll=1),
             timeout=6, poll=1)
    scenario("too_many", lambda: joblife.present(frontend, many_request, tb.USER, timeout=6, poll=1),
             timeout=6, poll=1)
    job_id = held.job_id if held else 0
    scenario("release", lambda: frontend.delete(job_id, timeout=60, poll=1), job_id=job_id)
    scenario("release_again", lambda: frontend.delete(job_id, timeout=60, poll=1), job_id=job_id)
    version = oarjson.version_line(subprocess.run(["oarsub", "-V"], capture_output=True, text=True,
                                                  check=False).stdout)
    document = {"oar": version, "recorded_with": f"python -m tests.testbed.record_oar jobs {out}", "user": tb.USER,
                "requests": {"held": held_request.argv(), "wait": wait_request.argv(), "many": many_request.argv()},
                "scenarios": scenarios}
    out.write_text(json.dumps(document, indent=1, default=str) + "\n")
    print(f"{out}: {len(calls)} commands in {len(scenarios)} scenarios")
    return 0


class TimedHost:
    """A scenario's submit host on this machine: each command through bash, recorded with when it was asked
    and answered (seconds since the scenario began) and the wall clock, for the replay's clocks."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.began = time.monotonic()

    def run(self, command: str) -> smokerun.Output:
        asked, wall = time.monotonic() - self.began, time.time()
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False, timeout=120)
        self.calls.append({"command": command, "rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
                           "at": round(asked, 3), "done": round(time.monotonic() - self.began, 3),
                           "wall": round(wall, 3)})
        return smokerun.Output(done.returncode, done.stdout, done.stderr)

    def http(self, method: str, url: str, **kwargs: Any) -> tuple[int, Any, str]:
        return -1, None, "no REST API requests in a recorded scenario"


def record_scenarios(out: Path, directory: Path, wanted: list[str]) -> int:
    """Every scenario of DIRECTORY (or those WANTED) told to the testbed's OAR as oartest, each command recorded
    with its time, and the outcome, for tests/unit/oar_nxc/scenarios/test_engine.py's replays."""
    from oar_nxc.scenarios import engine, suite

    generation = oar_generation()
    runs = []
    for scenario in suite.select(suite.load_dir(directory), wanted):
        host = TimedHost()
        outcome = engine.Story(host, scenario, tb.USER, generation=generation, addresses=tb.node_names()).run()
        runs.append({"scenario": scenario.name, "calls": host.calls, "outcome": outcome.as_dict()})
        print(f"{scenario.name}: {outcome.status}, {len(host.calls)} commands")
    version = oarjson.version_line(subprocess.run(["oarsub", "-V"], capture_output=True, text=True,
                                                  check=False).stdout)
    out.write_text(json.dumps({"oar": version, "generation": generation, "user": tb.USER,
                               "nodes": tb.node_names(), "scenarios": str(directory),
                               "recorded_with": f"python -m tests.testbed.record_oar scenarios {out} {directory}",
                               "runs": runs}, indent=1) + "\n")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="record_oar", description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="what", required=True)
    smoke = sub.add_parser("smoke")
    smoke.add_argument("out", type=Path)
    live = sub.add_parser("live")
    live.add_argument("outdir", type=Path)
    live.add_argument("version")
    faults = sub.add_parser("faults")
    faults.add_argument("outdir", type=Path)
    faults.add_argument("version")
    jobs = sub.add_parser("jobs")
    jobs.add_argument("out", type=Path)
    scen = sub.add_parser("scenarios")
    scen.add_argument("out", type=Path)
    scen.add_argument("directory", type=Path)
    scen.add_argument("wanted", nargs="*")
    args = parser.parse_args(argv)
    if not (tb.STATE / "nodes").exists():
        print("record_oar: the testbed is not up (tests/testbed/testbed.sh up)", file=sys.stderr)
        return 2
    if args.what == "smoke":
        return record_smoke(args.out)
    if args.what == "jobs":
        return record_jobs(args.out)
    if args.what == "scenarios":
        return record_scenarios(args.out, args.directory, args.wanted)
    if args.what == "faults":
        return record_faults(args.outdir, args.version)
    return record_live(args.outdir, args.version)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
