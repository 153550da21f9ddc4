"""A scenario: a small named story told to OAR (jobs submitted as a normal user, things done to them) and what
OAR's own account must say afterwards. Read from YAML as strictly as every other input: an unknown key or a
bad value is an error that names the file and the key.

    name: dependency-after-success
    family: dependencies
    description: a job submitted with -a J starts after J ended, and runs
    timeout: 90                  # seconds for the whole story (default 120)
    oar: ["2.5", "3"]            # the OAR generations that have the feature (default both)
    steps:
      - submit: {as: first, command: "sleep 3"}
      - submit: {as: second, after: first}
      - wait: {for: [first, second], until: final}
    expect:
      - {job: second, state: Terminated, exit_status: 0, started_after: first}

Steps: ``submit`` (``as``, ``resources``, ``walltime``, ``command``, ``types``, ``after``, ``array``,
``hold``, ``properties``, ``refused``: a pattern OAR's refusal must match), ``wait`` (``for``, ``until``:
running, final or waiting, ``timeout``), ``hold``, ``resume``, ``delete`` (``job``, ``signal``,
``checkpoint``), ``sleep`` (seconds), ``state`` (``of``, ``is``: what OAR must say of the jobs now). In a
submission, ``$NODES`` is the number of compute nodes and ``$NODE1``, ``$NODE2``... their OAR network
addresses. Expectations name a job and what OAR must report of every job it
stands for (an array's jobs): ``state`` (one or a list), ``exit_status``, ``started_after`` (it started once
that job had stopped), ``overlaps`` (it ran while that job ran), ``never_started``, ``event`` (a type among
its events, OAR 2.5 only).

``known_defect`` (``oar``: the generations, ``summary``: what OAR does wrong) marks a failure that is OAR's
own defect: where it applies, a failed run is reported as "known OAR defect", its problems and the
commands that reproduce it kept, never as passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from oar_nxc.errors import OarNxcError, SourceError
from oar_nxc.oar import request as jobrequest

GENERATIONS = ("2.5", "3")
UNTIL = ("running", "final", "waiting")
MAX_TIMEOUT = 3600
MAX_SLEEP = 120
MAX_ARRAY = 100
DEFAULT_WALLTIME = "0:05:00"  # a scenario's jobs are short: a job left running ends soon all the same
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}", re.ASCII)
_ALIAS = re.compile(r"[a-z][a-z0-9_]{0,30}", re.ASCII)
_SIGNAL = re.compile(r"(SIG)?[A-Z0-9]{1,10}|[0-9]{1,2}", re.ASCII)
STATES = ("Terminated", "Error", "Waiting", "Hold", "Running", "Suspended", "toLaunch", "Launching", "Finishing",
          "Resuming", "toAckReservation", "toError")


@dataclass(frozen=True)
class Submit:
    alias: str
    resources: str = "nodes=1"
    walltime: str = "0:05:00"
    command: str = "true"
    types: tuple[str, ...] = ()
    after: str = ""
    array: int = 0
    hold: bool = False
    properties: str = ""
    refused: str = ""  # a pattern of OAR's refusal: the submission must fail, saying so

    def argv(self, after_id: int | None = None) -> list[str]:
        """``oarsub`` for this submission (every value its own argument)."""
        argv = ["oarsub", "-l", f"{self.resources},walltime={self.walltime}"]
        for kind in self.types:
            argv += ["-t", kind]
        if after_id is not None:
            argv += ["-a", str(after_id)]
        if self.array:
            argv += ["--array", str(self.array)]
        if self.hold:
            argv.append("--hold")
        if self.properties:
            argv += ["-p", self.properties]
        return [*argv, self.command]


@dataclass(frozen=True)
class Step:
    kind: str  # submit, wait, hold, resume, delete, sleep
    submit: Submit | None = None
    jobs: tuple[str, ...] = ()
    until: str = "final"
    timeout: float = 60
    signal: str = ""
    checkpoint: bool = False
    seconds: float = 0
    states: tuple[str, ...] = ()  # state: what the jobs must be now
    index: int = 0


@dataclass(frozen=True)
class Expect:
    job: str
    states: tuple[str, ...] = ()
    exit_status: int | None = None
    started_after: str = ""
    overlaps: str = ""
    never_started: bool = False
    event: str = ""


@dataclass(frozen=True)
class KnownDefect:
    """OAR's own defect that makes this scenario fail on some generations: the run says so, in every report."""

    oar: tuple[str, ...]
    summary: str


@dataclass(frozen=True)
class Scenario:
    name: str
    family: str
    description: str
    steps: tuple[Step, ...]
    expect: tuple[Expect, ...]
    timeout: float = 120
    oar: tuple[str, ...] = GENERATIONS
    source: str = ""
    aliases: tuple[str, ...] = field(default=(), compare=False)
    known_defect: KnownDefect | None = None


class _Where:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, key: str, message: str) -> SourceError:
        return SourceError(self.source, message, key=key)


def _mapping(value: Any, key: str, where: _Where, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.error(key, f"a {type(value).__name__} is not a mapping of {', '.join(keys)}")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        raise where.error(f"{key}.{unknown[0][:40]}", f"unknown key; the keys are {', '.join(keys)}")
    return value


def _text(value: Any, key: str, where: _Where, *, pattern: re.Pattern[str] | None = None, what: str = "text",
          limit: int = 1000) -> str:
    if not isinstance(value, str) or not value or len(value) > limit or any(ord(c) < 32 for c in value):
        raise where.error(key, f"{str(value)[:40]!r} is not {what} (one line, at most {limit} characters)")
    if pattern is not None and not pattern.fullmatch(value):
        raise where.error(key, f"{value[:40]!r} is not {what}")
    return value


def _number(value: Any, key: str, where: _Where, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise where.error(key, f"{str(value)[:40]!r} is not a number from {low:g} to {high:g}")
    return float(value)


def _aliases(value: Any, key: str, where: _Where, known: set[str]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise where.error(key, "name a job (its 'as') or a list of them")
    for index, item in enumerate(items):
        name = f"{key}[{index}]" if isinstance(value, list) else key
        if not isinstance(item, str) or item not in known:
            raise where.error(name, f"{str(item)[:40]!r} is no job submitted before this step")
    return tuple(items)


SUBMIT_KEYS = ("as", "resources", "walltime", "command", "types", "after", "array", "hold", "properties", "refused")


def _submit(value: Any, key: str, where: _Where, known: set[str]) -> Submit:
    data = _mapping(value, key, where, SUBMIT_KEYS)
    alias = _text(data.get("as"), f"{key}.as", where, pattern=_ALIAS, what="a job's name (a-z, 0-9, _)")
    if alias in known:
        raise where.error(f"{key}.as", f"{alias!r} names an earlier job already")
    resources = data.get("resources", "nodes=1")
    properties = data.get("properties", "")
    try:  # checked as a request, $NODES and $NODE<n> standing for values they can take
        request = jobrequest.from_mapping({"walltime": data.get("walltime", DEFAULT_WALLTIME)} | {
            "resources": substitute(resources, ["node"]) if isinstance(resources, str) else resources,
            "properties": substitute(properties, ["node"]) if isinstance(properties, str) else properties,
            "types": data.get("types")}, key)
    except OarNxcError as exc:  # ConfigError names the key
        raise SourceError(where.source, str(exc)) from None
    after = data.get("after", "")
    if after:
        _aliases(after, f"{key}.after", where, known)
    array = data.get("array", 0)
    if array and (isinstance(array, bool) or not isinstance(array, int) or not 1 <= array <= MAX_ARRAY):
        raise where.error(f"{key}.array", f"{str(array)[:20]!r} is not a number of jobs from 1 to {MAX_ARRAY}")
    hold = data.get("hold", False)
    if not isinstance(hold, bool):
        raise where.error(f"{key}.hold", "true or false")
    refused = data.get("refused", "")
    if refused:
        _text(refused, f"{key}.refused", where, what="a pattern of OAR's refusal")
        try:
            re.compile(refused)
        except re.error as exc:
            raise where.error(f"{key}.refused", f"not a pattern: {exc}") from None
    return Submit(alias=alias, resources=resources, walltime=request.walltime,
                  command=_text(data.get("command", "true"), f"{key}.command", where, what="a command"),
                  types=request.types, after=after, array=int(array), hold=hold, properties=properties,
                  refused=refused)


def _step(value: Any, key: str, where: _Where, known: set[str]) -> Step:
    if not isinstance(value, dict) or len(value) != 1:
        raise where.error(key, f"one of {', '.join(STEPS)}")
    kind, body = next(iter(value.items()))
    if kind == "submit":
        submit = _submit(body, f"{key}.submit", where, known)
        return Step(kind, submit=submit)
    if kind == "wait":
        data = _mapping(body, f"{key}.wait", where, ("for", "until", "timeout"))
        until = data.get("until", "final")
        if until not in UNTIL:
            raise where.error(f"{key}.wait.until", f"{str(until)[:20]!r} is not one of {', '.join(UNTIL)}")
        return Step(kind, jobs=_aliases(data.get("for"), f"{key}.wait.for", where, known), until=until,
                    timeout=_number(data.get("timeout", 60), f"{key}.wait.timeout", where, 1, MAX_TIMEOUT))
    if kind in ("hold", "resume"):
        return Step(kind, jobs=_aliases(body, f"{key}.{kind}", where, known))
    if kind == "delete":
        data = _mapping(body if isinstance(body, dict) else {"job": body}, f"{key}.delete", where,
                        ("job", "signal", "checkpoint"))
        signal = data.get("signal", "")
        if signal:
            _text(signal, f"{key}.delete.signal", where, pattern=_SIGNAL, what="a signal (SIGUSR2, 12)")
        checkpoint = data.get("checkpoint", False)
        if not isinstance(checkpoint, bool):
            raise where.error(f"{key}.delete.checkpoint", "true or false")
        return Step(kind, jobs=_aliases(data.get("job"), f"{key}.delete.job", where, known), signal=signal,
                    checkpoint=checkpoint)
    if kind == "sleep":
        return Step(kind, seconds=_number(body, f"{key}.sleep", where, 0, MAX_SLEEP))
    if kind == "state":
        data = _mapping(body, f"{key}.state", where, ("of", "is"))
        return Step(kind, jobs=_aliases(data.get("of"), f"{key}.state.of", where, known),
                    states=_states(data.get("is"), f"{key}.state.is", where))
    raise where.error(key, f"{str(kind)[:20]!r} is not one of {', '.join(STEPS)}")


STEPS = ("submit", "wait", "hold", "resume", "delete", "sleep", "state")


def _states(value: Any, key: str, where: _Where) -> tuple[str, ...]:
    states = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, list) else None
    if not states or any(s not in STATES for s in states):
        raise where.error(key, f"{str(value)[:40]!r} is not an OAR job state ({', '.join(STATES[:5])}…)")
    return states


def substitute(word: str, addresses: list[str]) -> str:
    """$NODES: how many compute nodes there are; $NODE1, $NODE2...: their OAR network addresses (checked host
    names, so a property may quote them)."""
    word = word.replace("$NODES", str(len(addresses)))
    return re.sub(r"\$NODE([0-9]{1,4})", lambda m: addresses[(int(m.group(1)) - 1) % len(addresses)], word)


EXPECT_KEYS = ("job", "state", "exit_status", "started_after", "overlaps", "never_started", "event")


def _expect(value: Any, key: str, where: _Where, known: set[str]) -> Expect:
    data = _mapping(value, key, where, EXPECT_KEYS)
    job = _aliases(data.get("job"), f"{key}.job", where, known)[0]
    states = _states(data["state"], f"{key}.state", where) if "state" in data else ()
    status = data.get("exit_status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 0 <= status <= 255):
        raise where.error(f"{key}.exit_status", f"{str(status)[:20]!r} is not an exit status (0 to 255)")
    related = {}
    for name in ("started_after", "overlaps"):
        if data.get(name):
            related[name] = _aliases(data[name], f"{key}.{name}", where, known)[0]
    never = data.get("never_started", False)
    if not isinstance(never, bool):
        raise where.error(f"{key}.never_started", "true or false")
    event = data.get("event", "")
    if event:
        _text(event, f"{key}.event", where, pattern=re.compile(r"[A-Z_]{1,60}"), what="an OAR event type")
    return Expect(job=job, states=states, exit_status=status, never_started=never, event=event, **related)


SCENARIO_KEYS = ("name", "family", "description", "timeout", "oar", "steps", "expect", "known_defect")


def parse(data: Any, source: str) -> Scenario:
    """The scenario of DATA (a YAML document), or SourceError naming SOURCE and the key."""
    where = _Where(source)
    doc = _mapping(data, "(top level)", where, SCENARIO_KEYS)
    name = _text(doc.get("name"), "name", where, pattern=_NAME, what="a scenario name (a-z, 0-9, - _)")
    family = _text(doc.get("family"), "family", where, pattern=_NAME, what="a family name (a-z, 0-9, - _)")
    description = _text(doc.get("description"), "description", where, what="a description")
    generations = doc.get("oar", list(GENERATIONS))
    if not isinstance(generations, list) or not generations or any(g not in GENERATIONS for g in generations):
        raise where.error("oar", f"{str(generations)[:40]!r} is not a list of {', '.join(GENERATIONS)}")
    steps_data = doc.get("steps")
    if not isinstance(steps_data, list) or not steps_data:
        raise where.error("steps", "a list of steps (submit, wait, hold, resume, delete, sleep)")
    known: set[str] = set()
    steps = []
    for index, value in enumerate(steps_data):
        step = replace(_step(value, f"steps[{index}]", where, known), index=index)
        if step.submit is not None:
            known.add(step.submit.alias)
        steps.append(step)
    expect_data = doc.get("expect", [])
    if not isinstance(expect_data, list):
        raise where.error("expect", "a list of expectations")
    expect = tuple(_expect(v, f"expect[{i}]", where, known) for i, v in enumerate(expect_data))
    if not expect and not any(s.submit and s.submit.refused for s in steps):
        raise where.error("expect", "nothing to judge: give an expectation, or a submission that must be refused")
    defect = None
    if "known_defect" in doc:
        data = _mapping(doc["known_defect"], "known_defect", where, ("oar", "summary"))
        found = data.get("oar")
        if not isinstance(found, list) or not found or any(g not in GENERATIONS for g in found):
            raise where.error("known_defect.oar", f"{str(found)[:40]!r} is not a list of {', '.join(GENERATIONS)}")
        defect = KnownDefect(oar=tuple(found), summary=_text(data.get("summary"), "known_defect.summary", where,
                                                             what="what OAR does wrong", limit=2000))
    return Scenario(name=name, family=family, description=description, steps=tuple(steps), expect=expect,
                    timeout=_number(doc.get("timeout", 120), "timeout", where, 1, MAX_TIMEOUT),
                    oar=tuple(generations), source=source, aliases=tuple(sorted(known)), known_defect=defect)
