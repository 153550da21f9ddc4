"""Run the OAR smoke checks on a submit host, through whatever runs commands there.

The order is the table of :mod:`oar_nxc.smoke.checks`: the gate checks first (each node's OAR sshd
answered, every resource is Alive); when one fails the job checks are recorded as skipped. The
job checks are then *submitted together* (each oarsub on a worker thread, all at once, when the host
can ``spawn``) and awaited in one bounded loop that reads every pending
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

import functools
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from oar_nxc.errors import OarNxcError
from oar_nxc.oar import output as oarjson
from oar_nxc.oar.remote import Output, command_line
from oar_nxc.smoke import checks as smoke
from oar_nxc.smoke import jobs
from oar_nxc.smoke.account import account
from oar_nxc.smoke.api import ApiChecks
from oar_nxc.smoke.gates import GateChecks
from oar_nxc.smoke.jobs import property_of
from oar_nxc.smoke.judges import JUDGES, Ended
from oar_nxc.smoke.model import MIN_POLL_INTERVAL, Host, Node, Options, PendingJob
from oar_nxc.smoke.steps import ASIDE_THREADS, WAIT, Grace, command_failed, excerpt, round_robin

T = TypeVar("T")

# what the oar.nxc.oar_smoke action and the tests take from here: the runner, and the types it is given
__all__ = ["MIN_POLL_INTERVAL", "Host", "Node", "Options", "Output", "Runner", "command_line", "lines", "oar_version",
           "plan", "run", "summary"]


class Runner(GateChecks, ApiChecks):
    """One run of the checks. ``clock`` and ``sleep`` are injectable for the tests."""

    def __init__(self, host: Host, options: Options, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, wall: Callable[[], float] = time.time,
                 progress: Callable[[str], None] | None = None) -> None:
        self.host, self.options = host, options
        self.clock, self.sleep, self.wall = clock, sleep, wall
        self.progress = progress or (lambda _msg: None)
        self.results: dict[str, dict[str, Any]] = {}
        self._pending: list[PendingJob] | None = None  # the jobs the poll loop awaits, while it runs
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
        pending: list[PendingJob] = []  # the jobs the polls await; with concurrent, the API's job too
        pool = ThreadPoolExecutor(ASIDE_THREADS, "oar-smoke") if concurrent and hasattr(self.host, "spawn") else None
        self._pending, self._aside_pool = (pending if concurrent else None), pool
        try:
            # with concurrent, the API is asked from the start, beside the other checks, and in the
            # waits between two polls of the jobs
            meanwhile = self._nudge(api) if concurrent else None
            blocked = ""
            gates = self.gates()
            for name in smoke.names("gate"):
                if name in wanted:
                    self._start(name)
                    try:
                        gates[name]()
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
                for _unused in api:
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

    # job checks
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

    def _submit(self, name: str, args: list[str], meanwhile: Iterator[str | None] | None = None
                ) -> tuple[int | None, Iterator[str | None] | None]:
        """The job's id (None: its check failed, recorded) and what is left of MEANWHILE, whose steps go on
        while oarsub runs on a worker thread (``_beside``)."""
        out, meanwhile = self._beside(self._running(self._oarsub_line(args)), meanwhile)
        return self._job_of(name, out), meanwhile

    def _submit_together(self, specs: list[tuple[str, list[str]]], meanwhile: Iterator[str | None] | None
                         ) -> tuple[list[tuple[str, int | None]], Iterator[str | None] | None]:
        """Every job of SPECS submitted at once, each oarsub on a worker thread, and meanwhile the steps of
        MEANWHILE as their calls complete: the jobs reach OAR within one oarsub's time, so that its scheduler
        takes them in the same round (one after the other, the last came a scheduling round later on the
        testbed, and ran beside the others' launch). (name, job id or None: its check failed, recorded) in the
        order of SPECS, and what is left of MEANWHILE."""
        for name, _args in specs:
            self._start(name)
        outs, meanwhile = self._beside_all([self._running(self._oarsub_line(args)) for _name, args in specs],
                                           meanwhile)
        return [(name, self._job_of(name, out)) for (name, _args), out in zip(specs, outs, strict=True)], meanwhile

    @staticmethod
    def _running(line: str) -> Callable[[Host], Output]:
        """A call that runs the command LINE on the host it is given."""
        return lambda h: h.run(line)

    def _oarsub_line(self, args: list[str]) -> str:
        return command_line(["oarsub", *jobs.types(self.options), *args], self.options.user)

    def _job_of(self, name: str, out: Output) -> int | None:
        """The id of the job that oarsub said it took; None when it failed (the check's failure recorded)."""
        try:
            if out.rc != 0:
                raise OarNxcError(command_failed("oarsub", out))
            return oarjson.job_id(out.stdout)
        except OarNxcError as exc:
            self._record(name, "failed", str(exc))
            return None

    def _beside(self, call: Callable[[Host], T], meanwhile: Iterator[str | None] | None
                ) -> tuple[T, Iterator[str | None] | None]:
        """CALL on the submit host, and meanwhile the steps of MEANWHILE, each as soon as the call it waits for
        is done (the API's requests, the reservation): a step is not held up until CALL ends. Without worker
        threads (a host that cannot ``spawn``), CALL, then a step. (CALL's result, what is left of MEANWHILE)"""
        if self._aside_pool is None:
            result = call(self.host)
            return result, self._nudge(meanwhile)
        (result,), meanwhile = self._beside_all([call], meanwhile)
        return result, meanwhile

    def _beside_all(self, calls: list[Callable[[Host], T]], meanwhile: Iterator[str | None] | None
                    ) -> tuple[list[T], Iterator[str | None] | None]:
        """CALLS at once, each on a worker thread over its own copy of the host (``spawn``), and meanwhile the
        steps of MEANWHILE as ``_beside`` runs them. (Their results in the order of CALLS, what is left of
        MEANWHILE)"""
        assert self._aside_pool is not None  # the callers' condition: a host that can spawn
        futures = [self._aside_pool.submit(call, self.host.spawn()) for call in calls]  # type: ignore[attr-defined]
        while True:
            meanwhile = self._nudge(meanwhile)
            left = {f for f in futures if not f.done()}
            if not left:
                return [f.result() for f in futures], meanwhile
            wait({*left, *self._inflight}, return_when=FIRST_COMPLETED)

    def _reservation(self) -> Iterator[str | None]:
        self._start("reservation")
        user = self.options.user
        when = yield from self._run_aside(["date", "-d", f"+{jobs.reservation_minutes(self.options.walltime)} min",
                                           "+%F %T"])
        yield None
        if when.rc != 0:
            self._record("reservation", "failed", f"date on {self.options.submit} failed: {excerpt(when.stderr)}")
            return
        at = when.stdout.strip()
        # OAR answers once its scheduler has decided
        out = yield from self._run_aside(["oarsub", *jobs.types(self.options), "-r", at, "-l",
                                          "nodes=1,walltime=0:01:00", "-p", property_of(self.options.addresses[:1]),
                                          "sleep 1"], user)
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

    def _jobs(self, names: list[str], pending: list[PendingJob],
              meanwhile: Iterator[str | None] | None) -> Iterator[str | None] | None:
        """Submit the job checks. With concurrent: the reservation joins MEANWHILE, the jobs go into
        PENDING for the polls, and MEANWHILE (what is left of it) is returned; without it, each is
        awaited before the next."""
        concurrent = self.options.concurrent
        if "reservation" in names:
            if concurrent:  # beside the submissions and the polls, before what MEANWHILE asks
                meanwhile = self._nudge(round_robin([self._reservation(), *([meanwhile] if meanwhile else [])]))
            else:
                for _unused in self._reservation():
                    pass
        specs = [(name, args) for name, args in jobs.specs(self.options, names) if name != "reservation"]
        if concurrent and self._aside_pool is not None:  # all at once; the polls await them in the specs' order
            submitted, meanwhile = self._submit_together(specs, meanwhile)
            pending += [PendingJob(name, job, self.clock() + self.options.job_timeout)
                        for name, job in submitted if job is not None]
            return meanwhile
        for name, args in specs:
            self._start(name)
            job, meanwhile = self._submit(name, args, meanwhile)
            if job is None:
                continue
            if concurrent:
                pending.append(PendingJob(name, job, self.clock() + self.options.job_timeout))
            else:
                self._await_loop([PendingJob(name, job, self.clock() + self.options.job_timeout)], None)
        return meanwhile

    def _await_loop(self, pending: list[PendingJob], meanwhile: Iterator[str | None] | None) -> None:
        """One loop over every pending job: a single oarstat per poll, each job judged when it ends.
        Between two polls, the steps of MEANWHILE (run to their end; they may add a job to PENDING)."""
        grace = Grace(self.options.grace)
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
                if grace.expired(now):
                    error = command_failed("oarstat", out)
                    for j in pending:
                        self._record(j.check, "failed", f"job {j.job}: {error}", job=j.job)
                    return
            else:
                grace.ok()
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
                        self._record(j.check, "failed", command_failed(f"oardel {j.job}", deleted), job=j.job)
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
                done, _unused = wait(self._inflight, timeout=left, return_when=FIRST_COMPLETED)
                if not done:  # none before the next poll
                    break
        left = until - self.clock()
        if left > 0:
            self.sleep(left)
        return meanwhile

    def _judge(self, ended: list[PendingJob]) -> None:
        argv = ["oarstat", "-f", "-J", *[w for j in ended for w in ("-j", str(j.job))]]
        out = self._run(argv)
        states: dict[str, list[str]] | None = None  # read once, when a check failed
        for j in ended:
            try:
                if out.rc != 0:
                    raise OarNxcError(command_failed("oarstat -f", out))
                info = oarjson.job_info(out.stdout, j.job, " ".join(argv))
            except OarNxcError as exc:
                self._record(j.check, "failed", str(exc), job=j.job)
                continue
            ok, message = JUDGES[j.check](info, Ended(self.options.addresses, j.deleted,
                                                      functools.partial(self._job_output, j.job)))
            if ok and any(kind in oarjson.MACHINE_LOST_EVENTS for kind, _said in info.events):
                # the command ran, then OAR could not reach a machine of the job: the check ran on
                # machines the user no longer holds as they were
                ok, message = False, f"{message}; but OAR suspected a machine of the job as it ended"
            if not ok:  # OAR's own account first: a machine it suspects is the cause, not the missing output
                if states is None:
                    states = self._node_states()
                message = account(info, states or None, {n.address: n.name for n in self.options.nodes},
                                  self.options.addresses) + message
            self._record(j.check, "passed" if ok else "failed", message, job=j.job, job_started=info.started,
                         job_stopped=info.stopped, job_hosts=info.network_addresses)

    def _node_states(self) -> dict[str, list[str]]:
        """Host -> its resources' states (``oarnodes -s -J``); empty when OAR's answer cannot be read."""
        out = self._run(["oarnodes", "-s", "-J"])
        try:
            return oarjson.node_states(out.stdout) if out.rc == 0 else {}
        except OarNxcError:
            return {}

    def _job_output(self, job: int) -> tuple[str | None, str | None]:
        """The job's stdout and stderr files in the user's home on the submit host (None without a shared home)."""
        texts: list[str | None] = []
        for suffix in ("stdout", "stderr"):
            out = self._run(["cat", f"OAR.{job}.{suffix}"], self.options.user)
            texts.append(out.stdout if out.rc == 0 else None)
        return texts[0], texts[1]


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
