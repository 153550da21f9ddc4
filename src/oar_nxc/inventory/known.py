"""What is deployed on an OAR job's machines, as the inventory of that job knows it.

``nxc start`` (the oar.nxc.nxc_start action) writes, per OAR job, the deployed hosts it gives the run:
their names, groups and variables, the machines they run on and the deployment file they come from. The
oar_nxc plugin reads that record for each job it builds from a nodefile or a job id (never for an explicit
``deployment``), and adds these hosts as they were given, each with ``nxc_deployed_record`` (the record's
path). So the inventory of ``-i $OAR_NODEFILE`` holds the job's deployed hosts (``ansible nxc_nodes -m ping``
works after a deploy), and a rerun that finds the same deployment adds none of them again: the ``add_host``
loop costs about 10 ms a host in ansible-core 2.19. A run that starts nxc adds its hosts as before, and
writes the record for the next run.

The record is a cache of what nxc start said. The plugin uses it only when all of these hold:
- it is the record of this job: its id; its start time, where both sides know it; the nodefile the deploy read,
  unchanged (an OAR server or a testbed made again reuses ids);
- its machines are all among the job's selected machines;
- its deployment file is unchanged since (same mtime and size).
Anything else, a damaged file included, is ignored, with a note saying why. Whether the deployed hosts answer
is the run's own check (the role probe), as before.

Records live in ``$XDG_STATE_HOME/oar-nxc/jobs/<job id>.json`` (``~/.local/state`` by default), mode 0600.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Collection, Mapping
from typing import Any

from oar_nxc.errors import OarNxcError
from oar_nxc.formats import reading
from oar_nxc.formats.detect import sniff
from oar_nxc.formats.names import host_name_problem

# the variable of each host the plugin adds from a record: the record's path. A rerun whose hosts all carry it,
# from a record equal to what nxc start gives now, adds none of them again
RECORD_VAR = "nxc_deployed_record"
KEEP_DAYS = 30  # a record older than this (its job long gone) is removed when another is written
# from this many deployed hosts to add, a run that just wrote their record refreshes its inventory (which reads
# the record) rather than adding them one add_host each: a refresh costs about as much as REFRESH_FROM add_host
# (measured with ansible-core 2.19 on the testbed: see nxc_start's inventory_refresh)
REFRESH_FROM = 32
# the kinds of source (oar_nxc.formats.detect.sniff) the oar_nxc plugin reads an OAR job from, and so its record
_JOB_SOURCES = frozenset({"nodefile", "config", "executable"})
VERSION = 1


def record_dir() -> str:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "oar-nxc", "jobs")


def record_path(job_id: int) -> str:
    return os.path.join(record_dir(), f"{int(job_id)}.json")


def _stat(path: str) -> list[Any] | None:
    """PATH's mtime (nanoseconds, as text: the strict JSON reader refuses integers of more than 18 digits) and size."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return [str(found.st_mtime_ns), found.st_size]


def job_identity(job: Any, nodefile: Any) -> dict[str, Any]:
    """What tells this OAR job from an earlier one with the same id (a reinstalled OAR server, a testbed made
    again): its start time as OAR gave it (the ``oar_job`` variable's ``started``, when the job was read live)
    and its nodefile as it is now (the ``oar_nodefile`` variable: path, mtime and size). Either may be unknown."""
    started = job.get("started") if isinstance(job, Mapping) else None
    path = nodefile if isinstance(nodefile, str) and nodefile else None
    return {"job_started": started if isinstance(started, (int, float)) and not isinstance(started, bool) else None,
            "nodefile": [path, _stat(path)] if path else None}


def make(job_id: int, machines: Collection[str], deployment_file: str, hosts: list[dict[str, Any]],
         identity: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The record of HOSTS (nxc_start's [{name, groups, vars}]), deployed on MACHINES of JOB_ID (whose
    job_identity is IDENTITY) from DEPLOYMENT_FILE as it is now."""
    return {"version": VERSION, "job_id": int(job_id), **job_identity(None, None), **(identity or {}),
            "machines": sorted(set(machines)), "deployment_file": os.path.abspath(deployment_file),
            "deployment_stat": _stat(deployment_file), "hosts": hosts}


def read(path: str) -> dict[str, Any] | None:
    """The record at PATH as written, or None when there is none or it is not one (never an exception)."""
    try:
        return reading.load_record(path, "deployed hosts record")
    except (OarNxcError, OSError):
        return None


def write(record: Mapping[str, Any]) -> str:
    """Write RECORD for its job (atomically, mode 0600), remove records older than KEEP_DAYS; its path."""
    directory = record_dir()
    os.makedirs(directory, mode=0o700, exist_ok=True)
    path = record_path(record["job_id"])
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)
    old = time.time() - KEEP_DAYS * 86400
    for name in os.listdir(directory):
        other = os.path.join(directory, name)
        try:
            if other != path and name.endswith(".json") and os.stat(other).st_mtime < old:
                os.remove(other)
        except OSError:
            pass
    return path


def read_by_plugin(sources: Any) -> bool:
    """Whether every inventory source of SOURCES (the ``ansible_inventory_sources`` variable) is a file the
    oar_nxc plugin reads an OAR job from, and so the job's record: then a refresh of the inventory gives the
    deployed hosts of the record just written, and re-reads nothing else (no other plugin's source, no script).
    A config that names its deployment file reads no record: the run finds that out after the refresh."""
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, (list, tuple)) or not sources:
        return False
    return all(isinstance(s, str) and sniff(s) in _JOB_SOURCES for s in sources)


def forget(job_id: int) -> bool:
    """Remove the record of JOB_ID (teardown); whether there was one."""
    try:
        os.remove(record_path(job_id))
    except FileNotFoundError:
        return False
    return True


def usable(record: Mapping[str, Any] | None, job_id: int, machines: Collection[str],
           identity: Mapping[str, Any] | None = None) -> str | None:
    """Why RECORD cannot give the deployed hosts of JOB_ID on MACHINES (its selected machines), whose
    job_identity is IDENTITY, or None. What both sides know of the job's identity must agree."""
    if record is None:
        return "no record"
    if record.get("version") != VERSION or record.get("job_id") != job_id:
        return f"not a record of OAR job {job_id}"
    now = identity or {}
    if None not in (now.get("job_started"), record.get("job_started")) and \
            now.get("job_started") != record.get("job_started"):
        return f"recorded for a job {job_id} that started at {record.get('job_started')}, not this one"
    was = record.get("nodefile")  # the nodefile the deploy read must be as it was: a job made again rewrites it
    if was is not None:
        if not isinstance(was, list) or len(was) != 2 or not isinstance(was[0], str):
            return "its nodefile entry is damaged"
        if _stat(was[0]) != was[1]:
            return f"recorded for job {job_id} of nodefile {was[0]}, which changed since"
    used = record.get("machines")
    if not isinstance(used, list) or not used or not all(isinstance(m, str) for m in used):
        return "no machines recorded"
    outside = sorted(set(used) - set(machines))
    if outside:
        return f"deployed on {', '.join(outside[:3])}{' ...' if len(outside) > 3 else ''}, not selected now"
    deployment = record.get("deployment_file")
    if not isinstance(deployment, str) or _stat(deployment) != record.get("deployment_stat"):
        return f"{deployment} changed or is gone since"
    return _hosts_problem(record.get("hosts"))


def _hosts_problem(hosts: Any) -> str | None:
    if not isinstance(hosts, list) or not hosts:
        return "no hosts recorded"
    for index, host in enumerate(hosts):
        if not isinstance(host, dict) or not isinstance(host.get("name"), str):
            return f"hosts[{index}] is not a host"
        problem = host_name_problem(host["name"])
        if problem is not None:
            return f"hosts[{index}]: {problem}"
        groups, variables = host.get("groups"), host.get("vars")
        if not isinstance(groups, list) or not all(isinstance(g, str) and g.isidentifier() for g in groups):
            return f"hosts[{index}]: groups is not a list of group names"
        if not isinstance(variables, dict) or not all(isinstance(k, str) and k.isidentifier() for k in variables):
            return f"hosts[{index}]: vars is not a map of variable names"
    return None
