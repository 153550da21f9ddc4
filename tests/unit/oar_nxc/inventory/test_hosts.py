"""A deployment file as add_host entries, with the plugin's naming."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from oar_nxc.inventory import hosts as export
from oar_nxc.inventory.spec import Options
from tests.conftest import FIXTURES

RAMDISK = FIXTURES / "deployments/composition::g5k-ramdisk.json"


def test_hosts_groups_and_vars() -> None:
    out = export.deployed_hosts(str(RAMDISK), options=Options(python_interpreter="/usr/bin/python3"))
    assert out["flavour"] == "g5k-ramdisk"
    assert [(h["name"], h["groups"]) for h in out["hosts"]] == [
        ("frontend", ["nxc_nodes", "role_frontend"]), ("node1", ["nxc_nodes", "role_node"]),
        ("node2", ["nxc_nodes", "role_node"]), ("server", ["nxc_nodes", "role_server"])]
    assert out["roles"] == {"frontend": ["frontend"], "node": ["node1", "node2"], "server": ["server"]}
    frontend = out["hosts"][0]["vars"]
    assert frontend["ansible_host"] == "10.16.0.7"
    assert frontend["ansible_python_interpreter"] == "/usr/bin/python3"
    assert frontend["nxc_role"] == "frontend"


def test_machine_file_gives_oar_machine(tmp_path: Path) -> None:
    machines = tmp_path / "machines"
    machines.write_text("10.16.0.7\n10.16.0.8\n10.16.0.9\n10.16.0.10\n")
    out = export.deployed_hosts(str(RAMDISK), nodefile_path=str(machines))
    assert [h["vars"]["oar_machine"] for h in out["hosts"]] == ["10.16.0.7", "10.16.0.8", "10.16.0.9", "10.16.0.10"]


def test_stale_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "composition::g5k-ramdisk.json"
    copy.write_text(RAMDISK.read_text())
    os.utime(copy, (1000, 1000))
    with pytest.raises(Exception, match=r"is older than this deployment: nxc start did not write it"):
        export.deployed_hosts(str(copy), not_older_than=2000)


def test_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert export.main(["--deployment", str(RAMDISK)]) == 0
    assert [h["name"] for h in json.loads(capsys.readouterr().out)["hosts"]] == ["frontend", "node1", "node2", "server"]
    machines = tmp_path / "machines"
    machines.write_text("10.16.0.7\n10.16.0.8\n10.16.0.9\n10.16.0.10\n")
    assert export.main(["--deployment", str(RAMDISK), "--nodefile", str(machines), "--job-id", "42"]) == 0
    assert {h["vars"]["oar_job_id"] for h in json.loads(capsys.readouterr().out)["hosts"]} == {42}
    assert export.main(["--deployment", str(RAMDISK), "--job-id", "4x"]) == 2
    assert capsys.readouterr().err == (
        "oar_nxc.inventory.hosts: --job-id: '4x' is not an OAR job id (a positive integer of at most 12 digits "
        "is expected)\n")
    assert export.main(["--deployment", str(tmp_path / "none.json")]) == 2
    assert capsys.readouterr().err.startswith(f"oar_nxc.inventory.hosts: {tmp_path / 'none.json'}: cannot read")
