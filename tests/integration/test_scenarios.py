"""The scenario suite of compositions/master on the testbed's real OAR 2.5.9 (oar_nxc.scenarios, as oartest):
every scenario passes, OAR's account judged by each scenario's expectations and by the scheduler's
invariants, within the suite's bound, and OAR's own log of the run holds no error. (OAR 3: test_oar3.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.testbed import oar_testbed as tb

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root (network namespaces, sshd, PostgreSQL)"),
]
SCENARIOS = REPO / "compositions" / "master" / "scenarios"


Outcomes = dict[str, dict[str, object]]


def run_suite(tmp_path: Path, generation: str,
              *wanted: str) -> tuple[subprocess.CompletedProcess[str], Outcomes, float]:
    """The suite as its module runs it on the testbed's frontend: (the process, each outcome by name, seconds)."""
    out = tmp_path / "scenarios.json"
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "oar_nxc.scenarios.suite", str(SCENARIOS), *wanted, "--user",
                           tb.USER, "--nodes", ",".join(tb.node_names()), "--generation", generation, "--json",
                           str(out)], capture_output=True, text=True, timeout=1200, check=False)
    outcomes = {o["name"]: o for o in json.loads(out.read_text())} if out.exists() else {}
    return done, outcomes, time.monotonic() - began


def no_job_left() -> list[str]:
    listed = tb.as_user("oarstat -u oartest -J")
    data = json.loads(listed.stdout or "{}") or {}
    return [f"{job} {info['state']}" for job, info in data.items() if info["state"] not in tb.FINAL_STATES]


def clear_jobs() -> None:
    """No job of the test user left by an earlier module: the scenarios count on free nodes."""
    for line in no_job_left():
        tb.release(int(line.split()[0]))


def test_every_scenario_passes_on_oar_2_5(cluster: None, tmp_path: Path) -> None:
    clear_jobs()
    done, outcomes, seconds = run_suite(tmp_path, "2.5")
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(outcomes) == {line.split()[1] for line in done.stdout.splitlines()}
    assert {name: o["status"] for name, o in outcomes.items() if o["status"] != "passed"} == {}
    assert len(outcomes) >= 11 and seconds < 300, seconds
    for outcome in outcomes.values():
        assert outcome["problems"] == [] and outcome["commands"], outcome
        records = outcome["records"]
        assert isinstance(records, list)
        assert all(r["state"] in tb.FINAL_STATES for r in records), outcome  # every job final: the bound held
    array = outcomes["array-of-three"]["records"]
    assert isinstance(array, list) and len(array) == 3 and {r["exit_status"] for r in array} == {0}
    assert no_job_left() == []


def test_a_bad_scenario_file_is_refused_naming_the_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("- name: x\n  family: f\n  description: d\n  steps: [{submit: {as: a, "
                                      "walltime: soon}}]\n  expect: [{job: a, state: Terminated}]\n")
    done = subprocess.run([sys.executable, "-m", "oar_nxc.scenarios.suite", str(tmp_path), "--user", "oartest",
                           "--nodes", "oarnode1", "--generation", "2.5"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"oar_nxc.scenarios.suite: {tmp_path / 'bad.yml'}[0]: steps[0].submit.walltime: 'soon' is "
                           "not a walltime: H[:MM[:SS]] (1:00:00, 2:0 is 2 hours) or seconds\n")
