"""The life of an OAR job the project holds: reserve (or reuse by name), wait until it runs, release.

The decisions of ``oar.nxc.oar_job``, over any transport that runs a command line on the OAR
frontend (:class:`oar_nxc.oar.remote.Shell`): the action's is the frontend's Ansible connection, the unit
tests replay what OAR 2.5 and OAR 3 printed on the testbed.

* **Reuse by name.** A job of the user with the request's name that has not ended (Waiting,
  Running...) is the job: it is reused, never doubled. Two such jobs are an error that names both.
* **Submit** with the request's ``oarsub`` argv, as the user, from its home. ``oarsub`` refusing the
  request (not enough resources, an admission rule) is an error with OAR's own words.
* **Wait** until the job is Running, bounded. While it waits the progress says why, in OAR's words
  (its ``message``) and with the start OAR predicts (``scheduledStart``/``scheduled_start``). On
  timeout a job this call submitted is deleted (and awaited), and the error says all of it.
* **Still held** at the end of a run: a job that is no longer Running (its walltime ended, OAR killed
  it) fails the run as a failure of the reservation, naming its state and OAR's events.
* **Release** with ``oardel`` and wait until OAR has ended the job, bounded. A job that has already
  ended (or that OAR no longer knows) is no change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from oar_nxc.errors import OarNxcError, SourceError
from oar_nxc.formats import reading
from oar_nxc.oar import identity
from oar_nxc.oar import output as oarjson
from oar_nxc.oar.remote import Output, Shell, command_line
from oar_nxc.oar.request import JobRequest

RUNNING = "Running"
# the states of a job that has not ended (OAR 2.5 and OAR 3 share them)
ACTIVE = ("Waiting", "Hold", "toLaunch", "Launching", "Running", "Suspended", "Resuming", "toAckReservation",
          "Finishing")
FINAL = oarjson.FINAL_STATES
PROGRESS_EVERY = 30.0  # seconds between two progress lines while nothing changes
# oardel: 6 the job is already being killed; OAR 2.5: 7 no such job; OAR 3: 15 for several errors
OARDEL_GONE = (6, 7)


class JobError(OarNxcError):
    """OAR refused or did not do what was asked; ``cmd``/``rc``/``stdout``/``stderr`` of the command when one
    failed."""

    def __init__(self, message: str, *, cmd: str = "", rc: int | None = None, stdout: str = "",
                 stderr: str = "", job_id: int | None = None, ended: bool = False,
                 reservation: bool = False) -> None:
        super().__init__(message)
        self.cmd, self.rc, self.stdout, self.stderr, self.job_id = cmd, rc, stdout, stderr, job_id
        self.ended = ended  # the job has ended (or was deleted here): nothing is left to release
        # the reservation itself failed (oarsub refused it, or it did not run in time, or it ended before it ran):
        # an infrastructure failure a CI job may retry, never a failed check
        self.reservation = reservation

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cmd": self.cmd} if self.cmd else {}
        if self.rc is not None:
            out.update(rc=self.rc, stdout=self.stdout, stderr=self.stderr)
        if self.job_id is not None:
            out["job_id"] = self.job_id
        return out


class WaitTimeout(JobError):
    """The job did not run within the timeout: always a failure of the reservation."""

    def __init__(self, message: str, *, job_id: int | None = None, ended: bool = False) -> None:
        super().__init__(message, job_id=job_id, ended=ended, reservation=True)


@dataclass(frozen=True, slots=True)
class Listed:
    job_id: int
    name: str | None
    state: str


@dataclass(frozen=True, slots=True)
class Status:
    """One read of ``oarstat -f -J -j ID``."""

    job_id: int
    state: str
    message: str = ""  # the scheduler's own words: R=4,W=0:5:0,J=B (Karma=...)
    scheduled_start: int | None = None  # epoch seconds OAR predicts the start at
    exit_code: int | None = None  # the raw wait status
    events: tuple[tuple[str, str], ...] = ()  # (type, description) of OAR's events on the job (OAR 2.5)

    def why(self, now: float | None = None) -> str:
        parts = [self.state]
        if self.message:
            parts.append(f"OAR says: {self.message}")
        if self.scheduled_start:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.scheduled_start))
            ahead = self.scheduled_start - (time.time() if now is None else now)
            parts.append(f"predicted start {when}" + (f" (in {int(ahead)} s)" if ahead > 0 else ""))
        if self.events:
            parts.append(f"events: {self.said(self.events)}")
        return ", ".join(parts)

    def trouble(self) -> str:
        """OAR's events on the job that say what ended it or went wrong under it ('' when none)."""
        return self.said([e for e in self.events if e[0] in oarjson.TROUBLE_EVENTS])

    @staticmethod
    def said(events: Sequence[tuple[str, str]]) -> str:
        """The last three events, each as TYPE: description on one line."""
        return "; ".join(f"{kind}: {' '.join(text.split())}" if text else kind for kind, text in events[-3:])


@dataclass(slots=True)
class Held:
    """What :func:`present` did: the job it holds and how it got it."""

    job_id: int | None
    state: str
    command: str  # the oarsub command line (run, or that would run)
    reused: bool = False
    submitted: bool = False
    given: bool = False  # the caller named the job (job_id): used, never released here
    waited: float = 0.0
    history: list[str] = field(default_factory=list)  # what the waits said, in order


def parse_user_jobs(text: str, source: str) -> list[Listed]:
    """The jobs of ``oarstat -u USER -J``: an object of job id -> job on both OAR generations (``{}`` or
    nothing when the user has none)."""
    if not text.strip():
        return []
    data = reading.loads_json(text, source)
    if isinstance(data, list) and not data:
        return []
    if not isinstance(data, dict):
        raise SourceError(source, "must be a JSON object (job id -> job)")
    out = []
    for key, raw in data.items():
        number = oarjson.as_int(key)
        if number is None or not isinstance(raw, dict):
            raise SourceError(source, "not a job id -> job object", key=str(key)[:40])
        name = raw.get("name")
        out.append(Listed(number, name if isinstance(name, str) else None, str(raw.get("state", ""))))
    return sorted(out, key=lambda job: job.job_id)


def parse_status(text: str, job_id: int, source: str) -> Status | None:
    """The job of ``oarstat -f -J -j ID``; None when OAR does not know it (it printed no job)."""
    if not text.strip():
        return None
    data = reading.loads_json(text, source)
    if isinstance(data, (dict, list)) and not data:
        return None
    if not isinstance(data, dict):
        raise SourceError(source, "must be a JSON object (job id -> job)")
    raw = data.get(str(job_id))
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("state"), str):
        raise SourceError(source, "no job state", key=f"{job_id}.state")
    start = oarjson.as_int(raw.get("scheduledStart", raw.get("scheduled_start")))
    message = raw.get("message")
    return Status(job_id=job_id, state=raw["state"], message=message.strip() if isinstance(message, str) else "",
                  scheduled_start=start if start and start > 0 else None,
                  exit_code=oarjson.as_int(raw.get("exit_code")), events=oarjson.events_of(raw.get("events")))


def oar_said(out: Output) -> str:
    """What OAR said when a command failed: its error lines, without the noise both OARs print."""
    lines = [ln.strip() for ln in (out.stderr + "\n" + out.stdout).splitlines() if ln.strip()]
    noise = ("OAR_JOB_ID=", "[ADMISSION RULE] Modify resource description")
    kept = [ln for ln in lines if not ln.startswith(noise)]
    said = " ".join(kept or lines) or "no output"
    return said if len(said) <= 400 else said[:400] + "..."


class Frontend:
    """The OAR commands of a job's life on the frontend, as ``user`` ('' = the connection's own user)."""

    def __init__(self, shell: Shell, user: str = "", *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, progress: Callable[[str], None] | None = None) -> None:
        # checked once, here: a value su could read as an option never reaches a command line
        self.shell, self.user, self.clock, self.sleep = shell, identity.user(user, "user") if user else "", clock, sleep
        self.progress = progress or (lambda line: None)

    def line(self, argv: list[str]) -> str:
        return command_line(argv, self.user or None)

    def run(self, argv: list[str]) -> tuple[str, Output]:
        line = self.line(argv)
        return line, self.shell.run(line)

    def _read(self, argv: list[str]) -> tuple[str, Output]:
        line, out = self.run(argv)
        if out.rc != 0:
            raise JobError(f"{' '.join(argv)} failed (rc {out.rc}): {oar_said(out)}", cmd=line, rc=out.rc,
                           stdout=out.stdout, stderr=out.stderr)
        return line, out

    def jobs_named(self, name: str, owner: str) -> list[Listed]:
        """The user's jobs with this name that have not ended."""
        argv = ["oarstat", "-u", owner, "-J"]
        _unused, out = self._read(argv)
        return [j for j in parse_user_jobs(out.stdout, " ".join(argv)) if j.name == name and j.state in ACTIVE]

    def status(self, job_id: int) -> Status | None:
        argv = ["oarstat", "-f", "-J", "-j", str(job_id)]
        _unused, out = self._read(argv)
        return parse_status(out.stdout, job_id, " ".join(argv))

    def submit(self, request: JobRequest) -> int:
        return self.submit_argv(request.argv())

    def submit_argv(self, argv: list[str]) -> int:
        """Run an ``oarsub`` argv; the job id it printed, or :class:`JobError` with OAR's words."""
        line, out = self.run(argv)
        match = oarjson.JOB_ID_RE.search(out.stdout)
        if out.rc != 0 or match is None:
            raise JobError(f"oarsub refused the job (rc {out.rc}): {oar_said(out)}", cmd=line, rc=out.rc,
                           stdout=out.stdout, stderr=out.stderr, reservation=True)
        return int(match.group(1))

    def wait(self, job_id: int, timeout: float, poll: float, held: Held) -> Status:
        """Until the job is Running; :class:`WaitTimeout` with the last status after ``timeout`` seconds."""
        started = self.clock()
        said, last_said = "", started
        while True:
            status = self.status(job_id)
            if status is None:
                raise JobError(f"OAR job {job_id} is gone (oarstat knows it no more) before it ran", job_id=job_id,
                               ended=True, reservation=True)
            if status.state == RUNNING:
                held.waited += self.clock() - started
                return status
            if status.state in FINAL:
                raise JobError(f"OAR job {job_id} ended ({status.why()}) before it ran", job_id=job_id, ended=True,
                               reservation=True)
            now = self.clock()
            why = status.why()
            if why != said or now - last_said >= PROGRESS_EVERY:
                said, last_said = why, now
                held.history.append(why)
                self.progress(f"OAR job {job_id}: {why} ({now - started:.0f} s of {timeout:g} s)")
            if now - started >= timeout:
                held.waited += now - started
                raise WaitTimeout(f"OAR job {job_id} did not run within {timeout:g} s: {why}", job_id=job_id)
            self.sleep(min(poll, max(0.0, timeout - (now - started))) or poll)

    def delete(self, job_id: int, timeout: float, poll: float) -> tuple[bool, str]:
        """``oardel`` and wait until OAR ended the job: (changed, its final state, '' when OAR forgot it)."""
        status = self.status(job_id)
        if status is None or status.state in FINAL:
            return False, status.state if status else ""
        argv = ["oardel", str(job_id)]
        line, out = self.run(argv)
        if out.rc != 0 and out.rc not in OARDEL_GONE:
            raise JobError(f"oardel {job_id} failed (rc {out.rc}): {oar_said(out)}", cmd=line, rc=out.rc,
                           stdout=out.stdout, stderr=out.stderr, job_id=job_id)
        started = self.clock()
        while True:
            status = self.status(job_id)
            if status is None or status.state in FINAL:
                return True, status.state if status else ""
            if self.clock() - started >= timeout:
                raise JobError(f"OAR job {job_id} still {status.state} {timeout:g} s after oardel", job_id=job_id)
            self.sleep(poll)


def present(frontend: Frontend, request: JobRequest | None, owner: str, *, timeout: float, poll: float,
            reuse: bool = True, check: bool = False, job_id: int | None = None,
            held_hook: Callable[[Held], None] | None = None) -> Held:
    """The job of ``request``: the one given (``job_id``, then no request is needed), reused by name, or
    submitted; Running when this
    returns (not under ``check``, which only says what it would do). ``held_hook`` is called once the job
    is known, before the wait (the caller arms its release there: an interrupt while the job waits must
    not leave it behind)."""
    if request is None and job_id is None:
        raise JobError("nothing to hold: give a request or a job id")
    command = frontend.line(request.argv()) if request is not None else ""
    held = Held(job_id=None, state="", command=command)
    if job_id is not None:
        status = frontend.status(job_id)
        if status is None or status.state not in ACTIVE:
            raise JobError(f"OAR job {job_id} is {status.state if status else 'unknown to OAR'}: give a job that "
                           "has not ended", job_id=job_id)
        held.job_id, held.state, held.given = job_id, status.state, True
    elif reuse and request is not None:
        named = frontend.jobs_named(request.name, owner)
        if len(named) > 1:
            ids = ", ".join(str(j.job_id) for j in named)
            raise JobError(f"{owner} has {len(named)} jobs named {request.name} that have not ended ({ids}): reuse "
                           f"is by name, so release all but one (oardel) or give another name")
        if named:
            held.job_id, held.state, held.reused = named[0].job_id, named[0].state, True
    if check:
        return held
    if held.job_id is None and request is not None:
        held.job_id, held.state, held.submitted = frontend.submit(request), "Waiting", True
    assert held.job_id is not None
    if held_hook is not None:
        held_hook(held)
    try:
        status = frontend.wait(held.job_id, timeout, poll, held)
    except WaitTimeout as exc:
        if not held.submitted:
            raise WaitTimeout(f"{exc} (a job this run did not submit: left as it is)", job_id=held.job_id) from None
        try:
            frontend.delete(held.job_id, timeout=60, poll=poll)
            end, ended = "deleted", True
        except JobError as gone:
            end, ended = f"NOT deleted: {gone}", False
        raise WaitTimeout(f"{exc}; job {held.job_id} {end}", job_id=held.job_id, ended=ended) from None
    held.state = status.state
    return held


def still_held(frontend: Frontend, job_id: int) -> tuple[Status | None, str]:
    """At the end of a run: the job still holds its machines (it is Running), or :class:`JobError` (a failure of
    the reservation) naming its state and OAR's account of its end (the WALLTIME event...). ``(None, why)`` when
    OAR cannot be read: then whether the machines were held is not known, which the caller warns of."""
    try:
        status = frontend.status(job_id)
    except OarNxcError as exc:  # the command failed, or printed what is not a job
        return None, f"OAR job {job_id} could not be read at the end of the run, so whether it still held its " \
                     f"machines is not known: {exc}"
    if status is None:
        raise JobError(f"OAR job {job_id} is gone (oarstat knows it no more): the run went on past the job, so its "
                       "results come from machines it no longer held", job_id=job_id, ended=True, reservation=True)
    if status.state == RUNNING:
        return status, ""
    trouble = status.trouble()
    raise JobError(f"OAR job {job_id} ended during the run: it is {status.state}, not Running"
                   + (f" (OAR's events: {trouble})" if trouble else "")
                   + ". The run's results come from machines the job no longer held: reserve a longer job (its "
                   "walltime) and run again", job_id=job_id, ended=status.state in FINAL, reservation=True)


def nodefile_text(machines: list[tuple[str, int]]) -> str:
    """``$OAR_NODEFILE``'s form: each machine once per core, machines sorted by name as OAR sorts them."""
    return "".join(f"{name}\n" * max(1, cores) for name, cores in sorted(machines))
