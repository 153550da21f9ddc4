"""How a run's events become an exit code (the real situations are in tests/integration/test_cli.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from oar_nxc import api
from oar_nxc.inventory import sources


def failed(play: str, task: str, host: str = "oarnode1", **res: str) -> dict:
    return {"event": "runner_on_failed", "event_data": {"play": play, "task": task, "host": host,
                                                        "res": {"msg": "x", **res}}}


@pytest.mark.parametrize(
    ("status", "rc", "events", "report", "interrupted", "code"),
    [
        ("successful", 0, [], None, False, api.OK),
        ("failed", 2, [failed("Check the controller and the inventory", "Check ansible-core, the inventory",
                              oar_nxc_exit="bad_input")], None, False, api.BAD_INPUT),
        # a failure in the same play without the preflight's signal is not bad input
        ("failed", 2, [failed("Check the controller and the inventory", "Something else")], None, False,
         api.FAILED_HOSTS),
        ("failed", 4, [{"event": "runner_on_unreachable", "event_data": {"host": "frontend", "res": {}}}], None,
         False, api.UNREACHABLE),
        ("failed", 2, [failed("Smoke-test OAR", "Check that no smoke check failed")],
         {"checks": [{"status": "failed"}]}, False,
         api.SMOKE_FAILED),
        ("failed", 2, [failed("Start the composition with nxc", "Check that enough machines are selected")], None,
         False, api.FAILED_HOSTS),
        # oar.nxc.oar_job's signal: OAR refused the job or did not run it in time (a CI job retries only this)
        ("failed", 2, [failed("Reserve the OAR job", "Reserve or reuse the OAR job", host="localhost",
                              oar_nxc_exit="reservation")], None, False, api.RESERVATION),
        # the job that ended during the run (oar.nxc.oar_job state=running): a reservation failure too
        ("failed", 2, [failed("Check that the OAR job still holds the machines", "Check that the OAR jobs still run",
                              host="localhost", oar_nxc_exit="reservation")], None, False, api.RESERVATION),
        # oar.nxc.nxc_roles's signal: deployed hosts that never answered, asked in one task on the controller
        ("failed", 2, [failed("Check that every deployed host reports its role",
                              "Ask every deployed host for the role nxc gave it", host="localhost",
                              oar_nxc_exit="unreachable")], None, False, api.UNREACHABLE),
        # a host that answered another role: a failed host, not an unreachable one
        ("failed", 2, [failed("Check that every deployed host reports its role",
                              "Ask every deployed host for the role nxc gave it", host="localhost")], None, False,
         api.FAILED_HOSTS),
        ("canceled", 254, [], None, True, api.INTERRUPTED),
        ("failed", 0, [], None, False, api.ERROR),
    ],
)
def test_exit_code(tmp_path: Path, status: str, rc: int, events: list, report: dict | None, interrupted: bool,
                   code: int) -> None:
    if report is not None:
        (tmp_path / "report.json").write_text(json.dumps(report))
    result = api._collect("deploy", SimpleNamespace(status=status, rc=rc), events, tmp_path, 1.0, interrupted)
    assert result.exit_code == code
    assert json.loads(json.dumps(result.as_dict()))["meaning"] == api.EXIT_CODES[code]


def test_ignored_failures_do_not_count(tmp_path: Path) -> None:
    event = failed("Start", "Probe")
    event["event_data"]["ignore_errors"] = True
    result = api._collect("deploy", SimpleNamespace(status="successful", rc=0), [event], tmp_path, 1.0, False)
    assert (result.exit_code, result.failures) == (api.OK, [])


def test_the_run_keeps_the_files_nxc_start_reported(tmp_path: Path) -> None:
    deployment = tmp_path / "composition::g5k-ramdisk.json"
    deployment.write_text('{"deployment": {}}')
    start = {"event": "runner_on_ok", "event_data": {"res": {"deployment_file": str(deployment),
                                                             "machines": ["dahu-1", "dahu-2"]}}}
    probe_only = {"event": "runner_on_ok", "event_data": {"res": {"changed": False, "hosts": []}}}
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    result = api._collect("deploy", SimpleNamespace(status="successful", rc=0), [start, probe_only], run_dir, 1.0,
                          False)
    assert (result.deployment_file, result.machine_file) == (str(run_dir / "deployment.json"),
                                                             str(run_dir / "machines"))
    assert (run_dir / "deployment.json").read_text() == '{"deployment": {}}'
    assert (run_dir / "machines").read_text() == "dahu-1\ndahu-2\n"


def test_the_plugins_refusal_is_the_first_failure_and_bad_input(tmp_path: Path) -> None:
    # ansible-playbook stopped by the oar_nxc plugin: no play ran, its refusal is in its record file
    (tmp_path / api.REFUSALS).write_text(json.dumps({"source": "/tmp/nodes", "message": "/tmp/nodes:2: 'all' is a "
                                                     "name Ansible reserves (all, ungrouped, localhost)"}) + "\n")
    later = failed("Check the controller and the inventory", "Something else")
    result = api._collect("plan", SimpleNamespace(status="failed", rc=1), [later], tmp_path, 1.0, False)
    assert result.exit_code == api.BAD_INPUT
    assert result.failures[0] == "oar_nxc: /tmp/nodes:2: 'all' is a name Ansible reserves (all, ungrouped, localhost)"


def test_the_exit_code_never_comes_from_text(tmp_path: Path) -> None:
    """Output that looks like the plugin's error (a task's stdout, a warning) changes nothing: the signal is
    the record file only."""
    lookalike = {"event": "verbose", "stdout": "[ERROR]: oar_nxc: /tmp/nodes:2: 'all' is a name Ansible reserves",
                 "event_data": {}}
    result = api._collect("plan", SimpleNamespace(status="failed", rc=2), [lookalike], tmp_path, 1.0, False)
    assert result.exit_code != api.BAD_INPUT
    assert result.failures == []


def test_refusal_records_are_read_defensively(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = tmp_path / "refusals.jsonl"
    monkeypatch.setenv(sources.REFUSALS_ENV, str(records))
    sources.record_refusal("/tmp/a", "/tmp/a:1: first")
    with records.open("a") as handle:
        handle.write("not json\n[1, 2]\n")
    sources.record_refusal("/tmp/b", "/tmp/b:3: second")
    assert api.read_refusals(records) == ["/tmp/a:1: first", "/tmp/b:3: second"]
    assert api.read_refusals(tmp_path / "none") == []


def test_phases_are_the_plays_wall_times() -> None:
    def mark(kind: str, created: str, name: str = "") -> dict:
        return {"event": kind, "created": created, "event_data": {"name": name} if name else {}}

    events = [mark("playbook_on_play_start", "2026-11-27T18:05:38.2+00:00", "Install nixos-compose and nix"),
              {"event": "runner_on_ok", "event_data": {}},
              mark("playbook_on_play_start", "2026-11-27T18:05:40.7+00:00", "Build the composition"),
              mark("playbook_on_stats", "2026-11-27T18:05:52.9+00:00")]
    assert api.phases_of(events) == [
        {"name": "Install nixos-compose and nix", "seconds": 2.5, "started": 1795802738.2},
        {"name": "Build the composition", "seconds": 12.2, "started": 1795802740.7}]
    assert api.phases_of(events[:1]) == []


def test_dev_needs_a_setup_variant() -> None:
    with pytest.raises(api.ConfigError, match="dev needs --setup VARIANT"):
        api.dev(api.Options(nodefile="x"))


def test_the_record_names_the_flavour_and_composition_that_ran(tmp_path: Path) -> None:
    """Without --flavour or --composition, the run's record takes them from what ran: the preflight's flavour,
    and the composition whose deploy/ the nxc_start result names."""
    deployment = tmp_path / "work" / "compositions" / "master" / "deploy" / "composition::g5k-ramdisk.json"
    deployment.parent.mkdir(parents=True)
    deployment.write_text('{"deployment": {}}')
    preflight = {"event": "runner_on_ok", "event_data": {"res": {"ansible_core": "2.19.4", "flavour": "g5k-ramdisk",
                                                                 "findings": []}}}
    start = {"event": "runner_on_ok", "event_data": {"res": {"deployment_file": str(deployment), "machines": []}}}
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    result = api._collect("deploy", SimpleNamespace(status="successful", rc=0), [preflight, start], run_dir, 1.0,
                          False)
    assert (result.flavour, result.composition, result.composition_dir) == (
        "g5k-ramdisk", "master", str(tmp_path / "work" / "compositions" / "master"))
    assert api._extravars(api.Options(), {}) == {}
    assert api._extravars(api.Options(flavour="vm", composition="nfs-home"), {}) == {
        "oar_nxc_flavour": "vm", "oar_nxc_composition": "nfs-home"}


@pytest.mark.parametrize(("machines", "forks"), [(0, 5), (1, 5), (4, 5), (16, 16), (64, 50), (128, 50), (200, 50)])
def test_forks_follow_the_machines_within_the_documented_cap(machines: int, forks: int) -> None:
    assert api.forks_for(machines) == forks
    assert (api.FORKS_MIN, api.FORKS_CAP) == (5, 50)  # README, "How large a job"
