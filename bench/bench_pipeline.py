"""Wall time of deploy.yml (from scratch), of a no-op rerun (smoke off) and of smoke.yml on the
testbed with 4 and with 16 machines (master with `node` x 2 and x 14), the tasks executed, the
share of Ansible's own overhead, and the baseline: the seed's manual flow in plain bash
(bench/baseline.sh: nxc build, nxc start -m, the same OAR checks one after the other).

Targets (issue 11): no-op rerun under 8 s on 4 machines; at 16 machines the rerun and the
from-scratch deploy within 1.2x their 4-machine figures; deploy.yml from scratch within 1.5x
the bash baseline. Issue 15: smoke.yml within 1.2x its slowest check plus Ansible's start-up
(from starting ansible-playbook to its first play); the checks' own times come from its report.

For reference, OAR alone: one job that runs ``true`` on the compute nodes, from oarsub to
Terminated, without Ansible (OAR's own per-node cost on this machine).

Each run starts once OAR has finished the jobs of the previous one (the smoke checks' jobs):
what is measured is the pipeline, not OAR's clean-up of the last run sharing the 2 cores.

Work = the time the external programs ran: every command result's `delta` (times its attempts,
plus the retry delays between them: OAR polling), every wait_for's `elapsed` and the smoke
action's run (its OAR commands and polling, from its report). Overhead =
wall time - work: Ansible's start-up, templating, module transfer, ssh round trips, facts.
Needs root; brings the testbed up with 16 nodes, then back as it found it. Usage: python -m bench.bench_pipeline [4 16]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import yaml
from tests.conftest import BIN, REPO
from tests.integration.pipeline import Run, clear_jobs, copy_compositions, oar_jobs, playbook
from tests.testbed import oar_testbed as tb

OAR_ALONE = "OAR alone: a `true` job on the nodes"


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


def oar_alone(nodes: int, runs: int = 3) -> float:
    """OAR's own cost of one job on NODES nodes, without the pipeline: seconds from ``oarsub`` to
    Terminated of a job that runs ``true`` (timesharing, as the smoke jobs), the median of RUNS.
    It sets up and cleans up every node over ssh (OAR's job resource manager, its node check), all
    on this machine's 2 cores: the part of the smoke checks' growth that is OAR's."""
    seconds = []
    for _unused in range(runs):
        started = time.monotonic()
        job = tb.submit(f"nodes={nodes},walltime=0:05:00", "true", tb.SHARED)
        tb.wait_state(job, ("Terminated",), timeout=120)
        seconds.append(time.monotonic() - started)
    return sorted(seconds)[len(seconds) // 2]


def settle(keep: int, timeout: float = 60) -> None:
    """Until OAR runs no job but the reservation KEEP (the previous run's smoke jobs are done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and set(oar_jobs()) - {str(keep)}:
        time.sleep(0.5)


def measure(machines: int) -> list[dict[str, object]]:
    clear_jobs()
    reservation = tb.reserve(machines)
    rows: list[dict[str, object]] = []
    roles = json.dumps({"oar_nxc_roles": {"node": machines - 2}})
    try:
        with tempfile.TemporaryDirectory() as tmp:
            compositions = copy_compositions(Path(tmp))
            for label, name, extra in (("deploy.yml, from scratch", "deploy.yml", []),
                                       ("deploy.yml, no-op rerun, smoke off", "deploy.yml",
                                        ["-e", "oar_nxc_smoke=false"]),
                                       ("smoke.yml", "smoke.yml", [])):
                settle(reservation.job_id)
                run = playbook(name, "-e", roles, *extra, inventory=reservation.nodefile, compositions=compositions)
                if run.rc != 0:
                    raise SystemExit(run.explain())
                work = work_seconds(run)
                row = {"machines": machines, "run": label, "tasks": tasks(run), "wall_s": round(run.seconds, 1),
                       "work_s": round(work, 1), "ansible_overhead_s": round(run.seconds - work, 1),
                       "overhead_share": round((run.seconds - work) / run.seconds, 2)}
                if name == "smoke.yml":  # against its own checks (issue 15)
                    report = json.loads((compositions / "master/.oar-nxc/reports/report.json").read_text())
                    seconds = [float(c["seconds"]) for c in report["checks"]]
                    row.update(checks_sum_s=round(sum(seconds), 1), slowest_check_s=round(max(seconds), 1),
                               startup_s=round(run.startup(), 1))
                rows.append(row)
        settle(reservation.job_id)
        seconds = oar_alone(machines - 2)
        rows.append({"machines": machines, "run": OAR_ALONE, "tasks": 0, "wall_s": round(seconds, 1),
                     "work_s": round(seconds, 1), "ansible_overhead_s": 0.0, "overhead_share": 0.0})
        clear_jobs()
        seconds = baseline(machines, reservation.nodefile)
        rows.append({"machines": machines, "run": "bash baseline (build, start, checks)", "tasks": 0,
                     "wall_s": round(seconds, 1), "work_s": round(seconds, 1), "ansible_overhead_s": 0.0,
                     "overhead_share": 0.0})
    finally:
        tb.release(reservation.job_id)
    return rows


def main() -> int:
    sizes = [int(a) for a in sys.argv[1:]] or [4, 16]
    script = str(REPO / "tests/testbed/testbed.sh")
    was = (tb.STATE / "nodes").read_text().strip() if (tb.STATE / "nodes").exists() else None
    subprocess.run([script, "up"], check=True, capture_output=True,
                   env={**os.environ, "TESTBED_NODES": str(max(sizes))})
    try:
        rows = [row for size in sizes for row in measure(size)]
    finally:  # the testbed as the bench found it: down, or up with its own number of nodes
        subprocess.run([script, "up" if was else "down"], check=True, capture_output=True,
                       env={**os.environ, "TESTBED_NODES": was or "4"})
    width = max(len(str(r["run"])) for r in rows)
    print(f"{'machines':>8}  {'run':<{width}}  tasks   wall   work  overhead  share")
    for r in rows:
        print(f"{r['machines']:>8}  {r['run']:<{width}}  {r['tasks']:>5}  {r['wall_s']:5.1f}  {r['work_s']:5.1f}  "
              f"{r['ansible_overhead_s']:8.1f}  {r['overhead_share']:5.0%}")
    wall = {(r["machines"], r["run"]): float(r["wall_s"]) for r in rows}  # type: ignore[arg-type]
    if 4 in sizes and 16 in sizes:
        for label in ("deploy.yml, from scratch", "deploy.yml, no-op rerun, smoke off"):
            print(f"16/4 machines, {label}: {wall[(16, label)] / wall[(4, label)]:.2f}x (target <= 1.2x)")
        print(f"16/4 machines, {OAR_ALONE}: {wall[(16, OAR_ALONE)] / wall[(4, OAR_ALONE)]:.2f}x (OAR's own, "
              "for reference)")
    for size in sizes:
        ratio = wall[(size, "deploy.yml, from scratch")] / wall[(size, "bash baseline (build, start, checks)")]
        print(f"{size} machines, deploy.yml from scratch / bash baseline: {ratio:.2f}x (target <= 1.5x)")
    for r in rows:
        if "slowest_check_s" in r:
            bound = float(r["slowest_check_s"]) + float(r["startup_s"])  # type: ignore[arg-type]
            print(f"{r['machines']} machines, smoke.yml {r['wall_s']} s; its checks {r['checks_sum_s']} s in all, the "
                  f"slowest {r['slowest_check_s']} s, Ansible's start-up {r['startup_s']} s: "
                  f"{float(r['wall_s']) / bound:.2f}x the slowest check plus start-up (target <= 1.2x)")  # type: ignore[arg-type]
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
