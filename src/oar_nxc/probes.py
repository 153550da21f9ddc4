"""TCP probes of the machines' ports, from the controller: does an sshd answer (its banner, ``SSH-``)?

The probe runs on all machines at once, in daemon threads, and the whole probe is bounded by its
timeout: a machine that has not answered by then (a hung name lookup included) is reported as such,
and the caller never waits longer. The preflight (before nxc start), ``nxc start``'s timeout message,
the oar.nxc.sshd_probe action and the smoke checks' node_sshd (every node's OAR sshd, :func:`wait_all`)
use it.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SHOWN = 10  # names listed in one message before "and N more"
MAX_THREADS = 128
BANNER = b"SSH-"


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    address: str
    port: int = 22


def _probe_one(target: Target, deadline: float, timed: bool = True) -> tuple[str | None, str]:
    """(None when an sshd answers on the port, else what went wrong, with TIMED how long a refusal
    took; the address connected to)."""
    started = time.monotonic()
    try:
        found = socket.getaddrinfo(target.address, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"its name does not resolve ({exc.strerror})", target.address
    family, kind, proto, _unused, sockaddr = found[0]
    ip = str(sockaddr[0])
    return _connect(family, kind, proto, sockaddr, deadline, started, timed), ip


def _connect(family: int, kind: int, proto: int, sockaddr: Any, deadline: float, started: float,
             timed: bool) -> str | None:
    try:
        with socket.socket(family, kind, proto) as sock:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            sock.connect(sockaddr)
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            banner = sock.recv(256)
    except TimeoutError:
        return f"no answer within {time.monotonic() - started:.1f} s"
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        return f"{reason} after {time.monotonic() - started:.1f} s" if timed else reason
    if not banner.startswith(BANNER):
        return f"answers, but not as an ssh server ({banner[:20]!r})"
    return None


def probe(targets: Iterable[Target], timeout: float) -> dict[str, str]:
    """Probe every target's ssh port at once; name -> problem for those that do not answer an ssh
    banner within ``timeout`` seconds (in all)."""
    items = list(targets)
    found = _attempts(items, timeout)
    # in the machines' order, each with the address probed
    return {t.name: f"{found[t.name][0]}:{t.port}: {found[t.name][1]}" for t in items if found[t.name][1] is not None}


def wait_answer(target: Target, timeout: float, *, interval: float = 0.25) -> tuple[str | None, str, float]:
    """Wait until TARGET's port answers an ssh banner, asking again every INTERVAL seconds (a daemon
    starting, a port that refuses), for TIMEOUT seconds at most, a hung name lookup included.
    (None, or why the last attempt failed; the address asked; the seconds waited)."""
    started = time.monotonic()
    address, problem = wait_all([target], timeout, interval=interval)[target.name]
    return problem, address, time.monotonic() - started


def wait_all(targets: Iterable[Target], timeout: float, *, interval: float = 0.25) -> dict[str, tuple[str, str | None]]:
    """Wait until every target's port answers an ssh banner: each round asks, all together, the targets that
    have not answered yet (untimed: the last attempt's own time says nothing here), every INTERVAL seconds,
    until all have or TIMEOUT seconds (in all) have passed. name -> (the address asked, None or why its last
    attempt failed), in the targets' order."""
    items = list(targets)
    started = time.monotonic()
    deadline = started + timeout
    found: dict[str, tuple[str, str | None]] = {}
    pending = items
    while pending:
        found.update(_attempts(pending, max(0.1, deadline - time.monotonic()), timed=False))
        pending = [t for t in pending if found[t.name][1] is not None]
        if not pending or time.monotonic() - started + interval >= timeout:
            break
        time.sleep(interval)
    return {t.name: found[t.name] for t in items}


def _attempts(items: list[Target], timeout: float, timed: bool = True) -> dict[str, tuple[str, str | None]]:
    """One attempt on every target at once, all within TIMEOUT: name -> (address, None or problem)."""
    if not items:
        return {}
    deadline = time.monotonic() + timeout
    work: queue.SimpleQueue[Target] = queue.SimpleQueue()
    for target in items:
        work.put(target)
    results: dict[str, str | None] = {}
    addresses: dict[str, str] = {}
    lock = threading.Lock()
    done = threading.Event()

    def worker() -> None:
        while True:
            try:
                target = work.get_nowait()
            except queue.Empty:
                return
            problem, address = _probe_one(target, deadline, timed)
            with lock:
                results[target.name] = problem
                addresses[target.name] = address
                if len(results) == len(items):
                    done.set()

    for _unused in range(min(MAX_THREADS, len(items))):
        threading.Thread(target=worker, daemon=True).start()
    done.wait(max(0.0, deadline - time.monotonic()) + 0.2)
    with lock:
        answered = dict(results)
        seen = dict(addresses)
    return {t.name: (seen.get(t.name, t.address), answered.get(t.name, f"no answer within {timeout:g} s"))
            for t in items}
