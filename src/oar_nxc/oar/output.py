"""What the OAR commands print, for OAR 2.5 (Perl) and OAR 3 (Python) alike.

* ``oarsub``: any lines, then ``OAR_JOB_ID=<n>``; only that line counts.
* ``oarstat -s -j N -J``: ``{"N": "Terminated"}`` in both versions.
* ``oarstat -f -j N -J``: ``{"N": {...}}``; 2.5 has ``assigned_network_address`` and ``walltime``,
  OAR 3 has neither (oar3 #158; its ``message`` holds ``W=<s>`` only while the job runs);
  ``exit_code`` is the raw wait status (exit status = ``exit_code >> 8``).
* ``oarnodes -s -J``: 2.5 ``{"node1": {"1": "Alive"}}``, OAR 3 ``[{"node1": [{"1": "Alive"}]}]``.
* ``oarsub -V``: ``OAR version : 2.5.9 (Canicule)``; OAR 3: ``OAR version : 3.0.3dev``.
* ``oarstat -f -j N`` (text): OAR 3 prints ``    key = value`` lines, padded to the console's width;
  it is where OAR 3 says a job's ``walltime`` (seconds), which its JSON leaves out with the hosts.
* ``oarsub -r DATE``: the scheduler's verdict on the reservation, 2.5 ``Reservation valid --> OK``
  (or ``Reservation valid --> KO``), OAR 3 ``Advance reservation is GRANTED.`` (or ``REJECTED.``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from oar_nxc.errors import SourceError
from oar_nxc.formats import reading

JOB_ID_RE = re.compile(r"^OAR_JOB_ID=(\d+)\s*$", re.MULTILINE)
VERSION_RE = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
FINAL_STATES = ("Terminated", "Error")
# the event types with which OAR suspects a machine of the job: it could not reach it to set the job
# up or clean it (a job can still end Terminated, exit 0, with one of these: its command ran before)
MACHINE_LOST_EVENTS = ("CPUSET_CLEAN_ERROR", "CPUSET_ERROR", "PING_CHECKER_NODE_SUSPECTED",
                       "PING_CHECKER_NODE_SUSPECTED_END_JOB", "SUSPECTED_NODE")
# the event types OAR logs when something outside the job ended it or went wrong under it
TROUBLE_EVENTS = (*MACHINE_LOST_EVENTS, "EXTERMINATE_JOB", "BIPBIP_CHALLENGE", "CANNOT_CREATE_TMP_DIRECTORY",
                  "LAUNCHING_OAREXEC_TIMEOUT", "EXIT_VALUE_OAREXEC", "SSH_TRANSFER_TIMEOUT", "BAD_HASHTABLE_DUMP",
                  "WALLTIME", "FRAG_JOB_REQUEST", "RESERVATION_NO_NODE", "SCHEDULER_REDUCE_NB_NODES_FOR_RESERVATION")
RESERVATION_GRANTED = ("Reservation valid --> OK", "Advance reservation is GRANTED.")
RESERVATION_REJECTED = ("Reservation valid --> KO", "Advance reservation is REJECTED.")


def _json(text: str, source: str) -> Any:
    """OAR's JSON, read as strictly and as bounded as any input (:func:`oar_nxc.formats.reading.loads_json`:
    a depth bound, no duplicate keys, no huge integers): a SourceError naming the command otherwise."""
    return reading.loads_json(text, source)


def job_id(stdout: str, source: str = "oarsub") -> int:
    """The job id in oarsub's output; a clear error when there is none (admission refused...)."""
    match = JOB_ID_RE.search(stdout)
    if match is None:
        last = next((ln.strip() for ln in reversed(stdout.splitlines()) if ln.strip()), "no output")
        raise SourceError(source, f"no OAR_JOB_ID= line (last line: {last})")
    return int(match.group(1))


def node_states(text: str, source: str = "oarnodes -s -J") -> dict[str, list[str]]:
    """Host -> the states of its resources, from either JSON shape."""
    data = _json(text, source)
    pairs: list[tuple[str, Any]]
    if isinstance(data, dict):
        pairs = list(data.items())
    elif isinstance(data, list) and all(isinstance(item, dict) for item in data):
        pairs = [pair for item in data for pair in item.items()]
    else:
        raise SourceError(source, "neither the OAR 2.5 object nor the OAR 3 list of objects")
    out: dict[str, list[str]] = {}
    for host, resources in pairs:
        if isinstance(resources, dict):
            states = [str(s) for s in resources.values()]
        elif isinstance(resources, list) and all(isinstance(r, dict) for r in resources):
            states = [str(s) for r in resources for s in r.values()]
        else:
            raise SourceError(source, "resources must be an object or a list of objects", key=str(host))
        out.setdefault(str(host), []).extend(states)
    return out


def not_alive(states: dict[str, list[str]], addresses: list[str]) -> list[str]:
    """Problems of the wanted hosts: ``node2: no resource``, ``node3: Alive/Suspected``."""
    problems = []
    for address in addresses:
        found = states.get(address, [])
        if not found:
            problems.append(f"{address}: no resource")
        elif any(state != "Alive" for state in found):
            problems.append(f"{address}: {'/'.join(found)}")
    return problems


def job_states(text: str, source: str = "oarstat -s -J") -> dict[str, str]:
    """Job id (a string) -> state, for every job of ``oarstat -s -J -j A -j B``."""
    data = _json(text, source)
    if not isinstance(data, dict):
        raise SourceError(source, "must be a JSON object")
    return {str(job): str(state) for job, state in data.items()}


def job_state(text: str, job: int, source: str = "oarstat -s -J") -> str | None:
    return job_states(text, source).get(str(job))


def as_int(value: Any) -> int | None:
    """An integer of OAR's JSON (a number, or ASCII digits of at most 18), else None; never a boolean."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value.strip(), re.ASCII):
        return int(value)
    return None


@dataclass(frozen=True)
class JobInfo:
    job_id: int
    state: str
    exit_code: int | None  # raw wait status
    exit_status: int | None  # exit_code >> 8
    signal: int | None  # exit_code & 127
    network_addresses: list[str] | None  # None on OAR 3 (not in its JSON)
    launching_directory: str | None
    stdout_file: str | None
    started: int | None = None  # epoch seconds (startTime; start_time on OAR 3), None before it starts
    stopped: int | None = None  # epoch seconds (stopTime; stop_time on OAR 3)
    # OAR's account of the job's life: (type, description) of each event (OAR 2.5's -f -J; OAR 3's has none)
    events: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def job_info(text: str, job: int, source: str = "oarstat -f -J") -> JobInfo:
    data = _json(text, source)
    if not isinstance(data, dict) or not isinstance(data.get(str(job)), dict):
        raise SourceError(source, f"no job {job} in the output")
    return info_of(data[str(job)], job)


def info_of(raw: dict[str, Any], job: int) -> JobInfo:
    """One job's entry of ``oarstat -f -J``, whichever generation's key names it uses."""
    code = as_int(raw.get("exit_code"))
    addresses = raw.get("assigned_network_address")
    return JobInfo(
        job_id=job,
        state=str(raw.get("state", "")),
        exit_code=code,
        exit_status=None if code is None else code >> 8,
        signal=None if code is None else code & 127,
        network_addresses=[str(a) for a in addresses] if isinstance(addresses, list) else None,
        launching_directory=raw.get("launchingDirectory", raw.get("launching_directory")),
        stdout_file=raw.get("stdout_file"),
        started=as_int(raw.get("startTime", raw.get("start_time"))) or None,
        stopped=as_int(raw.get("stopTime", raw.get("stop_time"))) or None,
        events=events_of(raw.get("events")),
    )


def events_of(found: Any) -> tuple[tuple[str, str], ...]:
    """(type, description) of each event of the job, each cut to 200 characters; at most the last 50."""
    if not isinstance(found, list):
        return ()
    out = [(str(e.get("type") or "")[:200], str(e.get("description") or "")[:200]) for e in found[-50:]
           if isinstance(e, dict)]
    return tuple(pair for pair in out if any(pair))


def version(text: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) from ``oarsub -V``, or None."""
    match = VERSION_RE.search(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def version_line(text: str) -> str:
    """The version ``oarsub -V`` printed, as OAR wrote it (``2.5.9 (Canicule)``, ``3.0.3dev``), or ''."""
    for line in text.splitlines():
        label, sep, said = line.partition(":")
        if sep and label.strip() == "OAR version" and said.strip():
            return said.strip()
    return ""


def reservation_verdict(text: str) -> tuple[bool, str] | None:
    """(granted, OAR's own line) from ``oarsub -r``'s output, either generation; None when it says neither."""
    for line in text.splitlines():
        said = line.strip()
        if said in RESERVATION_GRANTED:
            return True, said
        if said in RESERVATION_REJECTED:
            return False, said
    return None


TEXT_FIELD_RE = re.compile(r"^\s+([a-z_]+) = (.*?)\s*$")


def text_field(text: str, key: str) -> str | None:
    """The value of ``key = value`` in OAR 3's text ``oarstat -f -j N``, or None when it has none."""
    for line in text.splitlines():
        match = TEXT_FIELD_RE.match(line)
        if match is not None and match.group(1) == key:
            return match.group(2)
    return None
