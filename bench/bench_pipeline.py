"""The pipeline at Grid'5000 sizes on the testbed, in one run: 4, 16, 64 and 128 machines (master
with `node` x 2, x 14, x 62 and x 126). For each size: deploy.yml from scratch with smoke off, the
no-op rerun with smoke off, smoke.yml; for each, the wall time, the tasks executed, the controller's
CPU seconds (user + sys of ansible-playbook and every process it waited for, bench/rusage.py, less the
testbed's stand-in for the nodes' reboot, which a node does on Grid'5000: shown apart as standin_s; machine_s
is what the whole machine spent meanwhile, the testbed nodes' sshd and OAR included) and
ansible-playbook's peak memory. Then the references: "OAR alone" (the smoke checks' own jobs, the same
oarsub arguments, submitted and awaited without Ansible and without the smoke runner: OAR's own work for
those checks on this machine, see oar_alone_checks), the seed's manual flow in plain bash at the small
sizes (bench/baseline.sh), and, with OAR_NXC_BENCH_MITOGEN=1, the no-op rerun under mitogen's strategy,
side by side (mitogen from PyPI, installed into a temporary directory, never into the project). Mitogen
0.3.54 supports ansible-core 2.19 to 2.21, but it checks host keys itself and ignores the deployed
nodes' own relaxation (ansible_ssh_common_args): every deployed host failed its role check ("Host key
checking is enabled"), at 4 and at 128 machines, 2026-12-04. It is not kept.

Targets (issue 28): the no-op rerun with smoke off at most 6 s at 128 machines and within 1.5x its
4-machine figure; deploy.yml from scratch with smoke off at 128 within 1.5x of 4; smoke.yml within
1.2x of OAR alone for the same checks plus Ansible's start-up (from starting ansible-playbook to its
first play); the controller's CPU per added machine at most 50 ms. Earlier targets (issues 11, 15):
deploy.yml within 1.5x the bash baseline; smoke.yml within 1.2x its slowest check plus start-up.

The no-op rerun is run NOOP_RUNS times and its median kept (its row says all of them); smoke.yml and OAR alone
in pairs, SMOKE_RUNS pairs up to SMOKE_RUNS_UP_TO machines and SMOKE_RUNS_LARGE above, the first run of a pair
alternating (smoke.yml first, then OAR alone first, and so on: neither always runs on the machine the other left),
and the median of each kept. smoke.yml is judged both ways: its median against OAR alone's median plus its
start-up, and the median of the pairs' own ratios (each smoke.yml run against the OAR alone run beside it). Its
row also splits its wall time: start-up, the checks' span (the runner, from the first check's start to the last
one's end, as the report says) and the rest (Ansible's own part: its plays before and after the checks, and the
exit). Each run starts once OAR has finished the jobs of the previous one (the smoke checks' jobs): what is
measured is the pipeline, not OAR's clean-up of the last run sharing the 2 cores.

Work = the time the external programs ran: every command result's `delta` (times its attempts,
plus the retry delays between them: OAR polling), every wait_for's `elapsed` and the smoke
action's run (its OAR commands and polling, from its report). Overhead = wall time - work.
Needs root; brings the testbed up with the largest size, then back as it found it.
Usage: python -m bench.bench_pipeline [SIZES...] (default 4 16 64 128); the rows also go to
bench/out/pipeline.json.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import yaml
from tests.conftest import BIN, REPO, WORK_DIR
from tests.integration.pipeline import Run, clear_jobs, copy_compositions, oar_jobs, playbook
from tests.testbed import oar_testbed as tb
from tests.testbed.record_oar import API_URLS, RecordingHost

from oar_nxc.smoke import checks as smoke_checks
from oar_nxc.smoke import jobs as smoke_jobs
from oar_nxc.smoke.model import Node, Options

T = TypeVar("T")

OAR_ALONE = "OAR alone: the smoke checks' jobs"


def _delta(text: str) -> float:
    hours, minutes, seconds = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes), seconds=float(seconds)).total_seconds()


def work_seconds(run: Run) -> float:
    total = 0.0
    for play in (run.result or {}).get("plays", []):
        for task in play["tasks"]:
            for res in task["hosts"].values():
                try:
                    delay = float(res.get("_delay") or 0)
                except (TypeError, ValueError):
                    delay = 0.0
                if isinstance(res.get("report"), dict) and "ended" in res["report"]:  # oar.nxc.oar_smoke's run
                    total += float(res["report"]["ended"]) - float(res["report"]["started"])
                    continue
                items = res["results"] if isinstance(res.get("results"), list) else [res]
                for item in items:
                    if not isinstance(item, dict):
                        continue
                    attempts = int(item.get("attempts") or 1)
                    if item.get("delta"):
                        total += _delta(item["delta"]) * attempts + delay * (attempts - 1)
                    elif "elapsed" in item and task["task"].get("action", "").endswith(("wait_for", "nxc_build")):
                        total += float(item["elapsed"])
                    elif attempts > 1:
                        total += delay * (attempts - 1)
    return total


def tasks(run: Run) -> int:
    return sum(len(task["hosts"]) for play in (run.result or {}).get("plays", []) for task in play["tasks"])


def baseline(machines: int, nodefile: str) -> float:
    """Seconds of bench/baseline.sh on a fresh copy of the compositions, with the testbed's stand-ins."""
    raw = yaml.safe_load((REPO / "tests/testbed/testbed-vars.yml").read_text())
    standin = str(REPO / "tests/testbed/standin")
    path = f"{standin}:{BIN}:/usr/sbin:/usr/bin:/sbin:/bin"
    env = {**os.environ, "PATH": path, "USER": "root", "NFS_STORE": "10.213.0.1:/nix/store",
           "NIXOS_COMPOSE_START_SSH": f"{standin}/nxc-standin-kexec-ssh", "NXC": str(BIN / "nxc"),
           "KEY": raw["oar_nxc_private_key"], "SMOKE_USER": raw["oar_nxc_smoke_user"],
           "JOB_TYPES": " ".join(f"-t {t}" for t in raw["oar_nxc_smoke_job_types"])}
    with tempfile.TemporaryDirectory() as tmp:
        comp = copy_compositions(Path(tmp)) / "master"
        machine_file = Path(tmp) / "machines"
        names = list(dict.fromkeys(Path(nodefile).read_text().split()))[:machines]
        machine_file.write_text("".join(f"{n}\n" for n in names))
        started = time.monotonic()
        subprocess.run([str(REPO / "bench/baseline.sh"), str(comp), str(machine_file), "-r",
                        f"node={machines - 2}"], env=env, check=True, timeout=900)
        return time.monotonic() - started


def rest_api_alone(options: Options, gate: threading.Event) -> int:
    """The REST API check's own OAR work (OAR 2.5, oar_nxc.smoke.api), in its order: ``oarsub -V``; once the
    gate's ``oarnodes`` has read OAR's database (GATE), its job (oar_nxc.smoke.jobs.rest_api_body) posted at the
    authenticated URL as the smoke user, then the API's resources, the job read back and the API's version.
    The job's id."""
    subprocess.run(["oarsub", "-V"], capture_output=True, text=True, check=True, timeout=60)
    api = API_URLS["2.5"]
    private = api.replace("/oarapi/", "/oarapi-priv/")
    password = (tb.STATE / "api-password").read_text().strip()
    host = RecordingHost([], [], threading.Lock())  # urllib on this machine, as record_oar asks the API
    if not gate.wait(60):  # oarnodes failed: the bench stops there, no job posted
        raise SystemExit("OAR alone: oarnodes -s -J did not read OAR's database within 60 s")
    answers = [host.http("POST", private + "jobs.json", body=smoke_jobs.rest_api_body(options), user=tb.USER,
                         password=password)]
    job = answers[-1][1].get("id") if isinstance(answers[-1][1], dict) else None
    answers.append(host.http("GET", api + "resources.json"))
    if isinstance(job, int):
        answers.append(host.http("GET", f"{private}jobs/{job}.json", user=tb.USER, password=password))
    answers.append(host.http("GET", api + "version.json"))
    if not isinstance(job, int) or any(status not in (200, 201, 202) for status, _answer, _error in answers):
        raise SystemExit(f"OAR alone: the REST API check's requests failed: {host.http_calls}")
    return job


def oar_alone_checks(addresses: list[str], timeout: float = 240) -> float:
    """OAR's own work for the smoke checks, without Ansible and without the smoke runner: what the checks ask
    of OAR, asked as directly as they can be. The REST API check's requests and job (rest_api_alone), from
    the start on a thread of their own as the runner asks them; meanwhile the gate's ``oarnodes -s -J``, then
    the very oarsub arguments the job checks submit (oar_nxc.smoke.jobs, their one owner: the batch job's
    script on every compute node, the failing job, the job to delete), all at once as the runner submits them,
    as the smoke user with the testbed's job types, and after them the reservation check's ``oarsub -r`` and
    its ``oardel``; then ``oarstat -s -J`` every 0.2 s until each job (the REST API's too) has ended, the
    oardel job deleted as soon as it runs, and what the checks read of each job that ended (``oarstat -f -J``,
    and the batch job's stdout and stderr). The node_sshd gate is a port probe, no OAR work. Seconds from the
    first request to the last end."""
    options = Options(user=tb.USER, submit="", nodes=[Node(name=a, address=a) for a in addresses],
                      job_types=list(tb.SHARED))
    names = [n for n in smoke_checks.names("job") if n != "reservation"]
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        gate = threading.Event()  # set once oarnodes has read OAR's database
        rest: Future[int] | None = pool.submit(rest_api_alone, options, gate)  # None once its job is awaited
        subprocess.run(["oarnodes", "-s", "-J"], capture_output=True, text=True, check=True, timeout=60)
        gate.set()
        pending: dict[int, str] = {}
        specs = smoke_jobs.specs(options, names)
        with ThreadPoolExecutor(len(specs)) as submitting:  # at once, as the runner submits them
            outs = list(submitting.map(lambda spec: tb.as_user("cd && " + shlex.join(
                ["oarsub", *smoke_jobs.types(options), *spec[1]])), specs))
        for (name, _args), out in zip(specs, outs, strict=True):
            match = tb.JOB_ID_RE.search(out.stdout)
            if out.returncode != 0 or match is None:
                raise SystemExit(f"OAR alone: oarsub for {name} failed: {out.stdout}{out.stderr}")
            pending[int(match.group(1))] = name
        at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() + 60 * smoke_jobs.reservation_minutes(
            options.walltime)))
        asked = tb.as_user("cd && " + shlex.join(["oarsub", *smoke_jobs.types(options), "-r", at, "-l",
                                                  "nodes=1,walltime=0:01:00", "-p",
                                                  smoke_jobs.property_of(addresses[:1]), "sleep 1"]))
        reserved = tb.JOB_ID_RE.search(asked.stdout)
        if reserved is not None:
            tb.as_user(f"oardel {int(reserved.group(1))}")
        deleted: set[int] = set()
        deadline = time.monotonic() + timeout
        while pending or rest is not None:
            if time.monotonic() > deadline:
                raise SystemExit(f"OAR alone: jobs {sorted(pending)} not ended after {timeout:g} s")
            if rest is not None and rest.done():
                pending[rest.result()] = "rest_api"
                rest = None
            states = {int(j): s for j, s in json.loads(subprocess.run(
                ["oarstat", "-s", "-J", *[w for j in pending for w in ("-j", str(j))]], capture_output=True,
                text=True, check=True, timeout=60).stdout or "{}").items()} if pending else {}
            ended = []
            for job, name in list(pending.items()):
                if name == "oardel" and job not in deleted and states.get(job) == "Running":
                    tb.as_user(f"oardel {job}")
                    deleted.add(job)
                elif states.get(job) in tb.FINAL_STATES:
                    del pending[job]
                    ended += [(job, name)] if name != "rest_api" else []  # the REST API's job is not read back
            if ended:  # what the checks read of an ended job: OAR's account of it, the batch job's output
                subprocess.run(["oarstat", "-f", "-J", *[w for j, _name in ended for w in ("-j", str(j))]],
                               capture_output=True, text=True, check=True, timeout=60)
                for job in (j for j, name in ended if name == "batch_job"):
                    tb.as_user(f"cd && cat OAR.{job}.stdout OAR.{job}.stderr")
            time.sleep(0.2)
    return time.monotonic() - started


def _busy() -> tuple[int, int]:
    """This machine's CPU time so far (/proc/stat's first line, in ticks): busy and total."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return sum(ticks) - idle, sum(ticks)


def settle(keep: int, timeout: float = 60) -> None:
    """Until OAR runs no job but the reservation KEEP (the previous run's smoke jobs are done), then until the
    machine is quiet: less than QUIET of its CPU busy over half a second (OAR's clean-up of the previous run's
    jobs and nodes, or the release of a larger reservation, is not the pipeline's). Each wait is bounded by
    TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and set(oar_jobs()) - {str(keep)}:
        time.sleep(0.5)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy, total = _busy()
        time.sleep(0.5)
        busy2, total2 = _busy()
        if busy2 - busy < QUIET * max(1, total2 - total):
            return


def close_masters() -> None:
    """Close the controller's ssh masters (Ansible's and the role check's, ~/.ansible/cp): a node's reboot into its
    image drops them on Grid'5000, and the testbed's stand-in for the reboot keeps the nodes' sshd running, so a
    deploy from scratch would otherwise find the last run's connections open."""
    folder = Path.home() / ".ansible" / "cp"
    alive = []
    for socket in sorted(folder.iterdir()) if folder.is_dir() else []:
        # the host name is only a word ssh checks (the path names the master), but it must be a valid one
        ask = ["ssh", "-o", f"ControlPath={socket}", "-O"]
        subprocess.run([*ask, "exit", "bench"], capture_output=True, check=False, timeout=30)
        if subprocess.run([*ask, "check", "bench"], capture_output=True, check=False, timeout=30).returncode == 0:
            alive.append(socket.name)
    if alive:
        raise SystemExit(f"bench: ssh masters still open after -O exit: {', '.join(alive[:5])}")


SCRATCH = "deploy.yml, from scratch, smoke off"
NOOP = "deploy.yml, no-op rerun, smoke off"
SMOKE = "smoke.yml"
MITOGEN = "deploy.yml, no-op rerun, smoke off, mitogen"
BASELINE = "bash baseline (build, start, checks)"
NOOP_RUNS = 3  # the no-op rerun is short and this machine is noisy (+-20 % run to run): the median of 3
# a deploy from scratch: one run at 4 machines took 16.0, 16.0 and 19.0 s on 2026-12-07 (the first while OAR was
# still releasing a job of 128 machines): the median of 3, each on a fresh copy of the compositions
SCRATCH_RUNS = 3
QUIET = 0.15  # settle: the share of the machine's CPU busy under which a run may start
# the smallest size's deploy runs again after the largest size's: this machine's speed drifts by 20 % and more
# within an hour (a no-op rerun at 4 machines: 4.2 s at 04:20, 3.0 s at 11:05, the same code), and a ratio of
# the largest size to the smallest is read against both, the runs before and after it
AGAIN = ", again after the largest size"
# smoke.yml and OAR alone in pairs, the two runs of a pair one right after the other (both see the machine as it
# is then). OAR's own run of the same jobs varies by the target's 20 % and more (OAR alone 4.4 to 7.3 s at 4
# machines in 4 runs on 2026-12-07, the slowest check, oardel's, 4.6 to 7.7 s; the batch job on 14 nodes ran 9 to
# 12 s at 16): the median of 9 pairs up to SMOKE_RUNS_UP_TO machines (a pair takes 15 to 25 s there), of 5 above
SMOKE_RUNS, SMOKE_RUNS_UP_TO, SMOKE_RUNS_LARGE = 9, 16, 5
BASELINE_UP_TO = 16  # machines: the bash baseline's checks run one after the other; enough to compare with


def mitogen_env(target: Path) -> dict[str, str] | None:
    """Mitogen's strategy from PyPI in TARGET (never the project's environment), when it installs and says it
    supports this ansible-core; else None."""
    done = subprocess.run([str(BIN / "pip"), "install", "-q", "--target", str(target), "mitogen"],
                          capture_output=True, text=True, check=False, timeout=300)
    strategy = target / "ansible_mitogen" / "plugins" / "strategy"
    if done.returncode != 0 or not strategy.is_dir():
        print(f"mitogen: not measured, it did not install: {done.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return {"PYTHONPATH": str(target), "ANSIBLE_STRATEGY_PLUGINS": str(strategy), "ANSIBLE_STRATEGY": "mitogen_linear"}


# each boot of the testbed's stand-in for the reboot into the image appends its CPU seconds here: on Grid'5000 the
# node does that work, so the controller's CPU is counted without it (and the stand-in's is shown apart)
STANDIN_CPU = tb.STATE / "standin-cpu.log"


def timed(name: str, *args: str, inventory: str, compositions: Path, env: dict[str, str] | None = None
          ) -> tuple[Run, dict[str, float]]:
    """The run and what it cost the controller (bench/rusage.py). The core is this checkout's (src/ first on
    PYTHONPATH), whatever the environment has installed: a worktree of an older commit measures that commit."""
    core = {"PYTHONPATH": os.pathsep.join(p for p in (str(REPO / "src"), (env or {}).get("PYTHONPATH", "")) if p)}
    STANDIN_CPU.unlink(missing_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".json") as cost:
        run = playbook(name, *args, inventory=inventory, compositions=compositions, env={**(env or {}), **core},
                       wrap=[sys.executable, "-m", "bench.rusage", cost.name, "--"])
        spent = json.loads(Path(cost.name).read_text() or "{}")
    standin = sum(float(x) for x in STANDIN_CPU.read_text().split()) if STANDIN_CPU.exists() else 0.0
    total = float(spent.get("cpu_s", 0.0))
    return run, {"cpu_s": round(total - standin, 3), "standin_cpu_s": round(standin, 3), "total_cpu_s": total,
                 "machine_cpu_s": float(spent.get("machine_cpu_s", 0.0)),
                 "maxrss_mb": round(spent.get("maxrss_kb", 0) / 1024, 1)}


def row(machines: int, label: str, run: Run | None, wall: float, cost: dict[str, float] | None = None
        ) -> dict[str, object]:
    work = work_seconds(run) if run is not None else wall
    return {"machines": machines, "run": label, "tasks": tasks(run) if run is not None else 0,
            "wall_s": round(wall, 1), "work_s": round(work, 1), "ansible_overhead_s": round(wall - work, 1),
            "cpu_s": round((cost or {}).get("cpu_s", 0.0), 2), "standin_cpu_s": round((cost or {}).get(
                "standin_cpu_s", 0.0), 2), "machine_cpu_s": round((cost or {}).get("machine_cpu_s", 0.0), 2),
            "maxrss_mb": (cost or {}).get("maxrss_mb", 0.0)}


def checks_span(report: dict[str, Any]) -> float:
    """Seconds from the first check's start to the last check's end, as a smoke report says: the runner's part of
    smoke.yml (its OAR commands and polls), without Ansible's plays around it."""
    checks = report.get("checks") or []
    return max(float(c["ended"]) for c in checks) - min(float(c["started"]) for c in checks) if checks else 0.0


def median(values: Sequence[T], key: Callable[[T], Any] | None = None) -> T:
    """The middle value, by KEY (of an odd count; the upper middle of an even one): every median of the rows."""
    return sorted(values, key=key)[len(values) // 2]  # type: ignore[type-var, arg-type]


def ansible_rest(run: Run, report: dict[str, Any]) -> float:
    """smoke.yml's wall time less its start-up and the checks' span: Ansible's own part (its plays around the
    checks, and the exit)."""
    return run.seconds - run.startup() - checks_span(report)


def repeats(label: str, machines: int) -> int:
    """How many runs a row's median is taken of."""
    label = label.removesuffix(AGAIN)
    if label == NOOP:
        return NOOP_RUNS
    if label == SCRATCH:
        return SCRATCH_RUNS
    if label == SMOKE:  # and OAR alone, which runs once after each smoke.yml run
        return SMOKE_RUNS if machines <= SMOKE_RUNS_UP_TO else SMOKE_RUNS_LARGE
    return 1


def measure(machines: int, mitogen: dict[str, str] | None, again: bool = False) -> list[dict[str, object]]:
    """The rows of MACHINES; AGAIN: the deploy runs only, labelled AGAIN (the smallest size after the largest)."""
    clear_jobs()
    reservation = tb.reserve(machines, walltime="1:00:00", timeout=180)
    rows: list[dict[str, object]] = []
    alone: list[float] = []  # OAR alone, one run beside each smoke.yml run (the pairs, in order)
    compute: list[str] = []  # the batch job's hosts, as the last smoke.yml report said
    roles = json.dumps({"oar_nxc_roles": {"node": machines - 2}})
    runs: list[tuple[str, str, list[str], dict[str, str] | None]] = [
        (SCRATCH, "deploy.yml", ["-e", "oar_nxc_smoke=false"], None),
        (NOOP, "deploy.yml", ["-e", "oar_nxc_smoke=false"], None),
        (SMOKE, "smoke.yml", [], None)]
    if again:
        runs = [(label + AGAIN, name, extra, env) for label, name, extra, env in runs[:2]]
    if mitogen is not None and not again:
        runs.append((MITOGEN, "deploy.yml", ["-e", "oar_nxc_smoke=false"], mitogen))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            compositions = Path(tmp) / "none" / "compositions"
            for label, name, extra, env in runs:
                measured: list[tuple[Run, dict[str, float], dict[str, Any]]] = []  # with smoke.yml's report
                for attempt in range(repeats(label, machines)):
                    if label.startswith(SCRATCH):  # nothing built or deployed from it yet, no connection open
                        shutil.rmtree(compositions.parent, ignore_errors=True)  # the last run's deployment is gone
                        compositions = copy_compositions(Path(tmp) / f"scratch-{attempt}")
                        close_masters()
                    alone_first = name == "smoke.yml" and attempt % 2 == 1 and bool(compute)
                    if alone_first:  # every other pair, OAR alone first, then smoke.yml on the machine it left
                        settle(reservation.job_id)
                        alone.append(oar_alone_checks(compute))
                    settle(reservation.job_id)
                    run, cost = timed(name, "-e", roles, *extra, inventory=reservation.nodefile,
                                      compositions=compositions, env=env)
                    report = json.loads((compositions / "master/.oar-nxc/reports/report.json").read_text()) \
                        if name == "smoke.yml" and run.rc == 0 else {}
                    measured.append((run, cost, report))
                    if run.rc != 0:
                        break
                    if name == "smoke.yml":
                        compute = sorted(next(c.get("job_hosts") or [] for c in report["checks"]
                                              if c["name"] == "batch_job"))
                        if not alone_first:  # its reference right after it, on the machine as it is then
                            settle(reservation.job_id)
                            alone.append(oar_alone_checks(compute))
                run, cost, report = median(measured, key=lambda m: m[0].seconds)
                if any(m[0].rc != 0 for m in measured):
                    run = next(m[0] for m in measured if m[0].rc != 0)
                    if label == MITOGEN:  # measured only: a failure under mitogen is a finding, not the bench's
                        print(f"mitogen at {machines} machines failed: {run.explain()[-800:]}", file=sys.stderr)
                        continue
                    raise SystemExit(run.explain())
                entry = row(machines, label, run, run.seconds, cost)
                if len(measured) > 1:
                    entry["runs_wall_s"] = sorted(round(m[0].seconds, 1) for m in measured)
                keep = REPO / "bench" / "out" / f"record-{machines}-{label.replace(' ', '').replace(',', '-')}.json"
                keep.parent.mkdir(exist_ok=True)
                keep.write_text(json.dumps(run.result))  # per play, task and host: where the time went
                if name == "smoke.yml":  # against its own checks (issue 15) and OAR alone (issue 28)
                    seconds = [float(c["seconds"]) for c in report["checks"]]
                    entry.update(checks_sum_s=round(sum(seconds), 1), slowest_check_s=round(max(seconds), 1),
                                 startup_s=round(run.startup(), 1), checks_span_s=round(checks_span(report), 1),
                                 ansible_rest_s=round(ansible_rest(run, report), 2),
                                 passed=min(sum(1 for c in m[2]["checks"] if c["status"] == "passed")
                                            for m in measured),  # the fewest passed of all runs
                                 checks=len(report["checks"]))
                    pairs = sorted(m[0].seconds / (a + m[0].startup()) for m, a in zip(measured, alone, strict=False))
                    entry.update(paired_ratios=[round(r, 2) for r in pairs], paired_ratio=round(median(pairs), 2),
                                 ansible_rest_runs_s=sorted(round(ansible_rest(m[0], m[2]), 2) for m in measured))
                rows.append(entry)
        if alone:
            rows.append(row(machines, OAR_ALONE, None, median(alone)))
        if len(alone) > 1:
            rows[-1]["runs_wall_s"] = sorted(round(a, 1) for a in alone)
        if machines <= BASELINE_UP_TO and not again:
            clear_jobs()
            rows.append(row(machines, BASELINE, None, baseline(machines, reservation.nodefile)))
    finally:
        tb.release(reservation.job_id)
    return rows


def report(rows: list[dict[str, object]], sizes: list[int]) -> None:
    width = max(len(str(r["run"])) for r in rows)
    print(f"{'machines':>8}  {'run':<{width}}  tasks   wall   work  overhead  cpu_s  standin_s  machine_s  peak_MB")
    for r in rows:
        print(f"{r['machines']:>8}  {r['run']:<{width}}  {r['tasks']:>5}  {r['wall_s']:5.1f}  {r['work_s']:5.1f}  "
              f"{r['ansible_overhead_s']:8.1f}  {r['cpu_s']:5.1f}  {r.get('standin_cpu_s', 0.0):9.1f}  "
              f"{r.get('machine_cpu_s', 0.0):9.1f}  {r['maxrss_mb']:7.1f}")
    got = {(int(r["machines"]), str(r["run"])): r for r in rows}  # type: ignore[call-overload]
    small, large = min(sizes), max(sizes)
    for label in (SCRATCH, NOOP, SMOKE, MITOGEN):
        if (small, label) in got and (large, label) in got:
            a, b = got[(small, label)], got[(large, label)]
            per = (float(b["cpu_s"]) - float(a["cpu_s"])) / max(1, large - small) * 1000  # type: ignore[arg-type]
            print(f"{label}: {large}/{small} machines {float(b['wall_s']) / float(a['wall_s']):.2f}x wall "  # type: ignore[arg-type]
                  f"({a['wall_s']} s -> {b['wall_s']} s); controller CPU {a['cpu_s']} s -> {b['cpu_s']} s, "
                  f"{per:.0f} ms per added machine (target <= 50 ms); peak {b['maxrss_mb']} MB")
            if (small, label + AGAIN) in got:  # against the smallest size after the largest, and the mean of both
                c = got[(small, label + AGAIN)]
                mean = (float(a["wall_s"]) + float(c["wall_s"])) / 2  # type: ignore[arg-type]
                cpu = (float(a["cpu_s"]) + float(c["cpu_s"])) / 2  # type: ignore[arg-type]
                print(f"{label}: {small} machines again after {large}: {c['wall_s']} s, CPU {c['cpu_s']} s; "
                      f"{large}/{small} {float(b['wall_s']) / float(c['wall_s']):.2f}x against it, "  # type: ignore[arg-type]
                      f"{float(b['wall_s']) / mean:.2f}x against the mean of both ({mean:.1f} s); controller CPU "  # type: ignore[arg-type]
                      f"{(float(b['cpu_s']) - cpu) / max(1, large - small) * 1000:.0f} ms per added machine "  # type: ignore[arg-type]
                      "against the mean")
    for size in sizes:
        if (size, NOOP) in got:
            print(f"{size} machines, no-op rerun: {got[(size, NOOP)]['wall_s']} s, the median of "
                  f"{got[(size, NOOP)].get('runs_wall_s')} (target <= 6 s at 128)")
        if (size, SMOKE) in got and (size, OAR_ALONE) in got:
            s, alone = got[(size, SMOKE)], got[(size, OAR_ALONE)]
            bound = float(alone["wall_s"]) + float(s["startup_s"])  # type: ignore[arg-type]
            print(f"{size} machines, smoke.yml {s['wall_s']} s, {s['passed']}/{s['checks']} checks passed; OAR alone "
                  f"{alone['wall_s']} s + start-up {s['startup_s']} s: {float(s['wall_s']) / bound:.2f}x "  # type: ignore[arg-type]
                  f"(target <= 1.2x); the slowest check {s['slowest_check_s']} s")
            print(f"{size} machines, smoke.yml against the OAR alone run beside it, pair by pair: median "
                  f"{s.get('paired_ratio')}x of {s.get('paired_ratios')}; its wall {s['wall_s']} s = start-up "
                  f"{s['startup_s']} s + the checks' span {s.get('checks_span_s')} s + Ansible's rest "
                  f"{s.get('ansible_rest_s')} s (all runs: {s.get('ansible_rest_runs_s')})")
        if (size, BASELINE) in got:
            ratio = float(got[(size, SCRATCH)]["wall_s"]) / float(got[(size, BASELINE)]["wall_s"])  # type: ignore[arg-type]
            print(f"{size} machines, deploy.yml from scratch (smoke off) / bash baseline (with checks): {ratio:.2f}x")
        if (size, MITOGEN) in got:
            m, n = got[(size, MITOGEN)], got[(size, NOOP)]
            print(f"{size} machines, no-op rerun under mitogen: {m['wall_s']} s vs {n['wall_s']} s, CPU "
                  f"{m['cpu_s']} s vs {n['cpu_s']} s")


def main() -> int:
    sizes = sorted(int(a) for a in sys.argv[1:]) or [4, 16, 64, 128]
    script = str(REPO / "tests/testbed/testbed.sh")
    was = (tb.STATE / "nodes").read_text().strip() if (tb.STATE / "nodes").exists() else None
    subprocess.run([script, "up"], check=True, capture_output=True,
                   env={**os.environ, "TESTBED_NODES": str(max(sizes))})
    try:
        with tempfile.TemporaryDirectory() as tmp:
            mitogen = mitogen_env(Path(tmp) / "mitogen") if os.environ.get("OAR_NXC_BENCH_MITOGEN") else None
            rows = [entry for size in sizes for entry in measure(size, mitogen)]
            if len(sizes) > 1:  # the smallest size again: the machine's drift during the bench
                rows += measure(min(sizes), mitogen, again=True)
    finally:  # the testbed as the bench found it: down, or up with its own number of nodes
        subprocess.run([script, "up" if was else "down"], check=True, capture_output=True,
                       env={**os.environ, "TESTBED_NODES": was or "4"})
        shutil.rmtree(WORK_DIR, ignore_errors=True)  # the runs' work and state directory (tests/conftest.py)
    report(rows, sizes)
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "pipeline.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
