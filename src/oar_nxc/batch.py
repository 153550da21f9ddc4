"""``oar-nxc submit``: the non-interactive batch mode. An OAR batch job whose script runs the whole chain
(``oar-nxc run --nodefile $OAR_NODEFILE``) inside the job, from its first machine.

* The script carries the request as ``#OAR`` directives (``-n``, ``-l``, ``-t``, ``-q``, ``--project``,
  ``-p``, ``-O``, ``-E``; both OARs take the rest of a directive's line as its value), is submitted with
  ``oarsub -S`` and shown, with that command, by ``--dry-run``.
* Its results land in ``<runs>/job-<job id>`` (``--run-dir``, default ``./oar-nxc-runs``), its output in
  ``<runs>/OAR.<job id>.stdout`` and ``.stderr``.
* The script ``exec``s ``oar-nxc run``: the job's exit status is the run's (OAR stores the wait status,
  ``exit_code``; exit status = ``exit_code >> 8``).
* ``--follow`` streams the output files as they grow and returns the job's exit status; a cancel
  (SIGINT, SIGTERM) asks whether to delete the job on a terminal, and deletes it without one.
* ``<runs>/job.json`` records the batch job as ``oar-nxc run`` records its reservation (id, name, the
  release command), so that ``oar-nxc release <runs>`` (a CI job's ``after_script``) deletes it when the
  CI job was cancelled or timed out while following it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from oar_nxc import api
from oar_nxc.errors import ConfigError
from oar_nxc.oar import guard as jobguard
from oar_nxc.oar import lifecycle as joblife
from oar_nxc.oar import output as oarjson
from oar_nxc.oar import request as jobrequest
from oar_nxc.oar.remote import Output

POLL = 2.0  # seconds between two looks at the job and its output files
SUBMIT_TIMEOUT = 120


class LocalShell:
    """oar_nxc.oar.remote.Shell on this machine (the frontend, where ``oar-nxc submit`` runs)."""

    def run(self, command: str) -> Output:
        try:
            done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, check=False,
                                  timeout=SUBMIT_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return Output(124, "", f"did not answer within {SUBMIT_TIMEOUT} s")
        return Output(done.returncode, done.stdout, done.stderr)


def run_arguments(options: Any, args: argparse.Namespace) -> list[str]:
    """The ``oar-nxc run`` flags the job's script repeats (the job itself is the reservation)."""
    out: list[str] = []
    if options.flavour:
        out += ["--flavour", options.flavour]
    if options.composition:
        out += ["--composition", options.composition]
    if options.setup:
        out += ["--setup", options.setup]
    if options.nodes is not None:
        out += ["--nodes", str(options.nodes)]
    if options.min_machines is not None:
        out += ["--min-machines", str(options.min_machines)]
    for pattern in options.exclude:
        out += ["--exclude", pattern]
    for role in args.roles:
        out += ["--roles", role]
    for value in options.extra_vars:
        out += ["-e", value]
    return out


def script(request: jobrequest.JobRequest, *, runs: Path, cwd: Path, oar_nxc: str, run_args: list[str]) -> str:
    """The job script: ``#OAR`` directives, then ``exec oar-nxc run`` on the job's own nodefile."""
    lines = ["#!/bin/sh", "# oar-nxc batch job, written by `oar-nxc submit`: the whole chain runs inside this job,",
             "# on its first machine, on $OAR_NODEFILE; the job's exit status is the run's.",
             f"#OAR -n {request.name}", f"#OAR -l {request.resource_request}"]
    lines += [f"#OAR -t {kind}" for kind in request.types]
    if request.queue:
        lines.append(f"#OAR -q {request.queue}")
    if request.project:
        lines.append(f"#OAR --project {request.project}")
    if request.properties:
        lines.append(f"#OAR -p {request.properties}")
    lines += [f"#OAR -O {runs}/OAR.%jobid%.stdout", f"#OAR -E {runs}/OAR.%jobid%.stderr",
              "set -e", f"cd {shlex.quote(str(cwd))}",
              f"exec {shlex.quote(oar_nxc)} run --nodefile \"$OAR_NODEFILE\" "
              f"--run-dir {shlex.quote(str(runs) + '/job-')}\"$OAR_JOB_ID\" {shlex.join(run_args)}".rstrip()]
    return "\n".join(lines) + "\n"


def _check_path(path: Path, what: str) -> None:
    if any(ord(c) < 32 for c in str(path)):
        raise ConfigError(f"{what} {str(path)!r} holds a control character: an #OAR directive is one line")


def follow(shell: LocalShell, frontend: joblife.Frontend, job_id: int, files: list[Path], *, out: TextIO,
           err: TextIO, cancel: Callable[[], bool], ask: Callable[[str], bool] | None,
           sleep: Callable[[float], None] = time.sleep) -> int:
    """Stream ``files`` (stdout, stderr) until the job ends; its exit status (1 when it has none)."""
    offsets = [0 for _unused in files]
    streams = [out, err]

    def drain() -> None:
        for index, path in enumerate(files):
            try:
                with path.open("rb") as handle:
                    handle.seek(offsets[index])
                    data = handle.read(1 << 20)
            except OSError:
                continue
            if data:
                offsets[index] += len(data)
                streams[index].write(data.decode("utf-8", "replace"))
                streams[index].flush()

    while True:
        drain()
        if cancel():
            if ask is None or ask(f"oar-nxc: delete OAR job {job_id}? [y/N] "):
                _unused, state = frontend.delete(job_id, timeout=120, poll=POLL)
                print(f"oar-nxc: OAR job {job_id} deleted ({state or 'gone'})", file=err)
            else:
                print(f"oar-nxc: OAR job {job_id} left running (oarstat -j {job_id})", file=err)
            return 130
        status = frontend.status(job_id)
        if status is None or status.state in oarjson.FINAL_STATES:
            drain()
            code = status.exit_code if status else None
            if status is None or code is None:
                print(f"oar-nxc: OAR job {job_id} ended {status.state if status else 'unknown to OAR'} without an "
                      f"exit status ({status.why() if status else ''})", file=err)
                return 1
            exit_status, signal = code >> 8, code & 127
            print(f"oar-nxc: OAR job {job_id} {status.state}, exit status {exit_status}"
                  + (f", signal {signal}" if signal else ""), file=err)
            return exit_status if not signal else 128 + signal
        sleep(POLL)


def main(args: argparse.Namespace, options: Any, request_values: dict[str, Any], *, out: TextIO,
         err: TextIO | None = None, cancel: Callable[[], bool] = lambda: False) -> int:
    err = err or sys.stderr
    request = jobrequest.from_mapping(request_values, "job")
    cwd = Path(options.cwd or Path.cwd()).resolve()
    runs = Path(options.run_dir or cwd / "oar-nxc-runs").resolve()
    _check_path(runs, "--run-dir")
    oar_nxc = str(Path(sys.argv[0]).resolve()) if Path(sys.argv[0]).name == "oar-nxc" else \
        str(Path(sys.executable).parent / "oar-nxc")
    text = script(request, runs=runs, cwd=cwd, oar_nxc=oar_nxc, run_args=run_arguments(options, args))
    path = runs / f"oar-nxc-submit-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.sh"
    argv = ["oarsub", "-S", str(path)]
    shell = LocalShell()
    frontend = joblife.Frontend(shell, args.user)
    if args.dry_run:
        print(f"# {path}\n{text}# submitted with:\n{frontend.line(argv)}", file=out)
        return 0
    try:
        runs.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o700)  # its -e values may hold a password: only its owner, who runs it, reads it
    except OSError as exc:
        print(f"oar-nxc: --run-dir {runs}: cannot write the job script there: {exc.strerror}", file=err)
        return 2
    try:
        job_id = frontend.submit_argv(argv)
    except joblife.JobError as exc:
        print(f"oar-nxc: {exc}\n  cmd: {exc.cmd}", file=err)
        return api.RESERVATION if exc.reservation else api.BAD_INPUT
    record = runs / "job.json"
    jobguard.write(record, {"job_id": job_id, "name": request.name, "kind": "batch", "guard": jobguard.ARMED,
                            "watch_pid": os.getpid(), "watch_started": jobguard.start_time(os.getpid()),
                            "release_argv": ["/bin/sh", "-c", frontend.line(["oardel", str(job_id)])],
                            "state_argv": ["/bin/sh", "-c", frontend.line(["oarstat", "-s", "-J", "-j", str(job_id)])],
                            "script": str(path), "armed_at": time.time()})
    print(f"OAR_JOB_ID={job_id}", file=out)
    print(f"oar-nxc: batch job {job_id} submitted ({path}); results in {runs}/job-{job_id}, output in "
          f"{runs}/OAR.{job_id}.stdout", file=err)
    if not args.follow:
        return 0
    tty = sys.stdin.isatty()
    ask = (lambda prompt: input(prompt).strip().lower() in ("y", "yes")) if tty else None
    files = [runs / f"OAR.{job_id}.stdout", runs / f"OAR.{job_id}.stderr"]
    code = follow(shell, frontend, job_id, files, out=out, err=err, cancel=cancel, ask=ask)
    try:
        status = frontend.status(job_id)
    except joblife.JobError:
        return code  # the record stays armed: oar-nxc release will look again
    if status is None or status.state in oarjson.FINAL_STATES:  # ended, or deleted on cancel
        jobguard.update(record, guard=jobguard.ENDED if code != 130 else jobguard.RELEASED,
                        final_state=status.state if status else "gone", exit_status=code)
    return code
