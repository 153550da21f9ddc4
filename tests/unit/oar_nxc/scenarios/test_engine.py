"""oar_nxc.scenarios.engine on recorded real runs of both OAR generations (tests/fixtures/oar/scenarios-*.json,
made by ``python -m tests.testbed.record_oar scenarios``): each scenario is told again to a host that answers
what OAR answered, with the recording's clocks. The replay asks exactly the recorded commands, and comes to the
recorded verdict: OAR 2.5.9 and OAR 3 differ where OAR does (a dependency on a non-zero exit)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oar_nxc.oar.remote import Output
from oar_nxc.scenarios import engine, suite
from tests.conftest import FIXTURES

REPO = Path(__file__).parents[4]
RECORDINGS = {"2.5": FIXTURES / "oar/scenarios-2.5.9.json", "3": FIXTURES / "oar/scenarios-3.json"}


class Replay:
    """A submit host that answers each command as OAR did; its clocks are the recording's."""

    def __init__(self, calls: list[dict[str, Any]]) -> None:
        self.calls, self.index = calls, 0
        self.now, self.wall_now = 0.0, calls[0]["wall"] if calls else 0.0

    def run(self, command: str) -> Output:
        assert self.index < len(self.calls), f"a command the recorded run did not ask: {command}"
        call = self.calls[self.index]
        assert command == call["command"], f"command {self.index}: {command!r}, recorded {call['command']!r}"
        self.index += 1
        self.now, self.wall_now = call["done"], call["wall"] + (call["done"] - call["at"])
        return Output(call["rc"], call["stdout"], call["stderr"])

    def http(self, method: str, url: str, **kwargs: Any) -> tuple[int, Any, str]:
        raise AssertionError("no REST API request in these scenarios")


def runs(generation: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    data = json.loads(RECORDINGS[generation].read_text())
    return [(generation, run, data) for run in data["runs"]]


CASES = [case for generation in RECORDINGS for case in runs(generation)]


@pytest.mark.parametrize(("generation", "run", "recording"), CASES,
                         ids=[f"{g}-{r['scenario']}" for g, r, _d in CASES])
def test_a_recorded_run_replays_to_its_verdict(generation: str, run: dict[str, Any],
                                               recording: dict[str, Any]) -> None:
    scenario = next(s for s in suite.load_dir(REPO / "compositions/master/scenarios") if s.name == run["scenario"])
    host = Replay(run["calls"])
    outcome = engine.Story(host, scenario, recording["user"], generation=generation, addresses=recording["nodes"],
                           clock=lambda: host.now, sleep=lambda seconds: None, wall=lambda: host.wall_now).run()
    assert host.index == len(run["calls"]), "the replay asked fewer commands than the recorded run"
    recorded = run["outcome"]
    assert (outcome.status, outcome.problems, outcome.jobs, outcome.known_defect) == (
        recorded["status"], recorded["problems"], recorded["jobs"], recorded["known_defect"])


def test_both_generations_were_recorded_and_every_scenario_passed_or_is_a_known_defect() -> None:
    verdicts = {(g, run["scenario"]): run["outcome"]["status"] for g, run, _d in CASES}
    names = {s.name for s in suite.load_dir(REPO / "compositions/master/scenarios")}
    assert {name for _g, name in verdicts} == names
    assert {g for g, _name in verdicts} == {"2.5", "3"}
    assert set(verdicts.values()) <= {"passed", "known OAR defect"}
    assert verdicts[("3", "dependency-after-failure")] == "known OAR defect"
    assert verdicts[("2.5", "dependency-after-failure")] == "passed"
