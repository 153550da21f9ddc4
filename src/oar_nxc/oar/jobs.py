"""The OAR job behind a nodefile, read live from OAR: its state, owner and walltime, and its
machines with their real core counts and resource properties.

Two OAR commands, the same on OAR 2.5 and OAR 3 (their outputs differ; both are parsed):

* ``oarstat -f -J -j ID``: the job. OAR 2.5 (format 2) names its keys ``Job_Id``, ``owner``,
  ``startTime``, ``assigned_network_address``; OAR 2.5.10's format 3 and OAR 3 name them ``id``,
  ``start_time``; OAR 3 names the owner ``user`` and gives no assigned hosts in JSON (oar3 #158).
* ``oarstat -p -j ID``: one line per assigned resource, `` key = 'value' , key = 'value'`` (the
  format of ``$OAR_RESOURCE_PROPERTIES_FILE``, which :func:`load_properties_file` reads; OAR 3
  writes ``key = 'value', key = 'value'`` after a blank line).
* OAR 3 only, when its JSON has no ``walltime`` (as on the testbed's OAR 3, c332316a): its text
  ``oarstat -f -j ID`` says ``walltime = <seconds>``.

A machine's core count is the number of its resources of type ``default``; its properties are
the non-system properties that all its resources share (``cluster``, ``cpumodel``, ``memnode``...).
Nothing here is a mock: :func:`query` runs the real commands, bounded in time, and
:class:`Unavailable` says why the job could not be read (no ``oarstat`` on this machine, the
database down, a job this OAR does not know).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from oar_nxc import bounded
from oar_nxc.errors import SourceError
from oar_nxc.formats import reading
from oar_nxc.oar import output as oarjson

RUNNING = "Running"
# OAR::Tools::check_resource_system_property, and the columns oarnodes adds: never host variables
SYSTEM_PROPERTIES = frozenset({
    "resource_id", "id", "state", "state_num", "next_state", "finaud_decision", "next_finaud_decision",
    "last_job_date", "suspended_jobs", "expiry_date", "scheduler_priority", "available_upto",
    "last_available_upto", "drain", "jobs", "besteffort", "deploy", "desktop_computing",
})
MAX_OUTPUT = 64 * 1024 * 1024  # bytes of an OAR command's answer
_PROPERTY_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*) = '(.*?)'\s*(?:,(?=\s*[A-Za-z_][A-Za-z0-9_]* = ')|$)")
Runner = Callable[[Sequence[str], float], "tuple[int, str, str]"]


class Unavailable(Exception):
    """The live job could not be read; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class JobMachine:
    name: str
    cores: int | None  # None: OAR named the machine without its resources
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Job:
    """What OAR knows of a job."""

    job_id: int
    state: str
    owner: str | None = None
    walltime: int | None = None  # seconds
    started: int | None = None  # epoch seconds, None before it starts
    machines: tuple[JobMachine, ...] | None = None  # None: OAR did not say (OAR 3's JSON)
    generation: str = "2.5"  # "2.5" or "3": which oarstat JSON it came from

    @property
    def ends(self) -> int | None:
        return None if self.started is None or self.walltime is None else self.started + self.walltime

    def remaining(self, now: float | None = None) -> int | None:
        """Seconds of walltime left (0 when past), None when the job has no known end."""
        ends = self.ends
        if ends is None:
            return None
        return max(0, int(ends - (time.time() if now is None else now)))

    def machine(self, name: str) -> JobMachine | None:
        return next((m for m in self.machines or () if m.name == name), None)

    def summary(self, now: float | None = None) -> dict[str, Any]:
        """The host variable ``oar_job``: what a play may want to know of the job."""
        return {"id": self.job_id, "state": self.state, "owner": self.owner, "walltime": self.walltime,
                "started": self.started, "ends": self.ends, "remaining": self.remaining(now), "oar": self.generation}


def parse_job(text: str, job_id: int, source: str = "oarstat -f -J") -> Job:
    """The job of ``oarstat -f -J -j ID`` (OAR 2.5 formats 2 and 3, OAR 3)."""
    data = reading.loads_json(text, source)
    if not isinstance(data, dict):
        raise SourceError(source, "must be a JSON object (job id -> job)")
    raw = data.get(str(job_id))
    if raw is None:
        raise SourceError(source, f"OAR does not know job {job_id}")
    if not isinstance(raw, dict):
        raise SourceError(source, "must be an object", key=str(job_id))
    state = raw.get("state")
    if not isinstance(state, str) or not state:
        raise SourceError(source, "no job state", key=f"{job_id}.state")
    generation = "2.5" if ("Job_Id" in raw or "job_user" in raw or "assigned_network_address" in raw) else "3"
    owner = raw.get("owner", raw.get("job_user", raw.get("user")))
    info = oarjson.info_of(raw, job_id)  # the key names both generations use, read as the smoke checks read them
    machines = None
    if info.network_addresses:  # cores: oarstat -p
        machines = tuple(JobMachine(a, None) for a in dict.fromkeys(info.network_addresses))
    return Job(job_id=job_id, state=state, owner=owner if isinstance(owner, str) else None,
               walltime=oarjson.as_int(raw.get("walltime")), started=info.started, machines=machines,
               generation=generation)


def parse_properties(text: str, source: str) -> list[dict[str, str]]:
    """One dict per resource line of `` key = 'value' , key = 'value'``; an error names the line."""
    resources = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        found: dict[str, str] = {}
        at = 0
        while at < len(line):
            match = _PROPERTY_RE.match(line, at)
            if match is None or match.end() == at:
                raise SourceError(source, f"not `key = 'value' , ...`: {reading.excerpt(line[at:].strip())}",
                                  line=number)
            found[match.group(1)] = match.group(2)
            at = match.end()
        resources.append(found)
    return resources


def load_properties_file(path: str) -> list[dict[str, str]]:
    """``$OAR_RESOURCE_PROPERTIES_FILE`` (``<runtime dir>/<id>_resources``), read as a regular file."""
    return parse_properties(reading.decode(reading.read_bytes(path, "resource properties file"), path), path)


def _value(text: str) -> Any:
    number = oarjson.as_int(text)
    return number if number is not None and str(number) == text.strip() else text


def machines_of(resources: Iterable[Mapping[str, str]]) -> tuple[JobMachine, ...]:
    """Machines sorted by name, as in ``$OAR_NODEFILE``: the ``network_address`` of each resource
    (``host`` when there is none), its count of ``default`` resources, and the properties all its
    resources share."""
    order: dict[str, list[Mapping[str, str]]] = {}
    for resource in resources:
        name = resource.get("network_address") or resource.get("host")
        if name:
            order.setdefault(name, []).append(resource)
    machines = []
    for name, items in sorted(order.items()):  # as OAR sorts $OAR_NODEFILE
        cores = sum(1 for r in items if r.get("type", "default") == "default")
        shared: dict[str, Any] = {}
        for key, value in items[0].items():
            if key in SYSTEM_PROPERTIES or key == "network_address":
                continue
            if all(r.get(key) == value for r in items[1:]):
                shared[key] = _value(value)
        machines.append(JobMachine(name, cores, dict(sorted(shared.items()))))
    return tuple(machines)


def _run(argv: Sequence[str], timeout: float) -> tuple[int, str, str]:
    try:  # bounded while it reads: a command printing gigabytes is stopped at the limit, not read whole
        proc = bounded.run(argv, timeout=timeout, limit=MAX_OUTPUT)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"{' '.join(argv)} did not answer within {timeout:g} s") from None
    except bounded.OutputTooLarge:
        raise Unavailable(f"{' '.join(argv)} printed more than {MAX_OUTPUT // 2**20} MiB: stopped there") from None
    except OSError as exc:
        raise Unavailable(f"{argv[0]}: {exc.strerror}") from None
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def _error(argv: Sequence[str], rc: int, out: str, err: str) -> Unavailable:
    said = " ".join((err.strip() or out.strip()).split())[:300] or "no output"
    return Unavailable(f"{' '.join(argv)} failed (rc {rc}): {said}")


def oarstat_available() -> bool:
    return shutil.which("oarstat") is not None


def query(job_id: int, *, run: Runner = _run, timeout: float = 15) -> Job:
    """The live job, from ``oarstat -f -J`` and ``oarstat -p`` run side by side.

    Raises :class:`Unavailable` when OAR cannot tell (no ``oarstat``, an error, a job it does not
    know); a job OAR knows comes back whatever its state.
    """
    if run is _run and not oarstat_available():
        raise Unavailable("oarstat is not on this machine's PATH")
    full = ["oarstat", "-f", "-J", "-j", str(job_id)]
    props = ["oarstat", "-p", "-j", str(job_id)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        full_future = pool.submit(run, full, timeout)
        props_future = pool.submit(run, props, timeout)
        rc, out, err = full_future.result()
        props_answer = props_future.result()
    if rc != 0:
        raise _error(full, rc, out, err)
    if not out.strip() or out.strip() in ("{}", "[]"):
        raise Unavailable(f"OAR does not know job {job_id} ({' '.join(full)} printed no job)")
    try:
        job = parse_job(out, job_id, " ".join(full))
    except SourceError as exc:
        raise Unavailable(str(exc)) from None
    if job.walltime is None and job.generation == "3":  # OAR 3's JSON has no walltime: its text says it
        text = ["oarstat", "-f", "-j", str(job_id)]
        trc, tout, _unused = run(text, timeout)
        walltime = oarjson.as_int(oarjson.text_field(tout, "walltime")) if trc == 0 else None
        job = replace(job, walltime=walltime)
    prc, pout, _unused = props_answer
    if prc != 0 or not pout.strip():
        return job  # a job that never ran has no resources: the state says enough
    try:
        machines = machines_of(parse_properties(pout, " ".join(props)))
    except SourceError as exc:
        raise Unavailable(str(exc)) from None
    if not machines:
        return job
    return Job(job_id=job.job_id, state=job.state, owner=job.owner, walltime=job.walltime, started=job.started,
               machines=machines, generation=job.generation)


def with_properties_file(job: Job | None, path: str, job_id: int | None) -> Job:
    """The machines of a ``$OAR_RESOURCE_PROPERTIES_FILE``, on the live job when there is one."""
    machines = machines_of(load_properties_file(path))
    if job is None:
        return Job(job_id=job_id or 0, state="", machines=machines)
    return Job(job_id=job.job_id, state=job.state, owner=job.owner, walltime=job.walltime, started=job.started,
               machines=machines, generation=job.generation)


def describe_time(seconds: int) -> str:
    """``1 h 02 min``, ``4 min 05 s``, ``42 s``."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
