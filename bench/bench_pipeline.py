"""Wall time of deploy.yml (from scratch), of a no-op rerun and of smoke.yml on the 4-node
testbed, and the share of it that is Ansible's own overhead.

Work = the time the external programs ran: every command result's `delta` (times its attempts,
plus the retry delays between them: OAR polling) and every wait_for's `elapsed`. Overhead =
wall time - work: Ansible's start-up, templating, module transfer, ssh round trips, facts.
Needs root and the testbed (make testbed). Usage: python -m bench.bench_pipeline
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from tests.integration.pipeline import Run, clear_jobs, copy_compositions, playbook
from tests.testbed import oar_testbed as tb


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


def main() -> int:
    clear_jobs()
    reservation = tb.reserve(4)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            compositions = copy_compositions(Path(tmp))
            for label, name in (("deploy.yml, from scratch", "deploy.yml"), ("deploy.yml, no-op rerun", "deploy.yml"),
                                ("smoke.yml", "smoke.yml")):
                run = playbook(name, inventory=reservation.nodefile, compositions=compositions)
                if run.rc != 0:
                    print(run.explain(), file=sys.stderr)
                    return 1
                work = work_seconds(run)
                rows.append({"run": label, "wall_s": round(run.seconds, 1), "work_s": round(work, 1),
                             "ansible_overhead_s": round(run.seconds - work, 1),
                             "overhead_share": round((run.seconds - work) / run.seconds, 2)})
    finally:
        tb.release(reservation.job_id)
    width = max(len(r["run"]) for r in rows)
    print(f"{'run':<{width}}  wall   work  overhead  share")
    for r in rows:
        print(f"{r['run']:<{width}}  {r['wall_s']:5.1f}  {r['work_s']:5.1f}  {r['ansible_overhead_s']:8.1f}  "
              f"{r['overhead_share']:5.0%}")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
