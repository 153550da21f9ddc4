"""Every deployed host reports the role its deployment file gives it (``/etc/nxc/role``), asked from the
controller at once.

One argv per host, from the host's own connection settings (its inventory variables): ``ssh`` with the
host's address, port, user, key and ssh arguments (the relaxed host-key checking the oar_nxc plugin gives
deployed nodes comes from there, never from here), ``docker exec`` for a container, ``cat`` for a local
host. At most ``parallel`` run at a time, each host retried until the one shared deadline; a host whose
turn comes after the deadline is still asked once. No shell on the controller: the host name and every
setting are argv words, the address comes after ``--``.

The cost on the controller is small per host: no Ansible task, worker or module per host (issue 28: a task
per host made a no-op rerun grow with the machines). ssh connections are shared (ControlMaster,
ControlPersist 60 s): a rerun asks each host over the connection the last question opened, without a new
handshake (at 128 machines on the testbed's 2 cores, 128 handshakes took 8.5 s, both ends on the same cores),
and without an ``ssh`` process: while a host's master listens, the question goes through its socket from
this process (``oar_nxc.sshmux``: 0.05 s of CPU for 128 hosts, against 0.8 s for 128 ``ssh`` clients). Each
socket is named by a digest of the whole argv (address, port, user, key, ssh arguments): a master is reused
only by the same settings, and the name is known here without asking ssh. A host without a listening master
is asked with ``ssh``, which opens one (or replaces a stale one).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from oar_nxc import bounded, sshmux
from oar_nxc.errors import ConfigError

ROLE_FILE = "/etc/nxc/role"
COMMAND = f"cat {ROLE_FILE}"
SSH = ("ssh", "ansible.builtin.ssh", "smart", "paramiko", "paramiko_ssh", "ansible.builtin.paramiko_ssh")
DOCKER = ("docker", "community.docker.docker", "community.general.docker")
LOCAL = ("local", "ansible.builtin.local")
MAX_PARALLEL = 256
SHOWN = 5  # hosts named in one message; the rest are counted
MIN_ATTEMPT = 15.0  # seconds any attempt gets, the last one before the deadline and a probe (timeout 0) included
# ssh connection sharing: the first question to a host opens a master that later ones (the next run's probe,
# within PERSIST) reuse, as Ansible's own ssh connection does; a master whose host went away (a reboot) is
# noticed within ServerAliveInterval x ServerAliveCountMax seconds. The sockets are the user's, in a 0700
# directory beside Ansible's own (~/.ansible/cp).
CONTROL_DIR = "~/.ansible/cp"
PERSIST = "60s"
_PLACEHOLDER = "ControlPath=?"


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    address: str
    expected: str
    argv: tuple[str, ...]
    ssh: bool = True  # rc 255 is ssh's own failure: the host did not answer
    control: str = ""  # the shared connection's socket (ssh's ControlPath), asked directly while a master listens


@dataclass(slots=True)
class Answer:
    host: str
    address: str
    expected: str
    ok: bool = False
    role: str | None = None
    error: str = "not asked"
    answered: bool = False
    attempts: int = 0
    elapsed: float = 0.0

    def probe(self) -> dict[str, Any]:
        """The answer as oar.nxc.nxc_start reads it (its ``probes``)."""
        return {"host": self.host, "address": self.address, "ok": self.ok, "role": self.role,
                "expected": self.expected, "error": self.error}

    def said(self) -> str:
        return f"{self.host} ({self.address}): {self.error}"


def _text(variables: Mapping[str, Any], key: str, host: str) -> str:
    value = variables.get(key)
    if value is None:
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ConfigError(f"host {host}: {key} must be a string, not {type(value).__name__}")
    text = str(value)
    if any(c in text for c in "\n\r\0"):
        raise ConfigError(f"host {host}: {key} holds a newline or a NUL character")
    return text


# a Unix socket's path holds at most 107 bytes, and ssh binds the master's to ControlPath plus a 17-character
# temporary suffix first: the directory, '/' and the 40 hex digits of %C must leave room for it
SOCKET_PATH_MAX = 107 - 17


def control_dir(path: str = CONTROL_DIR) -> str:
    """The directory of the shared connections' sockets, made 0700 when missing; the expanded path, or '' (no
    sharing) when a socket's path there would be too long for ssh (a deep home directory)."""
    directory = os.path.expanduser(path)
    if len(os.fsencode(directory)) + 1 + 40 > SOCKET_PATH_MAX:
        return ""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    return directory


def target(host: str, variables: Mapping[str, Any], *, connect_timeout: int = 10,
           sockets: str = CONTROL_DIR) -> Target:
    """The argv that prints HOST's role file, from its variables; ConfigError naming the host and the key.
    ``sockets``: the directory of the shared ssh connections ('' for none)."""
    expected = _text(variables, "nxc_role", host)
    if not expected:
        raise ConfigError(f"host {host}: no nxc_role (not a deployed host of the oar_nxc plugin or nxc_deploy)")
    connection = _text(variables, "ansible_connection", host) or "ssh"
    address = _text(variables, "ansible_host", host) or host
    if connection in LOCAL:
        return Target(host, address, expected, ("cat", ROLE_FILE), ssh=False)
    if connection in DOCKER:
        return Target(host, address, expected, ("docker", "exec", "--", address, "cat", ROLE_FILE), ssh=False)
    if connection not in SSH:
        raise ConfigError(f"host {host}: ansible_connection {connection} cannot be asked from the controller "
                          f"(ssh, docker or local)")
    argv = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={max(1, connect_timeout)}"]
    if sockets:
        argv += ["-o", "ControlMaster=auto", "-o", f"ControlPersist={PERSIST}", "-o", _PLACEHOLDER,
                 "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=2"]
    else:
        argv += ["-o", "ControlMaster=no", "-o", "ControlPath=none"]
    for key in ("ansible_ssh_common_args", "ansible_ssh_extra_args"):
        try:
            argv += shlex.split(_text(variables, key, host))
        except ValueError as exc:
            raise ConfigError(f"host {host}: {key}: {exc}") from None
    port = _text(variables, "ansible_port", host) or _text(variables, "ansible_ssh_port", host)
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"host {host}: ansible_port {port!r} is not a TCP port (1-65535)")
        argv += ["-p", port]
    user = _text(variables, "ansible_user", host) or _text(variables, "ansible_ssh_user", host)
    if user:
        argv += ["-l", user]
    key = _text(variables, "ansible_ssh_private_key_file", host) or _text(variables, "ansible_private_key_file", host)
    if key:
        argv += ["-i", os.path.expanduser(key)]
    argv += ["--", address, COMMAND]
    control = ""
    if sockets:  # named by every word of the argv: the same settings, the same connection
        control = os.path.join(os.path.expanduser(sockets), hashlib.sha256("\0".join(argv).encode()).hexdigest()[:40])
        argv[argv.index(_PLACEHOLDER)] = "ControlPath=" + control.replace("%", "%%")  # ssh expands % tokens
    return Target(host, address, expected, tuple(argv), control=control)


def _one(argv: Sequence[str], limit: float) -> tuple[int | None, str, str]:
    try:  # a host's answer is a role name: what it prints is read bounded (sshmux's limit), never whole
        proc = bounded.run(argv, timeout=limit, limit=sshmux.MAX_OUTPUT)
    except subprocess.TimeoutExpired:
        return None, "", f"no answer within {limit:g} s"
    except bounded.OutputTooLarge:
        return None, "", f"printed more than {sshmux.MAX_OUTPUT} bytes: not a role"
    except OSError as exc:
        return None, "", f"cannot run {argv[0]}: {exc.strerror or exc}"
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def _flat(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _attempt(t: Target, limit: float, run: Callable[[Sequence[str], float], tuple[int | None, str, str]],
             shared: Callable[[str, str, float], tuple[int | None, str, str]]) -> tuple[int | None, str, str]:
    """One question: over the host's open connection when its master listens, else with ssh (which opens the
    master, or replaces a stale one, for the next question)."""
    if t.control:
        started = time.monotonic()
        try:
            return shared(t.control, COMMAND, limit)
        except sshmux.Unavailable:
            limit = max(1.0, limit - (time.monotonic() - started))
    return run(t.argv, limit)


def ask(targets: Sequence[Target], timeout: float, *, parallel: int = 64, sleep: float = 2.0,
        attempt_limit: float = 20.0, clock: Callable[[], float] = time.monotonic,
        pause: Callable[[float], None] = time.sleep,
        run: Callable[[Sequence[str], float], tuple[int | None, str, str]] = _one,
        shared: Callable[[str, str, float], tuple[int | None, str, str]] = sshmux.run) -> list[Answer]:
    """Ask every target, at most PARALLEL at a time, until each reports its role or TIMEOUT seconds (shared)
    have passed; 0 asks each once. The answers in the targets' order."""
    started = clock()
    deadline = started + max(0.0, timeout)
    stop = threading.Event()

    def one(t: Target) -> Answer:
        answer = Answer(t.host, t.address, t.expected)
        while not stop.is_set():
            answer.attempts += 1
            left = deadline - clock()
            limit = max(min(MIN_ATTEMPT, attempt_limit), min(attempt_limit, left + 1.0))
            rc, out, err = _attempt(t, limit, run, shared)
            if rc == 0:
                answer.answered, answer.role = True, out.strip()
                answer.ok = answer.role == t.expected
                answer.error = "" if answer.ok else \
                    f"{ROLE_FILE} says {answer.role or '(empty)'}, the deployment file says {t.expected}"
            elif rc is None or (rc == 255 and t.ssh):
                answer.error = _flat(err) or f"{t.argv[0]} failed (rc {rc})"
            else:
                answer.answered = True
                answer.error = f"cat {ROLE_FILE}: rc {rc}: {_flat(err or out, 200)}"
            if answer.ok or clock() + sleep > deadline:
                break
            pause(sleep)
        answer.elapsed = round(clock() - started, 3)
        return answer

    if not targets:
        return []
    workers = max(1, min(MAX_PARALLEL, parallel, len(targets)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nxc-role") as pool:
        futures = [pool.submit(one, t) for t in targets]
        try:
            return [f.result() for f in futures]
        except BaseException:  # an interrupt: no new attempt starts, the running ones end within their bound
            stop.set()
            for f in futures:
                f.cancel()
            raise


def summary(answers: Sequence[Answer], timeout: float) -> tuple[str, bool]:
    """(The message, whether some host never answered at all) for answers that are not all ok."""
    bad = [a for a in answers if not a.ok]
    if not bad:
        slowest = max((a.elapsed for a in answers), default=0.0)
        return f"the {len(answers)} deployed host(s) report their roles (the last after {slowest:g} s)", False
    shown = "; ".join(a.said() for a in bad[:SHOWN])
    more = f"; and {len(bad) - SHOWN} more" if len(bad) > SHOWN else ""
    one = len(bad) == 1
    return (f"{len(bad)} of the {len(answers)} deployed hosts {'does' if one else 'do'} not report "
            f"{'its' if one else 'their'} role after {timeout:g} s: {shown}{more}",
            any(not a.answered for a in bad))
