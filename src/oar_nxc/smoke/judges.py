"""How each job check is judged once its job has ended: pure functions of what OAR reports, in a table.

A judge takes the job's final information (``oarstat -f -J``) and an :class:`Ended` context, and returns
(passed, message). The runner calls ``JUDGES[check]``; a job check without a judge cannot be added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from oar_nxc.oar import output as oarjson
from oar_nxc.smoke.steps import excerpt


@dataclass(frozen=True)
class Ended:
    """What a judge may need beside the job's information."""

    addresses: list[str]  # the compute nodes' OAR network addresses
    deleted: bool  # oardel: the job was deleted while Running
    output: Callable[[], tuple[str | None, str | None]]  # the job's stdout and stderr (None: not readable)


def judge_batch(info: oarjson.JobInfo, addresses: list[str], output: str | None,
                errors: str | None) -> tuple[bool, str]:
    names = sorted(set(output.split())) if output is not None else None
    assigned = sorted(info.network_addresses) if info.network_addresses is not None else None
    ok = (info.state == "Terminated" and info.exit_status == 0 and names in (None, sorted(addresses))
          and assigned in (None, sorted(addresses)))
    if ok:
        return True, (f"job {info.job_id} on {len(addresses)} nodes: Terminated, exit status 0, output names "
                      f"{', '.join(sorted(addresses))}")
    said = f"OAR.{info.job_id}.stdout not readable on the submit host" if names is None else \
        f"output names {', '.join(names) or 'nothing'}"
    if errors:
        said += f", stderr: {excerpt(errors)}"
    ran = "" if assigned is None else f", ran on {', '.join(assigned)}"
    return False, (f"job {info.job_id}: state {info.state}, exit status {info.exit_status} (exit_code "
                   f"{info.exit_code}){ran}, {said}; expected Terminated, 0 and {', '.join(sorted(addresses))}")


def judge_failing(info: oarjson.JobInfo) -> tuple[bool, str]:
    if info.state == "Terminated" and info.exit_status == 3:
        return True, f"job {info.job_id}: Terminated with exit_code {info.exit_code} (exit status 3)"
    return False, (f"job {info.job_id} exits 3 but OAR reports state {info.state}, exit_code {info.exit_code} "
                   f"(exit status {info.exit_status})")


def judge_oardel(info: oarjson.JobInfo, deleted: bool) -> tuple[bool, str]:
    if not deleted:
        return False, f"job {info.job_id} ended as {info.state} before oardel"
    if info.state == "Error":
        return True, f"job {info.job_id}: Running, oardel, then Error"
    return False, f"job {info.job_id} deleted while running ended as {info.state}, expected Error"


JUDGES: dict[str, Callable[[oarjson.JobInfo, Ended], tuple[bool, str]]] = {
    "batch_job": lambda info, ended: judge_batch(info, ended.addresses, *ended.output()),
    "failing_job": lambda info, ended: judge_failing(info),
    "oardel": lambda info, ended: judge_oardel(info, ended.deleted),
}
