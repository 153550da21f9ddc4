"""Run the OAR smoke checks on a submit host, through whatever runs commands there.

The order is the table of :mod:`oar_nxc.smoke`: the gate checks first (each node's OAR sshd
answered, every resource is Alive); when one fails the job checks are recorded as skipped. The
job checks are then *submitted together* and awaited in one bounded loop that reads every pending
job with a single ``oarstat``; each check is still judged on its own, and a failed check never
hides another one. The reservation (for a time after the other jobs' walltime, so that it is
validated on free nodes) and the REST API (from the start) are asked beside the polls: on worker
threads when the host can ``spawn``, else one request at a time between two polls. With
``concurrent`` (the default) the jobs are of type ``timesharing=*,*`` so that OAR runs them side
by side on the same nodes; without it each job is awaited before the next is submitted.

A command that fails (its exit status is not 0) is not retried as if OAR were slow: after
``grace`` seconds of failures the check fails with the command's own error.

The caller provides the transport (:class:`Host`): the ``oar.nxc.oar_smoke`` action runs the
commands over the submit host's Ansible connection; the unit tests replay recorded output.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from oar_nxc import oarjson, smoke
from oar_nxc.errors import OarNxcError
from oar_nxc.remote import COMMAND_TIMEOUT, Output, command_line  # noqa: F401 (re-exported)

TIMESHARING = "timesharing=*,*"
# what the batch job runs: every node of the job answers its own name through oarsh, all nodes at
# once (one after the other, 14 nodes took 13 s on the testbed). Sent as
# base64 so that no quoting layer (ssh, su, oarsub, OAR's launcher) changes it; the homes need
# not be shared.
BATCH_SCRIPT = """\
hosts=$(uniq "$OAR_NODEFILE")
out=$(mktemp -d) || exit 2
for h in $hosts; do oarsh "$h" hostname > "$out/$h" 2>&1 & done
wait
status=0
for h in $hosts; do
  name=$(cat "$out/$h")
  echo "$name"
  [ "$name" = "$h" ] || { echo "$h answers $name" >&2; status=1; }
done
rm -rf "$out"
exit $status
"""
FAILING_SCRIPT = 'echo "oar-nxc smoke test: failing on purpose"; exit 3\n'


T = TypeVar("T")
ASIDE_THREADS = 4  # calls on the submit host at once beside the job polls (the reservation, the API)


class Host(Protocol):
    """The submit host: runs a command line (a string for its shell), asks a URL.

    A host that can also run calls beside the job polls has ``spawn()``: another transport to the
    same host, used from a worker thread while this one keeps polling (see ``Runner._aside``)."""

    def run(self, command: str) -> Output: ...

    def http(self, method: str, url: str, *, headers: dict[str, str] | None = None, body: Any = None,
             user: str | None = None, password: str | None = None) -> tuple[int, Any, str]:
        """(HTTP status, -1 when nothing answered; parsed JSON body or None; error text). ``body`` is
        sent as JSON; ``user``/``password`` as basic authentication."""
        ...


@dataclass(frozen=True)
class Node:
    name: str  # inventory host name
    address: str  # OAR network_address
    machine: str = ""  # the reserved machine, when known
    ip: str = ""  # ansible_host
    sshd: str | None = None  # the probe of its OAR sshd: '' answered, else why not; None: not probed


@dataclass(frozen=True)
class Options:
    user: str
    submit: str
    nodes: list[Node]
    checks: list[str] = field(default_factory=smoke.names)
    job_types: list[str] = field(default_factory=list)
    walltime: str = "0:05:00"
    job_timeout: float = 120
    poll_interval: float = 1
    concurrent: bool = True
    grace: float = 10
    sshd_port: int = 6667
    sshd_timeout: int = 10
    api_url: str = ""  # '' = OAR 3's http://<server>/api/, OAR 2.5's http://<server>:6668/oarapi/
    server: str = ""
    # OAR 2.5 takes jobs at its authenticated URL ('' = api_url's /oarapi/ -> /oarapi-priv/), as
    # the smoke user with this password (basic authentication)
    api_private_url: str = ""
    api_password: str = field(default="", repr=False)

    @property
    def addresses(self) -> list[str]:
        return [n.address for n in self.nodes]


SUBMIT_ORDER = ("oardel", "batch_job", "failing_job")
WAIT = "wait"  # a step that waits for its call beside the polls (Runner._aside)


def round_robin(steps: list[Iterator[str | None]]) -> Iterator[str | None]:
    """One step of each in turn, so that none waits for another; WAIT only when all of them wait."""
    active = list(steps)
    while active:
        waiting = 0
        for step in list(active):
            got = next(step, StopIteration)
            if got is StopIteration:
                active.remove(step)
            elif got == WAIT:
                waiting += 1
            else:
                yield None
        if active and waiting == len(active):
            yield WAIT


def reservation_minutes(walltime: str) -> int:
    """Minutes from now to the reservation check's slot: after the smoke jobs' walltime (``H:MM:SS``),
    so that OAR validates it on nodes those jobs no longer hold, whatever their types."""
    parts = [int(p) for p in walltime.split(":") if p.isdigit()] if walltime else []
    seconds = sum(value * 60 ** (len(parts) - 1 - i) for i, value in enumerate(parts)) if parts else 300
    return -(-seconds // 60) + 2


def inline(script: str) -> str:
    """An oarsub command that runs SCRIPT with sh, immune to quoting (base64 has no shell characters)."""
    return f"echo {base64.b64encode(script.encode()).decode()} | base64 -d | sh"


def property_of(addresses: list[str]) -> str:
    """The oarsub -p SQL that selects these nodes (addresses are host names the core validated)."""
    if len(addresses) == 1:
        return f"network_address = '{addresses[0]}'"
    return "network_address in (" + ",".join(f"'{a}'" for a in addresses) + ")"


def excerpt(text: str, limit: int = 300) -> str:
    """One line of at most LIMIT characters: what an error message may quote of a command's output."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- judging a finished job (pure) -----------------------------------------------------------

def judge_batch(info: oarjson.JobInfo, addresses: list[str], output: str | None,
                errors: str | None) -> tuple[bool, str]:
    names = sorted(set(output.split())) if output is not None else None
    assigned = sorted(info.network_addresses) if info.network_addresses is not None else None
    ok = (info.state == "Terminated" and info.exit_status == 0 and names in (None, sorted(addresses))
          and assigned in (None, sorted(addresses)))
    if ok:
        return True, (f"job {info.job_id} on {len(addresses)} nodes: Terminated, exit status 0, output names "
                      f"{', '.join(sorted(addresses))}")
    said = "no output on the submit host (homes not shared)" if names is None else \
        f"output names {', '.join(names) or 'nothing'}"
    if errors:
        said += f", stderr: {excerpt(errors)}"
    ran = "" if assigned is None else f", ran on {', '.join(assigned)}"
    return False, (f"job {info.job_id}: state {info.state}, exit status {info.exit_status} (exit_code "
                   f"{info.exit_code}){ran}, {said}; expected Terminated, 0 and {', '.join(sorted(addresses))}")


def judge_failing(info: oarjson.JobInfo) -> tuple[bool, str]:
    if info.state == "Terminated" and info.exit_status == 3:
        return True, f"job {info.job_id}: Terminated with exit_code {info.exit_code} (exit status 3)"
    return False, (f"job {info.job_id} exits 3 but OAR reports state {info.state}, exit_code {info.exit_code} "
                   f"(exit status {info.exit_status})")


def judge_oardel(info: oarjson.JobInfo, deleted: bool) -> tuple[bool, str]:
    if not deleted:
        return False, f"job {info.job_id} ended as {info.state} before oardel"
    if info.state == "Error":
        return True, f"job {info.job_id}: Running, oardel, then Error"
    return False, f"job {info.job_id} deleted while running ended as {info.state}, expected Error"


# --- the run ---------------------------------------------------------------------------------

@dataclass
class _Job:
    check: str
    job: int
    deadline: float  # oardel: to reach Running, then (after oardel) to end
    deleted: bool = False
    state: str | None = None
    done: Callable[[str], None] | None = None  # judges the job from its final state (the API's job)


class Runner:
    """One run of the checks. ``clock`` and ``sleep`` are injectable for the tests."""

    def __init__(self, host: Host, options: Options, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, wall: Callable[[], float] = time.time,
                 progress: Callable[[str], None] | None = None) -> None:
        self.host, self.options = host, options
        self.clock, self.sleep, self.wall = clock, sleep, wall
        self.progress = progress or (lambda _msg: None)
        self.results: dict[str, dict[str, Any]] = {}
        self._pending: list[_Job] | None = None  # the jobs the poll loop awaits, while it runs
        self._aside_pool: ThreadPoolExecutor | None = None  # calls beside the polls, while they run
        self._inflight: set[Future[Any]] = set()  # those calls not yet seen done
        self._t0: dict[str, tuple[float, float]] = {}
        self.oar_version = ""  # what `oarsub -V` printed on the submit host (the API check asks it)

    # results
    def _start(self, name: str) -> None:
        self._t0[name] = (self.clock(), self.wall())

    def _record(self, name: str, status: str, message: str, **extra: Any) -> None:
        mono, wall = self._t0.get(name, (self.clock(), self.wall()))
        if self.oar_version and name in smoke.names("api"):  # the check that asked it says which OAR answered
            extra.setdefault("oar_version", self.oar_version)
        self.results[name] = {"name": name, "status": status, "message": message.strip(),
                              "seconds": round(self.clock() - mono, 1), "started": round(wall, 3),
                              "ended": round(self.wall(), 3), **extra}
        self.progress(f"{status} {name}: {message.strip()}")

    def _run(self, argv: list[str], user: str | None = None) -> Output:
        return self.host.run(command_line(argv, user))

    def run(self) -> list[dict[str, Any]]:
        unknown = [c for c in self.options.checks if c not in smoke.CHECKS]
        if unknown:
            raise OarNxcError(f"unknown smoke check {', '.join(unknown)}: one of {', '.join(smoke.names())}")
        wanted = set(self.options.checks)
        concurrent = self.options.concurrent
        api = self._api_checks()
        pending: list[_Job] = []  # the jobs the polls await; with concurrent, the API's job too
        pool = ThreadPoolExecutor(ASIDE_THREADS, "oar-smoke") if concurrent and hasattr(self.host, "spawn") else None
        self._pending, self._aside_pool = (pending if concurrent else None), pool
        try:
            # with concurrent, the API is asked from the start, beside the other checks, and in the
            # waits between two polls of the jobs
            meanwhile = self._nudge(api) if concurrent else None
            blocked = ""
            for name in smoke.names("gate"):
                if name in wanted:
                    self._start(name)
                    try:
                        getattr(self, f"_check_{name}")()
                    except OarNxcError as exc:
                        self._record(name, "failed", str(exc))
                    if self.results[name]["status"] == "failed" and not blocked:
                        blocked = name
            jobs = [n for n in smoke.names("job") if n in wanted]
            if blocked:
                for name in jobs:
                    self._record(name, "skipped", f"not run: {blocked} failed", seconds=0.0)
            elif jobs:
                meanwhile = self._jobs(jobs, pending, meanwhile)
            if concurrent:
                self._await_loop(pending, meanwhile)
            else:  # each request, and the API's job, one after the other
                for _ in api:
                    pass
        finally:
            self._pending, self._aside_pool = None, None
            if pool is not None:
                pool.shutdown(wait=True)  # each call is bounded (COMMAND_TIMEOUT, the API's timeout)
        return [self.results[name] for name in self.options.checks]

    def _nudge(self, meanwhile: Iterator[str | None] | None) -> Iterator[str | None] | None:
        """Start what MEANWHILE can start now without waiting: with calls beside the polls, every step
        up to the point where all of them wait for a call; otherwise one step. MEANWHILE, or None once
        it has ended."""
        while meanwhile is not None:
            step = next(meanwhile, StopIteration)
            if step is StopIteration:
                return None
            if step == WAIT or self._aside_pool is None:
                break
        return meanwhile

    def _api_checks(self) -> Iterator[str | None]:
        """The API checks, one request at a time: each ``yield`` is a point where the job polling may
        go on before the next request."""
        for name in smoke.names("api"):
            if name in self.options.checks and name not in self.results:
                self._start(name)
                try:
                    yield from self._check_rest_api()
                except OarNxcError as exc:
                    self._record(name, "failed", str(exc))

    # gate checks
    def _check_node_sshd(self) -> None:
        opts = self.options
        down = []
        for node in opts.nodes:
            if node.sshd == "":
                continue
            where = ", ".join(x for x in (f"machine {node.machine}" if node.machine else "", node.ip or node.name) if x)
            why = "not probed (run the oar_smoke node entry point first)" if node.sshd is None else node.sshd
            down.append(f"{node.name} ({where})" + (f": {why}" if why else ""))
        if down:
            self._record("node_sshd", "failed", f"OAR's node sshd (port {opts.sshd_port}) does not answer within "
                                                f"{opts.sshd_timeout} s on {', '.join(down)}")
            return
        names = [n.name for n in opts.nodes]
        suffix = f" (OAR: {', '.join(opts.addresses)})" if opts.addresses != names else ""
        self._record("node_sshd", "passed", f"port {opts.sshd_port} open on {', '.join(names)}{suffix}")

    def _poll(self, argv: list[str], done: Callable[[Output], bool], deadline: float) -> tuple[Output, bool]:
        """Run ARGV until DONE(output) or DEADLINE; a command that keeps failing stops after the grace."""
        failing_since: float | None = None
        while True:
            out = self._run(argv)
            now = self.clock()
            if out.rc != 0:
                failing_since = now if failing_since is None else failing_since
                if now - failing_since >= self.options.grace or now >= deadline:
                    raise OarNxcError(f"{' '.join(argv)} failed (rc {out.rc}): "
                                      f"{excerpt(out.stderr or out.stdout) or 'no output'}")
            else:
                failing_since = None
                if done(out):
                    return out, True
                if now >= deadline:
                    return out, False
            self.sleep(self.options.poll_interval)

    def _check_resources_alive(self) -> None:
        opts = self.options
        argv = ["oarnodes", "-s", "-J"]

        def problems(out: Output) -> list[str]:
            return oarjson.not_alive(oarjson.node_states(out.stdout, " ".join(argv)), opts.addresses)

        out, ok = self._poll(argv, lambda o: not problems(o), self.clock() + opts.job_timeout)
        if not ok:
            self._record("resources_alive", "failed",
                         f"not all Alive after {opts.job_timeout:g} s: {', '.join(problems(out))}")
            return
        states = oarjson.node_states(out.stdout, " ".join(argv))
        count = sum(len(states.get(a, [])) for a in opts.addresses)
        self._record("resources_alive", "passed", f"{count} resources Alive on {', '.join(opts.addresses)}")

    # job checks
    def _type_names(self) -> list[str]:
        """The smoke jobs' OAR types: the user's, and timesharing when they run together."""
        types = list(self.options.job_types)
        if self.options.concurrent and not any(t.startswith("timesharing") for t in types):
            types.append(TIMESHARING)
        return types

    def _types(self) -> list[str]:
        return [w for t in self._type_names() for w in ("-t", t)]

    def _aside(self, call: Callable[[Host], T]) -> Generator[str | None, None, T]:
        """CALL on the submit host. While the job polls run and the host can ``spawn``, it runs on a
        worker thread and the step yields WAIT until it is done: a slow command (``oarsub -r`` waits
        for OAR's scheduler, seconds) then holds up no poll. Otherwise at once."""
        if self._aside_pool is None:  # made only for a host that can spawn
            return call(self.host)
        future = self._aside_pool.submit(call, self.host.spawn())  # type: ignore[attr-defined]
        self._inflight.add(future)
        while not future.done():
            yield WAIT
        self._inflight.discard(future)
        return future.result()

    def _run_aside(self, argv: list[str], user: str | None = None) -> Generator[str | None, None, Output]:
        """``_run``, beside the polls (``_aside``)."""
        line = command_line(argv, user)
        return (yield from self._aside(lambda h: h.run(line)))

    def _specs(self, names: list[str]) -> list[tuple[str, list[str]]]:
        opts = self.options
        first = property_of(opts.addresses[:1])
        walltime = f"walltime={opts.walltime}"
        specs = {
            "batch_job": ["-l", f"nodes={len(opts.addresses)},{walltime}", "-p", property_of(opts.addresses),
                          inline(BATCH_SCRIPT)],
            "failing_job": ["-l", f"nodes=1,{walltime}", "-p", first, inline(FAILING_SCRIPT)],
            "oardel": ["-l", f"nodes=1,{walltime}", "-p", first, "sleep 300"],
        }
        # the longest first (oardel waits for Running, then for its deletion): the checks overlap the most
        first_ones = [n for n in SUBMIT_ORDER if n in names]
        return [(n, specs.get(n, [])) for n in first_ones + [n for n in names if n not in first_ones]]

    def _submit(self, name: str, args: list[str]) -> int | None:
        out = self._run(["oarsub", *self._types(), *args], self.options.user)
        try:
            if out.rc != 0:
                raise OarNxcError(f"oarsub failed (rc {out.rc}): {excerpt(out.stderr or out.stdout) or 'no output'}")
            return oarjson.job_id(out.stdout)
        except OarNxcError as exc:
            self._record(name, "failed", str(exc))
            return None

    def _reservation(self) -> Iterator[str | None]:
        self._start("reservation")
        user = self.options.user
        when = yield from self._run_aside(["date", "-d", f"+{reservation_minutes(self.options.walltime)} min",
                                           "+%F %T"])
        yield None
        if when.rc != 0:
            self._record("reservation", "failed", f"date on {self.options.submit} failed: {excerpt(when.stderr)}")
            return
        at = when.stdout.strip()
        # OAR answers once its scheduler has decided
        out = yield from self._run_aside(["oarsub", *self._types(), "-r", at, "-l", "nodes=1,walltime=0:01:00",
                                          "-p", property_of(self.options.addresses[:1]), "sleep 1"], user)
        yield None
        try:
            job = oarjson.job_id(out.stdout)
        except OarNxcError:
            job = None
        if job is not None:  # cancel it, whatever it said
            yield from self._run_aside(["oardel", str(job)], user)
        verdict = oarjson.reservation_verdict(out.stdout + "\n" + out.stderr)  # OAR 3 says it on stderr
        if verdict is not None and verdict[0]:
            said = verdict[1].rstrip(".")
            self._record("reservation", "passed", f"job {job} reserved for {at}: {said}, then cancelled", job=job)
        else:
            last = next((ln.strip() for ln in reversed((out.stdout + out.stderr).splitlines()) if ln.strip()),
                        f"rc {out.rc}, no output")
            self._record("reservation", "failed", f"reservation {job} for {at} not validated: {excerpt(last)}",
                         job=job)

    def _jobs(self, names: list[str], pending: list[_Job],
              meanwhile: Iterator[str | None] | None) -> Iterator[str | None] | None:
        """Submit the job checks. With concurrent: the reservation joins MEANWHILE, the jobs go into
        PENDING for the polls, and MEANWHILE (what is left of it) is returned; without it, each is
        awaited before the next."""
        concurrent = self.options.concurrent
        if "reservation" in names:
            if concurrent:  # beside the submissions and the polls, before what MEANWHILE asks
                meanwhile = self._nudge(round_robin([self._reservation(), *([meanwhile] if meanwhile else [])]))
            else:
                for _ in self._reservation():
                    pass
        for name, args in self._specs(names):
            if name == "reservation":
                continue
            self._start(name)
            job = self._submit(name, args)
            if job is None:
                continue
            if concurrent:
                pending.append(_Job(name, job, self.clock() + self.options.job_timeout))
                meanwhile = self._nudge(meanwhile)
            else:
                self._await_loop([_Job(name, job, self.clock() + self.options.job_timeout)], None)
        return meanwhile

    def _await_loop(self, pending: list[_Job], meanwhile: Iterator[str | None] | None) -> None:
        """One loop over every pending job: a single oarstat per poll, each job judged when it ends.
        Between two polls, the steps of MEANWHILE (run to their end; they may add a job to PENDING)."""
        failing_since: float | None = None
        while pending or meanwhile is not None:  # MEANWHILE is run to its end, and may add a job
            polled = self.clock()  # the polls come every poll_interval, whatever happens between them
            if not pending:
                meanwhile = self._meanwhile(meanwhile, polled + self.options.poll_interval)
                continue
            argv = ["oarstat", "-s", "-J", *[w for j in pending for w in ("-j", str(j.job))]]
            out = self._run(argv)
            now = self.clock()
            states: dict[str, Any] = {}
            if out.rc != 0:
                failing_since = now if failing_since is None else failing_since
                if now - failing_since >= self.options.grace:
                    error = f"oarstat failed (rc {out.rc}): {excerpt(out.stderr or out.stdout) or 'no output'}"
                    for j in pending:
                        self._record(j.check, "failed", f"job {j.job}: {error}", job=j.job)
                    return
            else:
                failing_since = None
                try:
                    states = oarjson.job_states(out.stdout, " ".join(argv))
                except OarNxcError as exc:
                    for j in pending:
                        self._record(j.check, "failed", str(exc), job=j.job)
                    return
            ended = []
            for j in list(pending):
                j.state = states.get(str(j.job), j.state)
                if j.check == "oardel" and not j.deleted and j.state == "Running":
                    deleted = self._run(["oardel", str(j.job)], self.options.user)
                    if deleted.rc != 0:
                        pending.remove(j)
                        self._record(j.check, "failed", f"oardel {j.job} failed (rc {deleted.rc}): "
                                                        f"{excerpt(deleted.stderr or deleted.stdout)}", job=j.job)
                        continue
                    j.deleted, j.deadline = True, now + self.options.job_timeout
                elif j.state in oarjson.FINAL_STATES:
                    pending.remove(j)
                    if j.done is not None:
                        j.done(j.state)
                    else:
                        ended.append(j)
                elif now >= j.deadline:
                    pending.remove(j)
                    waited = "Running" if j.check == "oardel" and not j.deleted else "/".join(oarjson.FINAL_STATES)
                    self._record(j.check, "failed", f"job {j.job} is still {j.state or 'unknown to oarstat'} after "
                                                    f"{self.options.job_timeout:g} s (waited for {waited})", job=j.job)
            if ended:
                self._judge(ended)
            if pending:
                meanwhile = self._meanwhile(meanwhile, polled + self.options.poll_interval)

    def _meanwhile(self, meanwhile: Iterator[str | None] | None, until: float) -> Iterator[str | None] | None:
        """The steps of MEANWHILE until the clock reads UNTIL: when they all wait for calls beside the
        polls, until one of those is done; when they wait for the next poll, the wait for what is left.
        MEANWHILE, or None once it has ended."""
        while meanwhile is not None and self.clock() < until:
            step = next(meanwhile, StopIteration)
            if step is StopIteration:
                return None
            if step == WAIT:
                left = until - self.clock()
                if not self._inflight or left <= 0:
                    break
                done, _ = wait(self._inflight, timeout=left, return_when=FIRST_COMPLETED)
                if not done:  # none before the next poll
                    break
        left = until - self.clock()
        if left > 0:
            self.sleep(left)
        return meanwhile

    def _judge(self, ended: list[_Job]) -> None:
        argv = ["oarstat", "-f", "-J", *[w for j in ended for w in ("-j", str(j.job))]]
        out = self._run(argv)
        for j in ended:
            try:
                if out.rc != 0:
                    raise OarNxcError(f"oarstat -f failed (rc {out.rc}): {excerpt(out.stderr or out.stdout)}")
                info = oarjson.job_info(out.stdout, j.job, " ".join(argv))
            except OarNxcError as exc:
                self._record(j.check, "failed", str(exc), job=j.job)
                continue
            if j.check == "batch_job":
                ok, message = judge_batch(info, self.options.addresses, *self._job_output(j.job))
            elif j.check == "failing_job":
                ok, message = judge_failing(info)
            else:
                ok, message = judge_oardel(info, j.deleted)
            self._record(j.check, "passed" if ok else "failed", message, job=j.job, job_started=info.started,
                         job_stopped=info.stopped, job_hosts=info.network_addresses)

    def _job_output(self, job: int) -> tuple[str | None, str | None]:
        """The job's stdout and stderr files in the user's home on the submit host (None without a shared home)."""
        texts: list[str | None] = []
        for suffix in ("stdout", "stderr"):
            out = self._run(["cat", f"OAR.{job}.{suffix}"], self.options.user)
            texts.append(out.stdout if out.rc == 0 else None)
        return texts[0], texts[1]

    # the API: OAR 3's /api or OAR 2.5's /oarapi, whichever the deployed OAR has
    def _check_rest_api(self) -> Iterator[str | None]:
        version_out = yield from self._run_aside(["oarsub", "-V"])
        yield None
        found = oarjson.version(version_out.stdout)
        self.oar_version = oarjson.version_line(version_out.stdout) if found is not None else ""
        if found is None:
            raise OarNxcError(f"oarsub -V: no OAR version in {excerpt(version_out.stdout + version_out.stderr, 80)!r}")
        if found[0] >= 3:
            yield from self._rest_api_3()
        else:
            yield from self._rest_api_2()

    def _ask(self, method: str, url: str, *, expect: tuple[int, ...] = (200,), auth: bool = False,
             body: Any = None, headers: dict[str, str] | None = None) -> Generator[str | None, None, Any]:
        """The JSON answer of METHOD URL (asked beside the polls), or an error naming the URL and the
        HTTP status."""
        opts = self.options
        user, password = (opts.user, opts.api_password) if auth else (None, None)
        status, answer, error = yield from self._aside(
            lambda h: h.http(method, url, headers=headers, body=body, user=user, password=password))
        if status < 0:  # ansible.builtin.uri's "Status code was -1 and not [200]: Request failed: ..."
            error = re.sub(r"^Status code was -?\d+ and not \[[^\]]*\]: ", "", error)
            raise OarNxcError(f"{method} {url}: no answer{': ' + excerpt(error, 160) if error else ''}")
        if status not in expect or not isinstance(answer, dict):
            said = (answer.get("message") or answer.get("title")) if isinstance(answer, dict) else None
            detail = said or error
            why = f": {excerpt(str(detail), 160)}" if detail else ""
            shape = ", not a JSON object" if status in expect else ""
            raise OarNxcError(f"{method} {url}: HTTP {status}{why}{shape}")
        return answer

    def _rest_api_2(self) -> Iterator[str | None]:
        """OAR 2.5 (oar-restful-api): its version and resources, then a job submitted as the smoke user
        through the authenticated URL and read back."""
        opts = self.options
        api = opts.api_url or f"http://{opts.server}:6668/oarapi/"
        api = api if api.endswith("/") else api + "/"
        private = opts.api_private_url or re.sub(r"/oarapi/$", "/oarapi-priv/", api)
        version = yield from self._ask("GET", api + "version.json")
        yield None
        resources = yield from self._ask("GET", api + "resources.json")
        yield None
        if not opts.api_password:
            raise OarNxcError(f"{private}: OAR 2.5 takes jobs only at its authenticated URL: give the password of "
                              f"{opts.user} there (oar_smoke_api_password)")
        # a job that ends by itself, awaited: the check leaves no job behind
        body: dict[str, Any] = {"resource": f"/nodes=1,walltime={opts.walltime}", "command": "true"}
        types = self._type_names()  # timesharing too, beside the other smoke jobs
        if types:
            body["type"] = types
        posted = yield from self._ask("POST", private + "jobs.json", expect=(200, 201, 202), auth=True, body=body)
        yield None
        job_id = posted.get("id")
        if not isinstance(job_id, int) or isinstance(job_id, bool):
            raise OarNxcError(f"POST {private}jobs.json: no job id in the answer ({excerpt(str(posted), 120)})")
        job = yield from self._ask("GET", f"{private}jobs/{job_id}.json", auth=True)
        yield None
        if job.get("owner") != opts.user:
            raise OarNxcError(f"GET {private}jobs/{job_id}.json: owner {job.get('owner')!r}, expected {opts.user}")
        said = (f"{api}: OAR {version.get('oar_version', '?')}, API {version.get('api_version', '?')}, "
                f"{resources.get('total', '?')} resources; job {job_id} submitted as {opts.user}, read back "
                f"({job.get('state', '?')})")

        def ended(final: str) -> None:  # the job ends by itself: the check leaves no job behind
            status = "passed" if final == "Terminated" else "failed"
            self._record("rest_api", status, f"{said}, then {final}", job=job_id)

        job_wait = _Job("rest_api", job_id, self.clock() + opts.job_timeout, done=ended)
        if self._pending is not None:  # awaited in the same polls as the job checks
            self._pending.append(job_wait)
        else:  # one check after the other: awaited now, by the same loop
            self._await_loop([job_wait], None)

    def _rest_api_3(self) -> Iterator[str | None]:
        """OAR 3 (FastAPI): its index, then ``whoami`` with a token from ``oarsub -T``."""
        opts = self.options
        api = opts.api_url or f"http://{opts.server}/api/"
        api = api if api.endswith("/") else api + "/"
        root = yield from self._ask("GET", api)
        yield None
        if "api_version" not in root:
            raise OarNxcError(f"GET {api}: HTTP 200, api_version missing")
        token_out = yield from self._run_aside(["oarsub", "-T"], opts.user)
        yield None
        token = next((w.split("=", 1)[1] for w in token_out.stdout.split() if w.startswith("OAR_API_TOKEN=")), "")
        if not token:
            raise OarNxcError(f"oarsub -T as {opts.user} gave no OAR_API_TOKEN (rc {token_out.rc})")
        whoami = yield from self._ask("GET", api + "whoami", headers={"Authorization": f"Bearer {token}"})
        if whoami.get("authenticated_user") != opts.user:
            raise OarNxcError(f"GET {api}whoami: HTTP 200, whoami {whoami.get('authenticated_user') or 'missing'} "
                              f"(expected {opts.user})")
        self._record("rest_api", "passed", f"{api}: OAR {self.oar_version or '?'} (oarsub -V), api_version "
                                           f"{root['api_version']}, whoami {opts.user}")


def run(host: Host, options: Options, **kwargs: Any) -> list[dict[str, Any]]:
    """The checks' results, in the order of ``options.checks``."""
    return Runner(host, options, **kwargs).run()


def oar_version(results: list[dict[str, Any]]) -> str:
    """The OAR version the submit host's ``oarsub -V`` printed during the run, or '' (not asked)."""
    return next((str(r["oar_version"]) for r in results if r.get("oar_version")), "")


def lines(results: list[dict[str, Any]]) -> list[str]:
    """One line per check: ``passed   batch_job         8.8s  job 3 on 2 nodes: ...``."""
    return [f"{r['status']:<8} {r['name']:<16} {float(r.get('seconds') or 0):>5.1f}s  {r['message']}" for r in results]


def summary(results: list[dict[str, Any]]) -> dict[str, int]:
    return {status: sum(1 for r in results if r["status"] == status) for status in ("passed", "failed", "skipped")}


def plan(options: Options) -> dict[str, Any]:
    """What a run would do, for ``--check`` and ``oar-nxc plan``."""
    return {"step": "smoke", "run": False, "why": "--check: the smoke checks submit OAR jobs",
            "command": f"{', '.join(options.checks)}: OAR jobs as {options.user} from "
                       f"{options.submit or 'the frontend'}"}
