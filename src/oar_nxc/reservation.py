"""Is the reservation still usable, before anything changes: the OAR job's state and walltime left
(from the inventory's ``oar_job``), its machines (``oar_in_job``), and each machine's ssh port.

Every finding is a :class:`Finding`; the preflight refuses on ``refuse`` ones (``oar-nxc plan``
lists them all instead). The ssh probe runs on all machines at once, in daemon threads, and the
whole probe is bounded by its timeout: a machine that has not answered by then (a hung name
lookup included) is reported as such, and the caller never waits longer.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oar_nxc.oarjob import RUNNING, describe_time

SHOWN = 10  # names listed in one finding before "and N more"
MAX_THREADS = 128
BANNER = b"SSH-"


@dataclass(frozen=True, slots=True)
class Finding:
    check: str  # job_state, walltime, not_in_job, ssh
    message: str
    refuse: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "message": self.message, "refuse": self.refuse}


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def job_findings(machines: Mapping[str, Mapping[str, Any]], *, min_remaining: int,
                 now: float | None = None) -> list[Finding]:
    """Findings on the OAR job(s) of the machines (host -> its variables ``oar_job``, ``oar_in_job``).

    A job that is not ``Running`` is refused, naming its id and state; one that is running but ends
    within ``min_remaining`` seconds is a warning naming the time left; machines OAR does not list
    in their job are refused, named.
    """
    now = time.time() if now is None else now
    jobs: dict[int, Mapping[str, Any]] = {}
    outside: dict[int, list[str]] = {}
    unread: dict[int, None] = {}
    for host, variables in machines.items():
        job = variables.get("oar_job")
        if not isinstance(job, Mapping) or not isinstance(job.get("id"), int):
            if isinstance(variables.get("oar_job_id"), int):
                unread[variables["oar_job_id"]] = None
            continue
        jobs.setdefault(job["id"], job)
        if variables.get("oar_in_job") is False:
            outside.setdefault(job["id"], []).append(host)
    findings = [Finding("job_unread", (
        f"OAR job {job_id} was not read from OAR (live_job is never, or oarstat is not here or failed: see the "
        "oar_nxc warning), so its state and walltime are not checked"), refuse=False)
        for job_id in sorted(unread) if job_id not in jobs]
    for job_id, job in sorted(jobs.items()):
        state = job.get("state")
        if state != RUNNING:
            hint = ("wait until it runs (oarstat -s -j {id})" if state in ("Waiting", "Hold", "toLaunch", "Launching",
                                                                          "toAckReservation", "Resuming")
                    else "its machines are not yours any more: reserve again and give the new job's nodefile")
            findings.append(Finding("job_state", f"OAR job {job_id} is {state}, not Running: "
                                                 + hint.format(id=job_id)))
            continue
        ends = job.get("ends")
        if isinstance(ends, int):
            left = max(0, int(ends - now))
            if left < min_remaining:
                at = datetime.fromtimestamp(ends).strftime("%H:%M:%S")
                findings.append(Finding("walltime", (
                    f"OAR job {job_id} ends in {describe_time(left)} (at {at}), less than the "
                    f"{describe_time(min_remaining)} of oar_nxc_min_walltime: the deployment may be cut short "
                    f"(oarwalltime {job_id} +1:00 asks for more, where the cluster allows it)"), refuse=False))
        if outside.get(job_id):
            names = outside[job_id]
            one = len(names) == 1
            findings.append(Finding("not_in_job", (
                f"{_names(names)} {'is' if one else 'are'} not among the machines of OAR job {job_id}: leave "
                f"{'it' if one else 'them'} out (OAR_NXC_EXCLUDE) or give this job's own nodefile")))
    return findings


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
    family, kind, proto, _, sockaddr = found[0]
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
    deadline = started + timeout
    while True:
        # the last attempt's own time says nothing here: untimed
        address, problem = _attempts([target], max(0.1, deadline - time.monotonic()), timed=False)[target.name]
        waited = time.monotonic() - started
        if problem is None or waited + interval >= timeout:
            return problem, address, waited
        time.sleep(interval)


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

    for _ in range(min(MAX_THREADS, len(items))):
        threading.Thread(target=worker, daemon=True).start()
    done.wait(max(0.0, deadline - time.monotonic()) + 0.2)
    with lock:
        answered = dict(results)
        seen = dict(addresses)
    return {t.name: (seen.get(t.name, t.address), answered.get(t.name, f"no answer within {timeout:g} s"))
            for t in items}


def ssh_finding(problems: Mapping[str, str], targets: Sequence[Target]) -> Finding | None:
    """One refusal naming every machine whose ssh port did not answer, with its address and error."""
    if not problems:
        return None
    names = list(problems)
    lines = [f"{name} ({problems[name]})" for name in names[:SHOWN]]
    more = f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    one = len(names) == 1
    return Finding("ssh", (
        f"{len(names)} of the {len(targets)} reserved machines {'does' if one else 'do'} not answer on "
        f"{'its' if one else 'their'} ssh port, and nxc start would wait out its timeout: {'; '.join(lines)}{more}. "
        f"Leave {'it' if one else 'them'} out (OAR_NXC_EXCLUDE={','.join(names[:SHOWN])}"
        f"{',...' if len(names) > SHOWN else ''}) or reserve other machines"))
