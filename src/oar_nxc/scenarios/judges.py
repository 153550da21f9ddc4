"""The judges of a scenario: its own expectations, and the scheduler's invariants, each a pure function of OAR's
account (:mod:`oar_nxc.scenarios.account`).

* An expectation names a job (every job of an array) and what OAR must report of it.
* The invariants hold for every run, whatever the scenario:
  - no resource is held by two jobs at overlapping times, unless one of them shares it on purpose
    (``timesharing``), or one is an ``inner`` job inside the other (its container);
  - every job has reached a final state within the scenario's bound (the engine says which did not).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from itertools import combinations

from oar_nxc.scenarios.account import JobRecord
from oar_nxc.scenarios.spec import Expect

FINAL = ("Terminated", "Error")


def _span(job: JobRecord, now: float) -> tuple[float, float] | None:
    """[start, end) of the time the job held its resources; None when it never started."""
    if not job.started:
        return None
    return float(job.started), float(job.stopped) if job.stopped else now


def judge(expect: Expect, jobs: Mapping[str, Sequence[JobRecord]]) -> list[str]:
    """What is wrong with EXPECT, in words (empty: it holds)."""
    wrong: list[str] = []
    mine = jobs.get(expect.job, ())
    if not mine:
        return [f"{expect.job}: OAR has no job for it (its submission failed)"]
    for job in mine:
        said = f"{expect.job} (job {job.job_id})"
        if expect.states and job.state not in expect.states:
            wrong.append(f"{said}: state {job.state}, expected {' or '.join(expect.states)}")
        if expect.exit_status is not None and job.exit_status != expect.exit_status:
            wrong.append(f"{said}: exit status {job.exit_status}, expected {expect.exit_status}")
        if expect.never_started and job.started:
            wrong.append(f"{said}: started at {job.started}, expected never to start")
        if expect.event and expect.event not in [kind for kind, _text in job.events]:
            kinds = ", ".join(sorted({kind for kind, _text in job.events})) or "none"
            wrong.append(f"{said}: no {expect.event} event (its events: {kinds})")
        if expect.started_after:
            for other in jobs.get(expect.started_after, ()):
                if job.started and (not other.stopped or job.started < other.stopped):
                    wrong.append(f"{said}: started at {job.started}, before {expect.started_after} (job "
                                 f"{other.job_id}) stopped ({other.stopped or 'it has not'})")
        if expect.overlaps:
            now = time.time()
            for other in jobs.get(expect.overlaps, ()):
                a, b = _span(job, now), _span(other, now)
                if a is None or b is None or a[0] >= b[1] or b[0] >= a[1]:
                    wrong.append(f"{said}: did not run while {expect.overlaps} (job {other.job_id}) ran "
                                 f"({a} and {b})")
    return wrong


def _inner_of(job: JobRecord) -> int | None:
    for kind in job.types:
        name, _sep, value = kind.partition("=")
        if name == "inner" and value.isdigit():
            return int(value)
    return None


def double_booked(jobs: Sequence[JobRecord], now: float | None = None) -> list[str]:
    """Every pair of jobs that held one resource at overlapping times, neither sharing it on purpose."""
    at = time.time() if now is None else now
    found = []
    for a, b in combinations(sorted(jobs, key=lambda j: j.job_id), 2):
        if a.timesharing or b.timesharing or _inner_of(a) == b.job_id or _inner_of(b) == a.job_id:
            continue
        shared = sorted(set(a.resources) & set(b.resources))
        sa, sb = _span(a, at), _span(b, at)
        if not shared or sa is None or sb is None or sa[0] >= sb[1] or sb[0] >= sa[1]:
            continue
        found.append(f"jobs {a.job_id} and {b.job_id} both held resource(s) {', '.join(map(str, shared[:8]))} "
                     f"from {int(max(sa[0], sb[0]))} to {int(min(sa[1], sb[1]))}")
    return found


def not_final(jobs: Sequence[JobRecord]) -> list[str]:
    return [f"job {j.job_id} is still {j.state}" for j in jobs if j.state not in FINAL]
