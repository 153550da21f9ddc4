"""Is the reservation still usable, before anything changes: the OAR job's state and walltime left
(from the inventory's ``oar_job``), its machines (``oar_in_job``), and each machine's ssh port (from
:mod:`oar_nxc.probes`).

Every finding is a :class:`Finding`; the preflight refuses on ``refuse`` ones (``oar-nxc plan``
lists them all instead).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oar_nxc.oar.jobs import RUNNING, describe_time
from oar_nxc.probes import SHOWN, Target


@dataclass(frozen=True, slots=True)
class Finding:
    check: str  # job_state, walltime, not_in_job, ssh
    message: str
    refuse: bool = True
    reservation: bool = False  # a refusal of the reservation itself (oar-nxc: exit 6), not of the input

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "message": self.message, "refuse": self.refuse,
                "reservation": self.reservation}


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def job_findings(machines: Mapping[str, Mapping[str, Any]], *, min_remaining: int,
                 now: float | None = None) -> list[Finding]:
    """Findings on the OAR job(s) of the machines (host -> its variables ``oar_job``, ``oar_in_job``).

    A job that is not ``Running`` is refused, naming its id and state; one that is running but ends
    within ``min_remaining`` seconds (0: no minimum) is refused as a reservation too short for the run,
    naming the time left; machines OAR does not list in their job are refused, named.
    """
    now = time.time() if now is None else now
    jobs: dict[int, Mapping[str, Any]] = {}
    outside: dict[int, list[str]] = {}
    unread: dict[int, None] = {}
    for host, variables in machines.items():
        job = variables.get("oar_job")
        if not isinstance(job, Mapping) or not isinstance(job.get("id"), int):
            if isinstance(variables.get("oar_job_id"), int):
                unread[variables["oar_job_id"]] = None
            continue
        jobs.setdefault(job["id"], job)
        if variables.get("oar_in_job") is False:
            outside.setdefault(job["id"], []).append(host)
    findings = [Finding("job_unread", (
        f"OAR job {job_id} was not read from OAR (live_job is never, or oarstat is not here or failed: see the "
        "oar_nxc warning), so its state and walltime are not checked"), refuse=False)
        for job_id in sorted(unread) if job_id not in jobs]
    for job_id, job in sorted(jobs.items()):
        state = job.get("state")
        if state != RUNNING:
            hint = ("wait until it runs (oarstat -s -j {id})" if state in ("Waiting", "Hold", "toLaunch", "Launching",
                                                                           "toAckReservation", "Resuming")
                    else "its machines are not yours any more: reserve again and give the new job's nodefile")
            findings.append(Finding("job_state", f"OAR job {job_id} is {state}, not Running: "
                                                 + hint.format(id=job_id)))
            continue
        ends = job.get("ends")
        if isinstance(ends, int):
            left = max(0, int(ends - now))
            if left < min_remaining:
                at = datetime.fromtimestamp(ends).strftime("%H:%M:%S")
                findings.append(Finding("walltime", (
                    f"OAR job {job_id} ends in {describe_time(left)} (at {at}), less than the "
                    f"{describe_time(min_remaining)} of oar_nxc_min_walltime: the run would outlive the job and "
                    f"be cut short, so nothing was started. oarwalltime {job_id} +1:00 asks for more where the "
                    "cluster allows it, or reserve a longer job; -e oar_nxc_min_walltime=0 goes on anyway"),
                    reservation=True))
        if outside.get(job_id):
            names = outside[job_id]
            one = len(names) == 1
            findings.append(Finding("not_in_job", (
                f"{_names(names)} {'is' if one else 'are'} not among the machines of OAR job {job_id}: leave "
                f"{'it' if one else 'them'} out (OAR_NXC_EXCLUDE) or give this job's own nodefile")))
    return findings


def ssh_finding(problems: Mapping[str, str], targets: Sequence[Target]) -> Finding | None:
    """One refusal naming every machine whose ssh port did not answer, with its address and error."""
    if not problems:
        return None
    names = list(problems)
    lines = [f"{name} ({problems[name]})" for name in names[:SHOWN]]
    more = f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    one = len(names) == 1
    return Finding("ssh", (
        f"{len(names)} of the {len(targets)} reserved machines {'does' if one else 'do'} not answer on "
        f"{'its' if one else 'their'} ssh port, and nxc start would wait out its timeout: {'; '.join(lines)}{more}. "
        f"Leave {'it' if one else 'them'} out (OAR_NXC_EXCLUDE={','.join(names[:SHOWN])}"
        f"{',...' if len(names) > SHOWN else ''}) or reserve other machines"))
