"""oar_nxc.inventory.known: the record of an OAR job's deployed hosts, and the inventory that reads it
(sources.add_known, called by the oar_nxc plugin for every source but an explicit deployment file)."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from oar_nxc.inventory import known, sources
from oar_nxc.inventory.spec import InventorySpec

MACHINES = ["dahu-1.grenoble.grid5000.fr", "dahu-2.grenoble.grid5000.fr", "dahu-3.grenoble.grid5000.fr"]


def hosts() -> list[dict[str, Any]]:
    return [{"name": "server", "groups": ["nxc_nodes", "role_server"],
             "vars": {"nxc_role": "server", "ansible_host": "10.0.0.1", "oar_machine": MACHINES[0], "oar_job_id": 7}},
            {"name": "node1", "groups": ["nxc_nodes", "role_node"],
             "vars": {"nxc_role": "node", "ansible_host": "10.0.0.2", "oar_machine": MACHINES[1], "oar_job_id": 7}}]


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    path = tmp_path / "deploy" / "composition::g5k-nfs-store.json"
    path.parent.mkdir()
    path.write_text('{"deployment": {}}\n')
    return path


def job_spec(job_id: int = 7, machines: list[str] | None = None) -> InventorySpec:
    spec = InventorySpec()
    for machine in MACHINES if machines is None else machines:
        spec.add(machine, {"oar_cores": 32, "oar_job_id": job_id}, ["oar_nodes", f"oar_job_{job_id}"])
    return spec


def test_the_record_is_written_0600_where_the_plugin_reads_it(deployment: Path, tmp_path: Path) -> None:
    record = known.make(7, MACHINES[:2], str(deployment), hosts())
    path = known.write(record)
    assert path == known.record_path(7) == str(tmp_path / "state" / "oar-nxc" / "jobs" / "7.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert known.read(path) == record
    assert record["machines"] == sorted(MACHINES[:2]) and record["deployment_file"] == str(deployment)
    assert known.forget(7) is True and known.forget(7) is False and not os.path.exists(path)


def test_the_inventory_adds_the_recorded_hosts_as_recorded(deployment: Path) -> None:
    path = known.write(known.make(7, MACHINES[:2], str(deployment), hosts()))
    spec = job_spec()
    assert sources.add_known(spec) == []
    assert spec.groups["nxc_nodes"] == ["server", "node1"]
    assert (spec.groups["role_server"], spec.groups["role_node"]) == (["server"], ["node1"])
    assert spec.hosts["node1"] == {**hosts()[1]["vars"], "nxc_deployed_record": path}
    assert spec.origins["node1"] == (path, None, "hosts[1]")
    assert spec.groups["oar_job_7"] == MACHINES  # the deployed hosts are not machines of the job


def test_a_source_that_names_its_deployment_file_reads_no_record(deployment: Path) -> None:
    known.write(known.make(7, MACHINES[:2], str(deployment), hosts()))
    spec = job_spec()
    assert sources.add_known(spec, deployment=str(deployment)) == []
    assert "nxc_nodes" not in spec.groups


@pytest.mark.parametrize(("change", "why"), [
    ("touch", "{deployment} changed or is gone since"),
    ("remove", "{deployment} changed or is gone since"),
    ("fewer machines", "deployed on dahu-2.grenoble.grid5000.fr, not selected now"),
    ("other job", "not a record of OAR job 7"),
    ("bad host", "hosts[1]: 'node 1' is not a valid host name or IPv4 address (forbidden character ' ')"),
    ("bad groups", "hosts[0]: groups is not a list of group names"),
    ("clash", "host server clashes with a name of this inventory"),
])
def test_a_record_that_no_longer_holds_is_not_used_and_says_why(deployment: Path, change: str, why: str) -> None:
    record = known.make(7, MACHINES[:2], str(deployment), hosts())
    machines = MACHINES
    if change == "other job":
        record["job_id"] = 8
    if change == "bad host":
        record["hosts"][1]["name"] = "node 1"
    if change == "bad groups":
        record["hosts"][0]["groups"] = ["nxc nodes"]
    if change == "fewer machines":
        machines = [MACHINES[0], MACHINES[2]]
    path = known.write(record)
    if change == "other job":  # 7.json holding job 8's record
        os.replace(path, known.record_path(7))
        path = known.record_path(7)
    if change == "touch":
        time.sleep(0.01)
        deployment.write_text('{"deployment": {"a": {}}}\n')
    if change == "remove":
        deployment.unlink()
    spec = job_spec(machines=machines)
    if change == "clash":
        spec.add("server", {"oar_cores": 1}, ["oar_nodes"])
    before = (dict(spec.hosts), {g: list(m) for g, m in spec.groups.items()})
    assert sources.add_known(spec) == [
        f"{path}: the deployed hosts recorded for OAR job 7 are not used: {why.format(deployment=deployment)}"]
    assert (spec.hosts, spec.groups) == before


@pytest.mark.parametrize("text", ["", "{", "[]", '{"version": 1, "job_id": 7}', "\x00" * 10,
                                  json.dumps({"version": 1, "job_id": 7, "n": 10 ** 30})])
def test_a_damaged_record_is_ignored_without_an_error(deployment: Path, text: str) -> None:
    path = Path(known.record_path(7))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    spec = job_spec()
    unused = sources.add_known(spec)
    assert "nxc_nodes" not in spec.groups
    assert unused in ([], [f"{path}: the deployed hosts recorded for OAR job 7 are not used: no machines recorded"])


def test_a_record_of_a_job_the_inventory_does_not_hold_is_not_read(deployment: Path) -> None:
    known.write(known.make(7, MACHINES[:2], str(deployment), hosts()))
    spec = job_spec(job_id=9)
    assert sources.add_known(spec) == [] and "nxc_nodes" not in spec.groups


def test_writing_a_record_removes_those_of_jobs_long_gone(deployment: Path) -> None:
    old = known.write(known.make(5, MACHINES[:2], str(deployment), hosts()))
    recent = known.write(known.make(6, MACHINES[:2], str(deployment), hosts()))
    long_ago = time.time() - (known.KEEP_DAYS + 1) * 86400
    os.utime(old, (long_ago, long_ago))
    known.write(known.make(7, MACHINES[:2], str(deployment), hosts()))
    assert (os.path.exists(old), os.path.exists(recent)) == (False, True)


def test_a_record_of_an_earlier_job_with_the_same_id_is_not_used(deployment: Path, tmp_path: Path) -> None:
    """An OAR server (or testbed) made again reuses job ids: the start time and the nodefile tell them apart."""
    nodefile = tmp_path / "7"
    nodefile.write_text("\n".join(MACHINES) + "\n")
    identity = known.job_identity({"id": 7, "started": 1_796_500_000}, str(nodefile))
    path = known.write(known.make(7, MACHINES[:2], str(deployment), hosts(), identity))

    def spec_of(started: int | None) -> InventorySpec:
        spec = job_spec()
        for machine in MACHINES:
            spec.hosts[machine]["oar_nodefile"] = str(nodefile)
        if started is not None:
            spec.group_vars["oar_job_7"] = {"oar_job": {"id": 7, "started": started}}
        return spec

    same, unknown = spec_of(1_796_500_000), spec_of(None)  # the job read live, or not read
    assert (sources.add_known(same), sources.add_known(unknown)) == ([], [])
    assert same.groups["nxc_nodes"] == unknown.groups["nxc_nodes"] == ["server", "node1"]
    later = spec_of(1_796_600_000)
    assert sources.add_known(later) == [f"{path}: the deployed hosts recorded for OAR job 7 are not used: recorded "
                                        "for a job 7 that started at 1796500000, not this one"]
    time.sleep(0.01)
    nodefile.write_text("\n".join(MACHINES[:2]) + "\n")  # the nodefile of the new job 7
    unread = spec_of(None)
    assert sources.add_known(unread) == [f"{path}: the deployed hosts recorded for OAR job 7 are not used: recorded "
                                         f"for job 7 of nodefile {nodefile}, which changed since"]
    # a source without a nodefile (a job id alone) still sees the recorded one changed
    alone = job_spec()
    assert sources.add_known(alone) == [
        f"{path}: the deployed hosts recorded for OAR job 7 are not used: recorded for job 7 of nodefile {nodefile}, "
        "which changed since"]
    assert "nxc_nodes" not in later.groups and "nxc_nodes" not in unread.groups


def test_a_refresh_is_advised_only_when_every_source_is_a_file_the_plugin_reads_a_job_from(tmp_path: Path) -> None:
    nodefile = tmp_path / "1234"
    nodefile.write_text("dahu-1.grenoble.grid5000.fr\ndahu-1.grenoble.grid5000.fr\ndahu-2.grenoble.grid5000.fr\n")
    config = tmp_path / "job.oar_nxc.yml"
    config.write_text("plugin: oar.nxc.oar_nxc\njob_id: 1234\n")
    ini = tmp_path / "hosts.ini"
    ini.write_text("[web]\nweb1 ansible_host=10.0.0.9\n")
    script = tmp_path / "inventory.sh"
    script.write_text("#!/bin/sh\necho '{}'\n")
    script.chmod(0o755)
    deployment = tmp_path / "composition::g5k-nfs-store.json"
    deployment.write_text('{"deployment": {}}\n')
    assert known.read_by_plugin([str(nodefile)]) is True
    assert known.read_by_plugin(str(nodefile)) is True
    assert known.read_by_plugin([str(nodefile), str(config)]) is True
    # a refresh would read these again too (a script runs again), or they give no job: one add_host per host
    assert known.read_by_plugin([str(nodefile), str(ini)]) is False
    assert known.read_by_plugin([str(nodefile), str(script)]) is False
    assert known.read_by_plugin([str(deployment)]) is False
    assert known.read_by_plugin([str(tmp_path)]) is False  # a directory: Ansible reads each of its files
    assert known.read_by_plugin([str(tmp_path / "missing")]) is False
    assert known.read_by_plugin(["node1,node2,"]) is False  # a host list
    assert known.read_by_plugin([]) is False
    assert known.read_by_plugin(None) is False
    assert known.read_by_plugin([7]) is False
