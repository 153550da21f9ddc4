"""A command run on this machine, bounded while it runs: in time, and in the bytes kept of what it prints.

``subprocess.run(capture_output=True)`` reads everything a command prints before anyone can look at its
size: an OAR command, ``nix-instantiate`` or ``ssh`` that prints 800 MB takes the caller to gigabytes
before a limit checked afterwards says no. Here each stream is read in chunks as it comes; past
``limit`` bytes on either one, the command (its whole process group, which it leads: ``start_new_session``)
is killed and :class:`OutputTooLarge` is raised. Past ``timeout`` seconds the same is done and
:class:`subprocess.TimeoutExpired` is raised, as ``subprocess.run`` would. Memory stays within twice the
limit whatever the command does. Standard input is ``/dev/null``: the commands run here read nothing.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from oar_nxc.oar.remote import Output

CHUNK = 1 << 16


class OutputTooLarge(Exception):
    """The command printed more than the limit on one stream: it was killed."""

    def __init__(self, argv: Sequence[str], limit: int) -> None:
        super().__init__(f"{argv[0] if argv else '?'} printed more than {limit} bytes: stopped there")
        self.argv, self.limit = list(argv), limit


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: bytes
    stderr: bytes


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill the process group the command leads (it was started in a session of its own), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def run(argv: Sequence[str], *, timeout: float, limit: int, env: Mapping[str, str] | None = None,
        cwd: str | None = None) -> Done:
    """Run ARGV (a list, never a shell string) with at most TIMEOUT seconds and LIMIT bytes per stream."""
    proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True)
    assert proc.stdout is not None and proc.stderr is not None
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    kept = {out_fd: bytearray(), err_fd: bytearray()}
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        for stream in (proc.stdout, proc.stderr):
            selector.register(stream, selectors.EVENT_READ)
        try:
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    _stop(proc)
                    raise subprocess.TimeoutExpired(list(argv), timeout)
                for key, _events in selector.select(min(left, 1.0)):
                    chunk = os.read(key.fd, CHUNK)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    kept[key.fd] += chunk
                    if len(kept[key.fd]) > limit:
                        _stop(proc)
                        raise OutputTooLarge(argv, limit)
            try:
                code = proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _stop(proc)
                raise subprocess.TimeoutExpired(list(argv), timeout) from None
        finally:
            proc.stdout.close()
            proc.stderr.close()
    return Done(code, bytes(kept[out_fd]), bytes(kept[err_fd]))


class Shell:
    """:class:`oar_nxc.oar.remote.Shell` on this machine: each command line through ``/bin/sh``, bounded by
    :func:`run`; a time-out (124), an output over the limit (125) or a shell that cannot start (127) is an
    answer with its reason on stderr, as ``timeout`` and a shell would give it."""

    def __init__(self, timeout: float, limit: int) -> None:
        self.timeout, self.limit = timeout, limit

    def run(self, command: str) -> Output:
        try:
            done = run(["/bin/sh", "-c", command], timeout=self.timeout, limit=self.limit)
        except subprocess.TimeoutExpired:
            return Output(124, "", f"did not answer within {self.timeout:g} s")
        except OutputTooLarge as exc:
            return Output(125, "", str(exc))
        except OSError as exc:
            return Output(127, "", f"/bin/sh: {exc.strerror}")
        return Output(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))
