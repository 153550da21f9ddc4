"""The job record (``job.json``): what a run or a batch submission wrote about the OAR job it holds, read back
typed and bounded.

The record is read by the guard (``python -m oar_nxc.oar.guard``) and by ``oar-nxc release`` (a CI job's
``after_script``), after the run that wrote it may have been killed: it is input like any other. It never
names a program to run. What releasing the job runs is derived here from the job id, the user and the
frontend, through the project's own argv (:func:`commands`):

* ``frontend``: ``null`` (OAR's commands run on this machine) or ``{host, port, user, private_key_file}``
  (over ssh, host-key checking on, ``BatchMode``), each checked;
* ``user``: whom OAR's commands run as (``su - USER``), checked as a user name;
* ``job_id``: an OAR job id; ``watch_pid`` and ``guard_pid``: pids a run can have, never pid 1.

A record that is not a regular file, is larger than its limit, is not strict JSON (duplicate keys,
nesting, huge numbers) or has a bad key is a :class:`~oar_nxc.errors.SourceError` naming the file and the
key: the callers turn it into a refusal (exit 2), never a traceback.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oar_nxc.errors import OarNxcError, SourceError
from oar_nxc.formats import reading
from oar_nxc.oar import identity
from oar_nxc.oar.frontend import Frontend
from oar_nxc.oar.remote import command_line

WHAT = "job record"
# what the guard field may say: armed (the guard will release), released (by the run), kept (--keep-job),
# given (a job the run did not reserve), released by the guard, ended (a batch job that ended on its own),
# released by oar-nxc release
GUARD_STATES = ("armed", "released", "kept", "given", "released by the guard", "ended",
                "released by oar-nxc release")
_FRONTEND_KEYS = ("host", "port", "user", "private_key_file")
_START = 20  # digits of a process start time (field 22 of /proc/PID/stat, in clock ticks)


@dataclass(frozen=True, slots=True)
class FrontendRef:
    """How this machine reaches the OAR frontend: over ssh (host, port, user, key)."""

    host: str
    port: int | None = None
    user: str | None = None
    private_key_file: str | None = None

    def argv(self, words: list[str]) -> list[str]:
        """The ssh argv that runs WORDS there: the frontend's own (:class:`oar_nxc.oar.frontend.Frontend`:
        BatchMode, host keys checked, the destination after --, every word quoted)."""
        return Frontend(host=self.host, user=self.user, port=self.port,
                        private_key_file=self.private_key_file).argv(words)

    def as_dict(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "user": self.user, "private_key_file": self.private_key_file}


@dataclass(frozen=True, slots=True)
class JobRecord:
    job_id: int
    guard: str
    given: bool = False
    user: str = ""
    frontend: FrontendRef | None = None
    watch_pid: int | None = None
    watch_started: str | None = None
    guard_pid: int | None = None
    data: dict[str, Any] = field(default_factory=dict, compare=False)  # the whole record, for the summary

    def commands(self) -> tuple[list[str], list[str]]:
        """(the argv that releases the job: oardel, the argv that reads its state: oarstat -s -J), built here."""
        return self._on_frontend(["oardel", str(self.job_id)], self.user), \
            self._on_frontend(["oarstat", "-s", "-J", "-j", str(self.job_id)], "")

    def _on_frontend(self, argv: list[str], user: str) -> list[str]:
        line = command_line(argv, user or None)
        return self.frontend.argv(shlex.split(line)) if self.frontend else ["/bin/sh", "-c", line]


def frontend_ref(value: Any, key: str = "frontend") -> FrontendRef | None:
    """The frontend of a record or of a connection (None: this machine), each value checked."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise OarNxcError(f"{key}: a {type(value).__name__} is not a mapping of {', '.join(_FRONTEND_KEYS)}")
    unknown = sorted(str(k) for k in value if k not in _FRONTEND_KEYS)
    if unknown:
        raise OarNxcError(f"{key}.{unknown[0][:40]}: unknown key; the keys are {', '.join(_FRONTEND_KEYS)}")
    port = value.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
        raise OarNxcError(f"{key}.port: {str(port)[:20]!r} is not a TCP port (1-65535)")
    user = value.get("user")
    key_file = value.get("private_key_file")
    if key_file is not None and (not isinstance(key_file, str) or not key_file.startswith("/")
                                 or any(ord(c) < 32 or ord(c) == 127 for c in key_file) or len(key_file) > 4096):
        raise OarNxcError(f"{key}.private_key_file: {str(key_file)[:40]!r} is not an absolute path")
    return FrontendRef(host=identity.host(value.get("host"), f"{key}.host"), port=port,
                       user=identity.user(user, f"{key}.user") if user is not None else None,
                       private_key_file=key_file)


def _optional_pid(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    return None if value is None else identity.pid(value, key)


def _start(data: dict[str, Any]) -> str | None:
    value = data.get("watch_started")
    if value is None:
        return None
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > _START:
        raise OarNxcError(f"watch_started: {str(value)[:40]!r} is not a process start time (clock ticks)")
    return value


def parse(data: dict[str, Any], source: str) -> JobRecord:
    """The record of DATA (a JSON object), or SourceError naming SOURCE and the bad key."""
    try:
        job_id = identity.job_id(data.get("job_id"), "job_id")
        guard = data.get("guard")
        if guard not in GUARD_STATES:
            raise OarNxcError(f"guard: {str(guard)[:40]!r} is not one of {', '.join(GUARD_STATES)}")
        given = data.get("given", False)
        if not isinstance(given, bool):
            raise OarNxcError(f"given: a {type(given).__name__} is not a boolean")
        user = data.get("user") or ""
        record = JobRecord(job_id=job_id, guard=guard, given=given, data=data,
                           user=identity.user(user, "user") if user else "",
                           frontend=frontend_ref(data.get("frontend")),
                           watch_pid=_optional_pid(data, "watch_pid"), watch_started=_start(data),
                           guard_pid=_optional_pid(data, "guard_pid"))
    except OarNxcError as exc:
        key, _sep, why = str(exc).partition(": ")
        raise SourceError(source, why, key=key) from None
    for name in ("armed_at", "released_at"):
        stamp = data.get(name)
        if stamp is not None and (isinstance(stamp, bool) or not isinstance(stamp, (int, float))
                                  or not math.isfinite(stamp)):
            raise SourceError(source, "is not a time (seconds since the epoch)", key=name)
    return record


def load(path: Path | str) -> JobRecord:
    """The job record at PATH (see the module), or SourceError."""
    return parse(reading.load_record(str(path), WHAT), str(path))
