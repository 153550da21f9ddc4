"""oar_nxc.smoke.account on what OAR 2.5.9 said on the testbed when a machine was cut off under a job
(tests/fixtures/oar/live/*-cutoff-2.5.9.json, ``python -m tests.testbed.record_oar faults``)."""

from __future__ import annotations

import json
from pathlib import Path

from oar_nxc.oar import output as oarjson
from oar_nxc.smoke.account import account

LIVE = Path(__file__).parents[3] / "fixtures" / "oar" / "live"
CUT = json.loads((LIVE / "oarstat-f-J-cutoff-2.5.9.json").read_text())
CUT_ID = int(next(iter(CUT)))
NODES = (LIVE / "oarnodes-s-J-cutoff-2.5.9.json").read_text()
WALLTIME = json.loads((LIVE / "oarstat-f-J-walltime-2.5.9.json").read_text())
NAMES = {f"oarnode{i}": f"node{i}" for i in range(1, 5)}
ADDRESSES = [f"oarnode{i}" for i in range(1, 5)]


def test_the_machine_cut_off_is_named_with_its_state_and_oar_s_event() -> None:
    info = oarjson.info_of(CUT[str(CUT_ID)], CUT_ID)
    said = account(info, oarjson.node_states(NODES), NAMES, ADDRESSES)
    assert said == (f"node4 (oarnode4: Suspected) is not Alive in OAR; OAR's events on job {CUT_ID}: "
                    f"CPUSET_CLEAN_ERROR: [job_finishing_sequence] OAR suspects nodes for the job {CUT_ID} : "
                    "oarnode4. ")


def test_without_the_node_states_the_event_alone_is_said() -> None:
    info = oarjson.info_of(CUT[str(CUT_ID)], CUT_ID)
    said = account(info, None, NAMES, ADDRESSES)
    assert said.startswith(f"OAR's events on job {CUT_ID}: CPUSET_CLEAN_ERROR: [job_finishing_sequence] OAR "
                           "suspects nodes")


def test_a_walltime_kill_is_said_and_all_alive_names_no_machine() -> None:
    job = int(next(iter(WALLTIME)))
    info = oarjson.info_of(WALLTIME[str(job)], job)
    alive = {a: ["Alive", "Alive"] for a in ADDRESSES}
    said = account(info, alive, NAMES, ADDRESSES)
    assert said.startswith(f"OAR's events on job {job}: FRAG_JOB_REQUEST: User root requested to frag the job "
                           f"{job}; WALLTIME: [sarko] Job [{job}] from ")
    assert "node" not in said.split(";")[0].replace(f"job {job}", "")


def test_nothing_of_note_says_nothing_and_hostile_events_stay_bounded() -> None:
    info = oarjson.info_of({"state": "Terminated", "exit_code": 256}, 3)
    assert account(info, {"oarnode1": ["Alive"]}, NAMES, ["oarnode1"]) == ""
    flood = [{"type": "CPUSET_CLEAN_ERROR", "description": "x\n" * 10_000}] * 10_000
    info = oarjson.info_of({"state": "Error", "events": [*flood, 7, None, "junk"]}, 3)
    said = account(info, {"oarnode1": ["Suspected"] * 3}, NAMES, ["oarnode1"])
    assert len(info.events) == 47 and len(said) < 1200
    assert said.startswith("node1 (oarnode1: Suspected) is not Alive in OAR; OAR's events on job 3: ")
    assert "\n" not in said
