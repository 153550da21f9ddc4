"""The release that runs whatever happens: a guard process beside the ``ansible-playbook`` that reserved a job.

Ansible has no ``finally`` across plays: a failed task, an unreachable machine, SIGINT or SIGTERM
ends the playbook before its last play. So when ``oar.nxc.oar_job`` reserves a job the run must
release, it also starts this guard, in its own session (a Ctrl-C to the terminal's process group
does not reach it). The guard waits until the process it watches (``ansible-playbook``, known by
its pid *and* its start time, so that a reused pid is not taken for it) has exited. Then, unless
the run released or kept the job itself (the record says so), it runs ``oardel`` of the recorded job
id on the recorded frontend (the argv is built from them, :mod:`oar_nxc.oar.record`: a record never
names a program) and waits, bounded, until OAR has ended the job. While it watches, it also asks OAR
every :data:`STATE_EVERY` seconds whether the job has ended (its walltime, an ``oardel`` by hand): then
there is nothing left to release and it exits, so no guard outlives its job. Everything it does goes
into the record (JSON), which the run's results directory keeps (``job.json``); :func:`wait` lets a
caller (``oar-nxc run``) return only once the release is done.

    python -m oar_nxc.oar.guard RECORD     # what spawn() starts; nothing else calls it

:func:`release_now` is the same release asked for from outside (``oar-nxc release RUN_DIR``, a CI
job's ``after_script``): it waits a little for a guard at work, then releases the job itself if
nobody has, so a job whose run was cancelled or killed (its guard with it) is released all the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from oar_nxc import bounded
from oar_nxc.errors import OarNxcError, SourceError
from oar_nxc.oar import output as oarjson
from oar_nxc.oar import record as jobrecord
from oar_nxc.terminal import shown

POLL = 0.5  # seconds between two looks at the watched process
RELEASE_TIMEOUT = 60.0  # seconds the release command and the wait for the job's end may each take
ARMED, RELEASED, KEPT, DONE = "armed", "released", "kept", "released by the guard"
ENDED, BY_COMMAND = "ended", "released by oar-nxc release"  # a batch job that ended on its own; release_now
SETTLE = 20.0  # seconds release_now gives a guard whose watched process has just exited
STATE_LIMIT = 1 << 20  # bytes kept of what oardel or oarstat -s prints
STATE_EVERY = 300.0  # seconds between two looks at the job's state while the watched process runs


def start_time(pid: int) -> str | None:
    """The start time of ``pid`` (field 22 of /proc/PID/stat), None when there is no such process (or only
    its zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def alive(pid: int, started: str | None) -> bool:
    now = start_time(pid)
    return now is not None and (started is None or now == started)


def read(record: Path) -> dict[str, Any]:
    """The record as it is on disk, or {} when there is none or it is not one (a special file, garbage, another
    shape): for :func:`update`, which only adds keys. Decisions read it typed (:func:`load`)."""
    from oar_nxc.errors import OarNxcError
    from oar_nxc.formats import reading

    try:
        return reading.load_record(str(record), jobrecord.WHAT)
    except (OarNxcError, OSError):
        return {}


def load(record: Path) -> jobrecord.JobRecord:
    """The record, typed and checked (:mod:`oar_nxc.oar.record`): SourceError names the file and the key."""
    return jobrecord.load(record)


def write(record: Path, data: dict[str, Any]) -> None:
    temporary = record.with_name(f".{record.name}.{os.getpid()}")
    temporary.write_text(json.dumps(data, indent=1) + "\n")
    temporary.replace(record)


def update(record: Path, **changes: Any) -> dict[str, Any]:
    data = {**read(record), **changes}
    write(record, data)
    return data


def spawn(record: Path, *, watch_pid: int, job_id: int, description: dict[str, Any], user: str = "",
          frontend: dict[str, Any] | None = None, watch_started: str | None = None) -> int:
    """Write the record and start the guard; its pid. FRONTEND: how to reach OAR's frontend (None: this
    machine; else ``host``, ``port``, ``user``, ``private_key_file``), USER: whom ``oardel`` runs as. Both are
    checked here, and recorded as data: what the guard runs is built from them and the job id
    (:meth:`~oar_nxc.oar.record.JobRecord.commands`). ``watch_started``: the watched process's start time
    (default: read now)."""
    record.parent.mkdir(parents=True, exist_ok=True)
    data = {**description, "job_id": job_id, "guard": ARMED, "watch_pid": watch_pid,
            "watch_started": watch_started or start_time(watch_pid), "user": user,
            "frontend": frontend, "armed_at": time.time()}
    jobrecord.parse(data, str(record))  # what the guard will read back: refused here, before it is armed
    write(record, data)
    log = record.with_name(record.stem + "-guard.log")
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "oar_nxc.oar.guard", str(record)], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=out, start_new_session=True, close_fds=True)
    update(record, guard_pid=proc.pid)
    return proc.pid


def disarm(record: Path, outcome: str, **details: Any) -> None:
    """The run released (``released``) or kept (``kept``) the job itself: the guard does nothing."""
    if record.exists():
        update(record, guard=outcome, **details)


def _state(argv: list[str], job_id: int) -> str:
    """The job's state from ``oarstat -s -J -j ID`` ('' when OAR knows it no more), read bounded."""
    try:
        out = bounded.run(argv, timeout=30, limit=STATE_LIMIT)
    except (OSError, subprocess.SubprocessError, bounded.OutputTooLarge) as exc:
        return f"unknown ({exc})"
    try:
        return oarjson.job_state(out.stdout.decode("utf-8", "replace") or "{}", job_id) or ""
    except SourceError:
        return f"unknown (rc {out.returncode})"


def _release(job: jobrecord.JobRecord, timeout: float = RELEASE_TIMEOUT) -> tuple[int, str, str]:
    """oardel the job, then wait (bounded) until OAR has ended it: (rc, what oardel said, the job's final state,
    '' when OAR forgot it). The commands are the record's job id on its frontend, never a program it names."""
    began = time.monotonic()
    release, state = job.commands()
    try:
        done = bounded.run(release, timeout=timeout, limit=STATE_LIMIT)
        rc, said = done.returncode, (done.stderr + done.stdout).decode("utf-8", "replace").strip()[-400:]
    except (OSError, subprocess.SubprocessError, bounded.OutputTooLarge) as exc:
        rc, said = -1, str(exc)
    final = ""
    while time.monotonic() - began < timeout:
        final = _state(state, job.job_id)
        if final in ("", *oarjson.FINAL_STATES):
            break
        time.sleep(1)
    return rc, said, final


def ended(final: str) -> bool:
    return final in ("", "gone", *oarjson.FINAL_STATES)


def guard(record: Path) -> int:
    job = load(record)
    pid, started = job.watch_pid, job.watch_started
    if pid is None or started is None:  # a record the guard cannot watch: it does not wait at all
        print(f"[{time.strftime('%H:%M:%S')}] {record}: no watched process (watch_pid, watch_started)", flush=True)
        return 2
    looked = time.monotonic()
    while alive(pid, started):
        time.sleep(POLL)
        if time.monotonic() - looked >= STATE_EVERY:
            looked = time.monotonic()
            final = _state(job.commands()[1], job.job_id)
            if final in ("", *oarjson.FINAL_STATES):  # OAR ended the job: nothing is left to release
                print(f"[{time.strftime('%H:%M:%S')}] OAR job {job.job_id} ended ({final or 'gone'}) while process "
                      f"{pid} runs: nothing to release", flush=True)
                if load(record).guard == ARMED:
                    update(record, guard=ENDED, final_state=final or "gone")
                return 0
    job = load(record)
    if job.guard != ARMED:
        return 0
    print(f"[{time.strftime('%H:%M:%S')}] process {pid} ended; releasing OAR job {job.job_id}", flush=True)
    rc, said, final = _release(job)
    print(f"[{time.strftime('%H:%M:%S')}] oardel rc {rc}: {said}; job state {final or 'gone'}", flush=True)
    update(record, guard=DONE, release_rc=rc, release_said=said, final_state=final or "gone",
           released_at=time.time())
    return 0 if ended(final) else 1


def release_now(record: Path, *, settle: float = SETTLE, timeout: float = RELEASE_TIMEOUT) -> tuple[bool, str]:
    """Make sure the job of ``record`` has ended unless it was kept or given: (ended, what was done, in words).
    A record that is not one (see :mod:`oar_nxc.oar.record`) is a SourceError.

    A guard at work (its watched process gone) gets ``settle`` seconds to finish; then, if the record is still
    armed (the watched process alive, or the guard killed with it), the job is released here and the record
    says so. A record that says released is checked against OAR, and released again if OAR still runs it."""
    job = load(record)
    if job.guard == KEPT:
        return True, f"OAR job {job.job_id} was kept by the run (--keep-job): not released"
    if job.given or job.guard == "given":
        return True, f"OAR job {job.job_id} was given to the run, not reserved by it: not released"
    deadline = time.monotonic() + settle
    while job.guard == ARMED and time.monotonic() < deadline:
        watched = job.watch_pid is not None and alive(job.watch_pid, job.watch_started)
        guarding = job.guard_pid is not None and start_time(job.guard_pid) is not None
        if watched or not guarding:
            break  # nobody will release it (soon): do it here
        time.sleep(POLL)
        job = load(record)
    if job.guard != ARMED:
        final = _state(job.commands()[1], job.job_id)
        if ended(final):
            return True, f"OAR job {job.job_id}: {job.guard}, {final or 'gone'}"
    rc, said, final = _release(job, timeout)
    update(record, guard=BY_COMMAND, release_rc=rc, release_said=said, final_state=final or "gone",
           released_at=time.time())
    outcome = f"OAR job {job.job_id}: {BY_COMMAND} (oardel rc {rc}), {final or 'gone'}"
    return ended(final), outcome if ended(final) else f"{outcome}: still not ended ({said})"


def wait(record: Path, timeout: float = RELEASE_TIMEOUT * 2 + 10) -> dict[str, Any]:
    """The record once its guard has exited (or ``timeout`` seconds have passed)."""
    deadline = time.monotonic() + timeout
    data = read(record)
    pid = data.get("guard_pid")
    while isinstance(pid, int) and time.monotonic() < deadline:
        if read(record).get("guard") != ARMED or start_time(pid) is None:
            break
        time.sleep(0.2)
    while isinstance(pid, int) and start_time(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.2)  # the guard writes its outcome, then exits
    return read(record)


def main(argv: list[str]) -> int:
    """``python -m oar_nxc.oar.guard RECORD``: 2 with a usage line or the record's error, never a traceback."""
    if len(argv) != 1 or not argv[0] or argv[0].startswith("-"):
        print("usage: python -m oar_nxc.oar.guard RECORD (a job record that oar.nxc.oar_job or oar-nxc submit "
              "wrote)", file=sys.stderr)
        return 2
    try:
        return guard(Path(argv[0]))
    except OarNxcError as exc:
        print(f"oar_nxc.oar.guard: {shown(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
