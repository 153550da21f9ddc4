"""OAR's own account of why a job check failed: the machines of the job that OAR no longer holds Alive
(``oarnodes -s -J``) and the events OAR logged on the job (``oarstat -f -J``'s ``events``, OAR 2.5), so
that a machine cut off under a job is named as the cause instead of what its absence did to the output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from oar_nxc.oar import output as oarjson
from oar_nxc.smoke.steps import excerpt


def account(info: oarjson.JobInfo, states: Mapping[str, Sequence[str]] | None,
            names: Mapping[str, str], addresses: Sequence[str]) -> str:
    """A sentence to lead the failure with ('' when OAR says nothing of note).

    ``states``: host -> its resources' states (None when ``oarnodes`` could not be read); ``names``: OAR
    address -> the deployed host's name; ``addresses``: the machines the check ran on (the job's own
    when OAR names them)."""
    machines = list(dict.fromkeys(info.network_addresses or addresses))
    parts = []
    if states is not None:
        down = [(a, states.get(a, [])) for a in machines if any(s != "Alive" for s in states.get(a, []))]
        if down:
            shown = [f"{names.get(a, a)} ({a}: {'/'.join(dict.fromkeys(found))})" if names.get(a, a) != a
                     else f"{a} ({'/'.join(dict.fromkeys(found))})" for a, found in down[:5]]
            more = f" and {len(down) - 5} more" if len(down) > 5 else ""
            parts.append(f"{', '.join(shown)}{more} {'is' if len(down) == 1 else 'are'} not Alive in OAR")
    trouble = [f"{kind}: {excerpt(said)}" for kind, said in info.events if kind in oarjson.TROUBLE_EVENTS]
    if trouble:
        parts.append(f"OAR's events on job {info.job_id}: {'; '.join(trouble[-3:])}")
    if not parts:
        return ""
    return "; ".join(parts) + ". "
