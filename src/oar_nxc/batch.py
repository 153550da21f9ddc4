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
import re
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from oar_nxc import api, bounded
from oar_nxc.errors import ConfigError
from oar_nxc.formats.reading import excerpt
from oar_nxc.oar import guard as jobguard
from oar_nxc.oar import identity
from oar_nxc.oar import lifecycle as joblife
from oar_nxc.oar import output as oarjson
from oar_nxc.oar import request as jobrequest
from oar_nxc.terminal import shown

POLL = 2.0  # seconds between two looks at the job and its output files
SUBMIT_TIMEOUT = 120
OUTPUT_LIMIT = 16 << 20  # bytes kept of what an OAR command prints on each stream
_DIRECTIVE = re.compile(r"#OAR(\s|$)")
_PATH_CHARS = "_./+@%,:=-"
# C0 and C1 controls, DEL, the line and paragraph separators: never on one of the script's lines
_CONTROL = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]")


class LocalShell(bounded.Shell):
    """oar_nxc.oar.remote.Shell on this machine (the frontend, where ``oar-nxc submit`` runs), bounded in time and
    in what it keeps of the output."""

    def __init__(self) -> None:
        super().__init__(SUBMIT_TIMEOUT, OUTPUT_LIMIT)


def one_line(value: str, flag: str) -> str:
    """VALUE, which the job script carries on one of its lines: a line break (or any control character) would
    start a line of its own, which OAR reads as a directive when it starts with #OAR: refused, naming FLAG."""
    bad = _CONTROL.search(value)
    if bad:
        raise ConfigError(f"{flag}: {excerpt(value, 60)} holds a control character ({shown(bad.group())}): the job "
                          "script carries it on one line, and a line break there would start a line of its own "
                          "(OAR reads a line that starts with #OAR as a directive); give it on one line (-e: JSON "
                          "on one line, or @FILE)")
    return value


def run_arguments(options: Any, args: argparse.Namespace) -> list[str]:
    """The ``oar-nxc run`` flags the job's script repeats (the job itself is the reservation), each value checked
    to stay on its line (:func:`one_line`)."""
    pairs: list[tuple[str, str]] = []
    if options.flavour:
        pairs.append(("--flavour", options.flavour))
    if options.composition:
        pairs.append(("--composition", options.composition))
    if options.setup:
        pairs.append(("--setup", options.setup))
    if options.nodes is not None:
        pairs.append(("--nodes", str(options.nodes)))
    if options.min_machines is not None:
        pairs.append(("--min-machines", str(options.min_machines)))
    pairs += [("--exclude", pattern) for pattern in options.exclude]
    pairs += [("--roles", role) for role in args.roles]
    pairs += [("-e", value) for value in options.extra_vars]
    return [word for flag, value in pairs for word in (flag, one_line(value, flag))]


def directives(text: str) -> list[str]:
    """The #OAR directives OAR reads in a script, by the rule OAR 2.5 (oarsub, Perl) and OAR 3
    (``oar.lib.submission.scan_script``) share, read wide: every line (split on ``\\n`` only) that starts with
    ``#OAR`` and a white space or its end (OAR 2.5 sees the line's newline), wherever it is in the script, quoted
    words of the shell included."""
    return [line for line in text.split("\n") if _DIRECTIVE.match(line)]


def script(request: jobrequest.JobRequest, *, runs: Path, cwd: Path, oar_nxc: str, run_args: list[str]) -> str:
    """The job script: ``#OAR`` directives, then ``exec oar-nxc run`` on the job's own nodefile. Every value is on
    its line: the script's directives are exactly the request's, or ConfigError."""
    wanted = [f"#OAR -n {request.name}", f"#OAR -l {request.resource_request}"]
    wanted += [f"#OAR -t {kind}" for kind in request.types]
    if request.queue:
        wanted.append(f"#OAR -q {request.queue}")
    if request.project:
        wanted.append(f"#OAR --project {request.project}")
    if request.properties:
        wanted.append(f"#OAR -p {request.properties}")
    wanted += [f"#OAR -O {runs}/OAR.%jobid%.stdout", f"#OAR -E {runs}/OAR.%jobid%.stderr"]
    for line in wanted:
        one_line(line, "the job request")
    lines = ["#!/bin/sh", "# oar-nxc batch job, written by `oar-nxc submit`: the whole chain runs inside this job,",
             "# on its first machine, on $OAR_NODEFILE; the job's exit status is the run's.", *wanted,
             "set -e", f"cd {shlex.quote(one_line(str(cwd), 'the working directory'))}",
             f"exec {shlex.quote(one_line(oar_nxc, 'the oar-nxc program'))} run --nodefile \"$OAR_NODEFILE\" "
             f"--run-dir {shlex.quote(str(runs) + '/job-')}\"$OAR_JOB_ID\" "
             f"{shlex.join(one_line(a, 'a run argument') for a in run_args)}".rstrip()]
    text = "\n".join(lines) + "\n"
    if directives(text) != wanted:  # cannot happen once every value is on its line: checked all the same
        raise ConfigError("the job script would carry #OAR directives other than the request's: not submitted")
    return text


def check_run_dir(path: Path) -> Path:
    """The run directory, whose path the job script's ``-O``/``-E`` directives and ``oarsub -S`` carry: OAR keeps
    only the first word of ``-S``'s script and OAR 2.5 opens it through a shell, so the path holds only the
    characters no shell or word split reads (letters, digits, ``_ . / + @ % , : = -``)."""
    text = str(path)
    bad = next((c for c in text if not (c.isascii() and (c.isalnum() or c in _PATH_CHARS))), None)
    if bad is not None:
        raise ConfigError(f"--run-dir: {excerpt(text, 80)} holds {excerpt(bad)}: OAR keeps only the first word of "
                          "oarsub -S's script path and OAR 2.5 reads it through a shell, so the run directory's "
                          "path may hold only letters, digits and _ . / + @ % , : = -")
    return path


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
                print(f"oar-nxc: OAR job {job_id} ended {shown(status.state) if status else 'unknown to OAR'} without "
                      f"an exit status ({shown(status.why()) if status else ''})", file=err)
                return 1
            exit_status, signal = code >> 8, code & 127
            print(f"oar-nxc: OAR job {job_id} {shown(status.state)}, exit status {exit_status}"
                  + (f", signal {signal}" if signal else ""), file=err)
            return exit_status if not signal else 128 + signal
        sleep(POLL)


def main(args: argparse.Namespace, options: Any, request_values: dict[str, Any], *, out: TextIO,
         err: TextIO | None = None, cancel: Callable[[], bool] = lambda: False) -> int:
    err = err or sys.stderr
    request = jobrequest.from_mapping(request_values, "job")
    user = identity.user(args.user, "--user") if args.user else ""
    cwd = Path(options.cwd or Path.cwd()).resolve()
    runs = check_run_dir(Path(options.run_dir or cwd / "oar-nxc-runs").resolve())
    oar_nxc = str(Path(sys.argv[0]).resolve()) if Path(sys.argv[0]).name == "oar-nxc" else \
        str(Path(sys.executable).parent / "oar-nxc")
    text = script(request, runs=runs, cwd=cwd, oar_nxc=oar_nxc, run_args=run_arguments(options, args))
    path = runs / f"oar-nxc-submit-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.sh"
    argv = ["oarsub", "-S", str(path)]
    shell = LocalShell()
    frontend = joblife.Frontend(shell, user)
    if args.dry_run:
        print(f"# {shown(path)}\n{text}# submitted with:\n{shown(frontend.line(argv))}", file=out)
        return 0
    try:
        runs.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o700)  # its -e values may hold a password: only its owner, who runs it, reads it
    except OSError as exc:
        print(f"oar-nxc: --run-dir {shown(runs)}: cannot write the job script there: {exc.strerror}", file=err)
        return 2
    try:
        job_id = frontend.submit_argv(argv)
    except joblife.JobError as exc:
        print(f"oar-nxc: {shown(str(exc))}\n  cmd: {shown(exc.cmd)}", file=err)
        return api.RESERVATION if exc.reservation else api.BAD_INPUT
    record = runs / "job.json"
    # the record names the job, its user and its frontend (this machine): release derives oardel from them
    jobguard.write(record, {"job_id": job_id, "name": request.name, "kind": "batch", "guard": jobguard.ARMED,
                            "watch_pid": os.getpid(), "watch_started": jobguard.start_time(os.getpid()),
                            "user": user, "frontend": None, "script": str(path), "armed_at": time.time()})
    print(f"OAR_JOB_ID={job_id}", file=out)
    print(f"oar-nxc: batch job {job_id} submitted ({shown(path)}); results in {shown(runs)}/job-{job_id}, output in "
          f"{shown(runs)}/OAR.{job_id}.stdout", file=err)
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
