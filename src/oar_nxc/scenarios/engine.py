"""One scenario told to OAR, over any transport to a submit host (:class:`oar_nxc.smoke.model.Host`), as a normal
user; then judged from OAR's own account.

Each step runs in order. A submission records the job ids OAR printed (one per job of an array), or OAR's
refusal. A wait polls every pending job with one ``oarstat -s -J`` until each has reached what it waits for,
bounded. At the end every job of the scenario is awaited to a final state, within the scenario's bound; jobs
still alive then are deleted (``oardel``) so that no scenario leaves one behind, and the bound counts as
broken. OAR's account (``oarstat -f -J`` and ``oarstat -p`` of every job) is kept in the outcome: the
expectations and the invariants are judged on it, and the report draws it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from oar_nxc.errors import OarNxcError
from oar_nxc.oar import output as oarjson
from oar_nxc.oar.remote import Output, command_line
from oar_nxc.scenarios import account, judges, spec
from oar_nxc.scenarios.spec import Scenario, Step
from oar_nxc.smoke.model import Host

POLL = 0.5
WAITING = ("Waiting", "Hold", "toAckReservation")
RUNNING = ("Running", "Finishing", "Suspended", "Resuming")


@dataclass
class Outcome:
    """What a scenario did, what OAR says of it, and the verdict."""

    name: str
    family: str
    status: str = "passed"  # passed, failed, known OAR defect, not in this OAR
    known_defect: str = ""  # what OAR does wrong, when the failure is a known defect of this OAR
    problems: list[str] = field(default_factory=list)
    jobs: dict[str, list[int]] = field(default_factory=dict)  # alias -> OAR job ids
    refusals: dict[str, str] = field(default_factory=dict)  # alias -> what OAR said
    records: dict[int, account.JobRecord] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)  # every command line, in order: the reproducer
    started: float = 0.0
    ended: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "family": self.family, "status": self.status, "problems": self.problems,
                "known_defect": self.known_defect,
                "jobs": self.jobs, "refusals": self.refusals, "commands": self.commands,
                "records": [r.as_dict() for r in self.records.values()], "started": round(self.started, 3),
                "ended": round(self.ended, 3), "seconds": round(self.ended - self.started, 1)}


class Story:
    """One run of one scenario as ``user`` on ``host``; ``clock``/``sleep`` injectable for the tests."""

    def __init__(self, host: Host, scenario: Scenario, user: str, *, generation: str, addresses: list[str],
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 wall: Callable[[], float] = time.time) -> None:
        self.host, self.scenario, self.user, self.generation = host, scenario, user, generation
        self.addresses = addresses  # the compute nodes' OAR network addresses: $NODE1... and $NODES
        self.clock, self.sleep, self.wall = clock, sleep, wall
        self.out = Outcome(scenario.name, scenario.family)
        self.submitted_types: dict[int, tuple[str, ...]] = {}  # what each job was submitted with

    def _run(self, argv: list[str]) -> Output:
        line = command_line(argv, self.user or None)
        self.out.commands.append(line)
        return self.host.run(line)

    def run(self) -> Outcome:
        out, scenario = self.out, self.scenario
        out.started = self.wall()
        if self.generation not in scenario.oar:
            out.status = "not in this OAR"
            out.problems.append(f"not in OAR {self.generation}: the feature is OAR {' and '.join(scenario.oar)}'s")
            out.ended = self.wall()
            return out
        deadline = self.clock() + scenario.timeout
        try:
            for step in scenario.steps:
                self._step(step, deadline)
            self._wait(self._all(), "final", deadline)
        except OarNxcError as exc:
            out.problems.append(str(exc))
        self._settle()
        self._judge()
        out.ended = self.wall()
        return out

    def _all(self) -> list[int]:
        return [j for ids in self.out.jobs.values() for j in ids]

    def _ids(self, aliases: tuple[str, ...]) -> list[int]:
        return [j for alias in aliases for j in self.out.jobs.get(alias, [])]

    def _step(self, step: Step, deadline: float) -> None:
        if step.kind == "submit" and step.submit is not None:
            sub = step.submit
            after = self.out.jobs.get(sub.after, [None])[0] if sub.after else None
            done = self._run([spec.substitute(w, self.addresses) for w in sub.argv(after)])
            ids = [int(m) for m in re.findall(r"^OAR_JOB_ID=([0-9]+)\s*$", done.stdout, re.MULTILINE)]
            if done.rc != 0 or not ids:
                said = " ".join((done.stderr + " " + done.stdout).split())[:400]
                self.out.refusals[sub.alias] = said or f"rc {done.rc}"
                if not sub.refused:
                    self.out.problems.append(f"{sub.alias}: oarsub refused it (rc {done.rc}): {said}")
                elif not re.search(sub.refused, said):
                    self.out.problems.append(f"{sub.alias}: refused, but OAR said {said!r}, not /{sub.refused}/")
                return
            if sub.refused:
                self.out.problems.append(f"{sub.alias}: OAR accepted it (job {', '.join(map(str, ids))}), expected "
                                         f"a refusal matching /{sub.refused}/")
            self.out.jobs[sub.alias] = ids
            self.submitted_types.update((job, sub.types) for job in ids)
        elif step.kind == "wait":
            self._wait(self._ids(step.jobs), step.until, min(deadline, self.clock() + step.timeout))
        elif step.kind in ("hold", "resume"):
            for job in self._ids(step.jobs):
                self._check(self._run(["oarhold" if step.kind == "hold" else "oarresume", str(job)]), step.kind)
        elif step.kind == "delete":
            for job in self._ids(step.jobs):
                argv = ["oardel", *(["-c"] if step.checkpoint else []), *(["-s", step.signal] if step.signal else []),
                        str(job)]
                self._check(self._run(argv), "oardel")
        elif step.kind == "sleep":
            self.sleep(step.seconds)
        elif step.kind == "state":
            states = self._states(self._ids(step.jobs))
            for job, state in states.items():
                if state not in step.states:
                    self.out.problems.append(f"job {job} is {state or 'unknown to OAR'} at step {step.index}, expected "
                                             f"{' or '.join(step.states)}")

    def _check(self, done: Output, what: str) -> None:
        if done.rc != 0:
            said = " ".join((done.stderr + done.stdout).split())[:300]
            self.out.problems.append(f"{what} failed (rc {done.rc}): {said}")

    def _states(self, ids: list[int]) -> dict[int, str]:
        done = self._run(["oarstat", "-s", "-J", *[w for j in ids for w in ("-j", str(j))]])
        if done.rc != 0:
            raise OarNxcError(f"oarstat -s failed (rc {done.rc}): {' '.join(done.stderr.split())[:300]}")
        states = oarjson.job_states(done.stdout)
        return {j: states.get(str(j), "") for j in ids}

    def _wait(self, ids: list[int], until: str, deadline: float) -> None:
        ended = (*judges.FINAL, "")  # '': OAR knows the job no more
        reached = {"final": ended, "running": (*RUNNING, *ended), "waiting": (*WAITING, *RUNNING, *ended)}[until]
        pending = list(ids)
        while pending:
            states = self._states(pending)
            pending = [j for j in pending if states[j] not in reached]
            if not pending:
                return
            if self.clock() >= deadline:
                raise OarNxcError(f"job(s) {', '.join(f'{j} ({states[j]})' for j in pending)} not {until} within "
                                  "the bound")
            self.sleep(POLL)

    def _settle(self) -> None:
        """No job left behind: what is not final now is deleted, and awaited (bounded)."""
        ids = self._all()
        if not ids:
            return
        try:
            alive = [j for j, s in self._states(ids).items() if s not in (*judges.FINAL, "")]
            for job in alive:
                self._run(["oardel", str(job)])
            if alive:
                self.out.problems.append(f"not final within the scenario's {self.scenario.timeout:g} s: "
                                         f"{', '.join(map(str, alive))} (deleted)")
                self._wait(alive, "final", self.clock() + 60)
        except OarNxcError as exc:
            self.out.problems.append(f"cleaning up: {exc}")

    def _judge(self) -> None:
        out = self.out
        ids = self._all()
        if ids:
            done = self._run(["oarstat", "-f", "-J", *[w for j in ids for w in ("-j", str(j))]])
            try:
                out.records = account.records(done.stdout)
            except OarNxcError as exc:
                out.problems.append(f"OAR's account cannot be read: {exc}")
            for job, record in list(out.records.items()):
                if not record.types and self.submitted_types.get(job):  # OAR 3's oarstat -J names no type
                    record = out.records[job] = replace(record, types=self.submitted_types[job])
                if record.started:
                    found = self._run(["oarstat", "-p", "-j", str(job)])
                    out.records[job] = replace(record, resources=account.resource_ids(found.stdout))
        by_alias = {alias: [out.records[j] for j in js if j in out.records] for alias, js in out.jobs.items()}
        for expect in self.scenario.expect:
            out.problems.extend(judges.judge(expect, by_alias))
        out.problems.extend(judges.double_booked(list(out.records.values()), self.wall()))
        out.problems.extend(judges.not_final(list(out.records.values())))
        if out.problems:
            defect = self.scenario.known_defect
            known = defect is not None and self.generation in defect.oar
            out.status = "known OAR defect" if known else "failed"
            out.known_defect = defect.summary if known and defect is not None else ""
