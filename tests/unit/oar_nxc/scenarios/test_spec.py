"""oar_nxc.scenarios.spec and suite: scenario files read strictly, a bad one named by file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from oar_nxc.errors import OarNxcError, SourceError
from oar_nxc.scenarios import spec, suite

REPO = Path(__file__).parents[4]
GOOD = {"name": "s", "family": "f", "description": "d",
        "steps": [{"submit": {"as": "a"}}, {"wait": {"for": "a"}}], "expect": [{"job": "a", "state": "Terminated"}]}


def error(data: object) -> str:
    with pytest.raises(SourceError) as err:
        spec.parse(data, "f.yml")
    return str(err.value)


def test_the_shipped_scenarios_are_valid_and_named_once() -> None:
    scenarios = suite.load_dir(REPO / "compositions/master/scenarios")
    names = [s.name for s in scenarios]
    assert len(names) == len(set(names)) >= 10
    assert {s.family for s in scenarios} >= {"dependencies", "arrays", "hold", "placement", "besteffort"}


def test_a_submission_is_oarsub_with_every_value_its_own_word() -> None:
    scenario = spec.parse({**GOOD, "steps": [
        {"submit": {"as": "a", "resources": "nodes=$NODES", "types": ["timesharing=*,*"], "array": 2,
                    "properties": "network_address = '$NODE2'", "command": "sleep 1; true"}},
        {"submit": {"as": "b", "after": "a", "hold": True}}]}, "f.yml")
    a, b = (step.submit for step in scenario.steps)
    assert a is not None and b is not None
    assert [spec.substitute(w, ["n1", "n2"]) for w in a.argv()] == [
        "oarsub", "-l", "nodes=2,walltime=0:05:00", "-t", "timesharing=*,*", "--array", "2", "-p",
        "network_address = 'n2'", "sleep 1; true"]
    assert b.argv(after_id=42) == ["oarsub", "-l", "nodes=1,walltime=0:05:00", "-a", "42", "--hold", "true"]


@pytest.mark.parametrize(("data", "said"), [
    ([], "f.yml: key '(top level)': a list is not a mapping of name, family, description, timeout, oar, steps, "
         "expect, known_defect"),
    ({**GOOD, "known_defect": {"oar": ["4"], "summary": "x"}},
     "f.yml: key 'known_defect.oar': \"['4']\" is not a list of 2.5, 3"),
    ({**GOOD, "known_defect": {"oar": ["3"]}},
     "f.yml: key 'known_defect.summary': 'None' is not what OAR does wrong (one line, at most 2000 characters)"),
    ({**GOOD, "extra": 1}, "f.yml: key '(top level).extra': unknown key; the keys are name, family, description, "
                           "timeout, oar, steps, expect, known_defect"),
    ({**GOOD, "name": "Bad Name"}, "f.yml: key 'name': 'Bad Name' is not a scenario name (a-z, 0-9, - _)"),
    ({**GOOD, "oar": ["4"]}, "f.yml: key 'oar': \"['4']\" is not a list of 2.5, 3"),
    ({**GOOD, "steps": [{"submit": {"as": "a", "walltime": "1h"}}]},
     "f.yml: steps[0].submit.walltime: '1h' is not a walltime: H[:MM[:SS]] (1:00:00, 2:0 is 2 hours) or seconds"),
    ({**GOOD, "steps": [{"submit": {"as": "a", "types": ["deploy;rm"]}}]},
     "f.yml: steps[0].submit.types[0]: 'deploy;rm' is not an OAR job type (deploy, night, exotic, timesharing=*,*, "
     "inner=42...)"),
    ({**GOOD, "steps": [{"wait": {"for": "ghost"}}]},
     "f.yml: key 'steps[0].wait.for': 'ghost' is no job submitted before this step"),
    ({**GOOD, "steps": [{"submit": {"as": "a"}}, {"submit": {"as": "a"}}]},
     "f.yml: key 'steps[1].submit.as': 'a' names an earlier job already"),
    ({**GOOD, "steps": [{"explode": 1}]}, "f.yml: key 'steps[0]': 'explode' is not one of submit, wait, hold, "
                                          "resume, delete, sleep, state"),
    ({**GOOD, "steps": [{"sleep": 1e9}]}, "f.yml: key 'steps[0].sleep': '1000000000.0' is not a number from 0 to 120"),
    ({**GOOD, "expect": [{"job": "a", "state": "Done"}]},
     "f.yml: key 'expect[0].state': 'Done' is not an OAR job state (Terminated, Error, Waiting, Hold, Running…)"),
    ({**GOOD, "expect": []}, "f.yml: key 'expect': nothing to judge: give an expectation, or a submission that must "
                             "be refused"),
    ({**GOOD, "steps": [{"submit": {"as": "a", "refused": "("}}]},
     "f.yml: key 'steps[0].submit.refused': not a pattern: missing ), unterminated subpattern at position 0"),
])
def test_a_bad_scenario_is_refused_naming_the_key(data: object, said: str) -> None:
    assert error(data) == said


def test_a_bad_file_names_itself_and_two_scenarios_of_one_name_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("- name: x\n  family: f\n  description: d\n  steps: [{submit: {as: a}}]\n"
                                    "  expect: [{job: a, state: Terminated}]\n")
    (tmp_path / "b.yml").write_text((tmp_path / "a.yml").read_text())
    with pytest.raises(SourceError) as err:
        suite.load_dir(tmp_path)
    assert str(err.value) == (f"{tmp_path / 'b.yml'}[0]: key 'name': the scenario name 'x' is also in "
                              f"{tmp_path / 'a.yml'}[0]")
    (tmp_path / "b.yml").write_text("- [" * 5000)
    with pytest.raises(SourceError) as err:
        suite.load_dir(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'b.yml'}")
    (tmp_path / "b.yml").write_text("a: [1\n")
    with pytest.raises(SourceError) as err:
        suite.load_dir(tmp_path)
    assert str(err.value) == f"{tmp_path / 'b.yml'}:2: not YAML: expected ',' or ']', but got '<stream end>'"


def test_selection_by_name_or_family_and_an_unknown_word_named() -> None:
    scenarios = suite.load_dir(REPO / "compositions/master/scenarios")
    assert {s.family for s in suite.select(scenarios, ["dependencies"])} == {"dependencies"}
    assert [s.name for s in suite.select(scenarios, ["array-of-three"])] == ["array-of-three"]
    assert suite.select(scenarios, ["all"]) == scenarios
    with pytest.raises(OarNxcError, match="no scenario or family named 'nope'"):
        suite.select(scenarios, ["nope"])
