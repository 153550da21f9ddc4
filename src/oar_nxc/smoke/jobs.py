"""What the job checks submit: their scripts, their oarsub arguments, and the order they go in.

Pure functions of the options: the runner submits what :func:`specs` gives, with :func:`types`.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oar_nxc.smoke.model import Options

TIMESHARING = "timesharing=*,*"
# what the batch job runs: every node of the job answers its own name through oarsh, all nodes at
# once (one after the other, 14 nodes took 13 s on the testbed). Sent as
# base64 so that no quoting layer (ssh, su, oarsub, OAR's launcher) changes it; the homes need
# not be shared.
BATCH_SCRIPT = """\
hosts=$(uniq "$OAR_NODEFILE")
out=$(mktemp -d) || exit 2
for h in $hosts; do oarsh "$h" hostname > "$out/$h" 2>&1 & done
wait
status=0
for h in $hosts; do
  name=$(cat "$out/$h")
  echo "$name"
  [ "$name" = "$h" ] || { echo "$h answers $name" >&2; status=1; }
done
rm -rf "$out"
exit $status
"""
FAILING_SCRIPT = 'echo "oar-nxc smoke test: failing on purpose"; exit 3\n'
# the longest first (oardel waits for Running, then for its deletion): the checks overlap the most
SUBMIT_ORDER = ("oardel", "batch_job", "failing_job")


def reservation_minutes(walltime: str) -> int:
    """Minutes from now to the reservation check's slot: after the smoke jobs' walltime (``H:MM:SS``),
    so that OAR validates it on nodes those jobs no longer hold, whatever their types."""
    parts = [int(p) for p in walltime.split(":") if p.isdigit()] if walltime else []
    seconds = sum(value * 60 ** (len(parts) - 1 - i) for i, value in enumerate(parts)) if parts else 300
    return -(-seconds // 60) + 2


def inline(script: str) -> str:
    """An oarsub command that runs SCRIPT with sh, immune to quoting (base64 has no shell characters)."""
    return f"echo {base64.b64encode(script.encode()).decode()} | base64 -d | sh"


def property_of(addresses: list[str]) -> str:
    """The oarsub -p SQL that selects these nodes (addresses are host names the core validated)."""
    if len(addresses) == 1:
        return f"network_address = '{addresses[0]}'"
    return "network_address in (" + ",".join(f"'{a}'" for a in addresses) + ")"


def type_names(options: Options) -> list[str]:
    """The smoke jobs' OAR types: the user's, and timesharing when they run together."""
    types = list(options.job_types)
    if options.concurrent and not any(t.startswith("timesharing") for t in types):
        types.append(TIMESHARING)
    return types


def types(options: Options) -> list[str]:
    """``oarsub -t`` arguments of :func:`type_names`."""
    return [w for t in type_names(options) for w in ("-t", t)]


def rest_api_body(options: Options) -> dict[str, Any]:
    """The job the REST API check submits (OAR 2.5's ``POST /oarapi-priv/jobs.json``): one node, a command
    that ends by itself (the check leaves no job behind), the smoke jobs' types (timesharing too, beside them)."""
    body: dict[str, Any] = {"resource": f"/nodes=1,walltime={options.walltime}", "command": "true"}
    names = type_names(options)
    if names:
        body["type"] = names
    return body


def specs(options: Options, names: list[str]) -> list[tuple[str, list[str]]]:
    """(check, oarsub arguments after the types), in the order they are submitted."""
    first = property_of(options.addresses[:1])
    walltime = f"walltime={options.walltime}"
    args = {
        "batch_job": ["-l", f"nodes={len(options.addresses)},{walltime}", "-p", property_of(options.addresses),
                      inline(BATCH_SCRIPT)],
        "failing_job": ["-l", f"nodes=1,{walltime}", "-p", first, inline(FAILING_SCRIPT)],
        "oardel": ["-l", f"nodes=1,{walltime}", "-p", first, "sleep 300"],
    }
    first_ones = [n for n in SUBMIT_ORDER if n in names]
    return [(n, args.get(n, [])) for n in first_ones + [n for n in names if n not in first_ones]]
