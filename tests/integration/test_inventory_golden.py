"""Golden tests: ``ansible-inventory -i <fixture> --list`` run from the repository root.

Set REGEN_GOLDEN=1 to rewrite tests/fixtures/expected/ (then review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO, inventory_list

CASES = {
    "nodefile-g5k-two-clusters": "nodefiles/g5k-two-clusters",
    "nodefile-oar-stdout": "nodefiles/OAR.1894417.stdout",
    "nodefile-crlf-blank-ip": "nodefiles/crlf-blank-ip",
    "nodefile-var-lib-oar": "nodefiles/var-lib-oar/77",
    "deployment-g5k-ramdisk": "deployments/composition::g5k-ramdisk.json",
    "deployment-g5k-ramdisk-tag": "deployments/composition::g5k-ramdisk::run2.json",
    "deployment-g5k-nfs-store": "deployments/composition::g5k-nfs-store.json",
    "deployment-g5k-image": "deployments/composition::g5k-image.json",
    "deployment-vm": "deployments/composition::vm.json",
    "deployment-docker": "deployments/composition::docker.json",
    "config-both": "configs/both.oar_nxc.yml",
    "config-subset": "configs/subset.oar_nxc.yml",
    "nodefile-testbed-job": "nodefiles/testbed/2",
}


def normalise(data: object) -> object:
    text = json.dumps(data, sort_keys=True).replace(str(REPO), "<repo>")
    return json.loads(text)


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str) -> None:
    actual = normalise(inventory_list(FIXTURES / CASES[case]))
    expected_file = FIXTURES / "expected" / f"{case}.json"
    if os.environ.get("REGEN_GOLDEN") == "1":
        expected_file.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
    assert actual == json.loads(expected_file.read_text())


def test_two_clusters_in_detail() -> None:
    """The headline case, spelled out rather than only diffed."""
    data = inventory_list(Path("tests/fixtures/nodefiles/g5k-two-clusters"))
    hostvars = data["_meta"]["hostvars"]
    assert data["oar_nodes"]["hosts"] == ["dahu-12.grenoble.grid5000.fr", "dahu-3.grenoble.grid5000.fr",
                                          "troll-4.grenoble.grid5000.fr", "chifflot-2-kavlan-4.lille.grid5000.fr"]
    assert data["cluster_dahu"]["hosts"] == ["dahu-12.grenoble.grid5000.fr", "dahu-3.grenoble.grid5000.fr"]
    assert data["site_lille"]["hosts"] == ["chifflot-2-kavlan-4.lille.grid5000.fr"]
    assert [hostvars[h]["oar_cores"] for h in data["oar_nodes"]["hosts"]] == [32, 32, 16, 18]


def test_oar_stdout_in_detail() -> None:
    data = inventory_list(Path("tests/fixtures/nodefiles/OAR.1894417.stdout"))
    hosts = data["oar_job_1894417"]["hosts"]
    assert hosts == ["paradoxe-1.rennes.grid5000.fr", "paradoxe-2.rennes.grid5000.fr",
                     "paradoxe-3.rennes.grid5000.fr", "paradoxe-14.rennes.grid5000.fr"]
    assert {data["_meta"]["hostvars"][h]["oar_job_id"] for h in hosts} == {1894417}


def test_oar_machine_links_deployed_hosts_to_reserved_machines() -> None:
    data = inventory_list(Path("tests/fixtures/configs/both.oar_nxc.yml"))
    hostvars = data["_meta"]["hostvars"]
    assert {h: hostvars[h]["oar_machine"] for h in data["nxc_nodes"]["hosts"]} == {
        "frontend": "10.16.0.7", "node1": "10.16.0.8", "node2": "10.16.0.9", "server": "10.16.0.10"}
    assert data["oar_nodes"]["hosts"] == ["10.16.0.7", "10.16.0.8", "10.16.0.9", "10.16.0.10"]
    assert data["role_server"]["hosts"] == ["server"]
    assert data["flavour_g5k_ramdisk"]["hosts"] == ["frontend", "node1", "node2", "server"]
