"""OAR's own account of a scenario's jobs: what ``oarstat -f -J`` says of each (state, exit status, start and
stop times, types, events) and which resources OAR assigned it (``oarstat -p``: the ``id`` of each resource),
on OAR 2.5 and OAR 3 alike. Pure parsing: the engine runs the commands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from oar_nxc.errors import SourceError
from oar_nxc.formats import reading
from oar_nxc.oar import output as oarjson

NOT_STARTED = ("Waiting", "Hold", "toAckReservation", "toLaunch")
_ID = re.compile(r"(?:^|[\s,])id\s*=\s*'([0-9]{1,9})'", re.ASCII)


@dataclass(frozen=True)
class JobRecord:
    """One job as OAR accounts for it."""

    job_id: int
    state: str
    exit_status: int | None
    started: int | None  # epoch seconds, None when it never started
    stopped: int | None
    types: tuple[str, ...]
    events: tuple[tuple[str, str], ...]
    message: str
    resources: tuple[int, ...] = ()  # the resource ids OAR assigned it

    @property
    def timesharing(self) -> bool:
        return any(t.startswith("timesharing") for t in self.types)

    def as_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "state": self.state, "exit_status": self.exit_status, "started": self.started,
                "stopped": self.stopped, "types": list(self.types), "events": [list(e) for e in self.events],
                "message": self.message, "resources": list(self.resources)}


def _types(raw: dict[str, Any]) -> tuple[str, ...]:
    found = raw.get("types")
    if isinstance(found, list):
        return tuple(str(t) for t in found)
    if isinstance(found, dict):  # OAR 3: {"timesharing": "*,*"}
        return tuple(f"{k}={v}" if v not in (None, "", True) else str(k) for k, v in found.items())
    return ()


def records(text: str, source: str = "oarstat -f -J") -> dict[int, JobRecord]:
    """Every job of ``oarstat -f -J -j A -j B`` (without its resources: :func:`resource_ids` gives them)."""
    data = reading.loads_json(text, source) if text.strip() else {}
    if isinstance(data, list) and not data:
        return {}
    if not isinstance(data, dict):
        raise SourceError(source, "must be a JSON object (job id -> job)")
    out: dict[int, JobRecord] = {}
    for key, raw in data.items():
        job = oarjson.as_int(key)
        if job is None or not isinstance(raw, dict):
            raise SourceError(source, "not a job id -> job object", key=str(key)[:40])
        info = oarjson.info_of(raw, job)
        message = raw.get("message")
        # a job that never ran has no start: OAR 2.5 says 0; OAR 3 keeps the start it predicted, and names no
        # moldable job it assigned
        ran = info.state not in NOT_STARTED and raw.get("assigned_moldable_job", 1) not in (0, None)
        out[job] = JobRecord(job_id=job, state=info.state, exit_status=info.exit_status,
                             started=info.started if ran else None, stopped=info.stopped if ran else None,
                             types=_types(raw), events=info.events,
                             message=message.strip() if isinstance(message, str) else "")
    return out


def resource_ids(text: str) -> tuple[int, ...]:
    """The resource ids of ``oarstat -p -j J`` (one line of ``key = 'value'`` pairs per resource), sorted."""
    return tuple(sorted({int(m.group(1)) for line in text.splitlines() for m in [_ID.search(line)] if m}))
