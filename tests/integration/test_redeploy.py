"""Redeploy onto 2 of 3 reserved nodes, with no new reservation and no rebuild. Root only."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.pipeline import clear_jobs, copy_compositions, netns_state, oar_jobs, playbook
from tests.testbed import oar_testbed as tb
from tests.unit.oar_nxc.test_collection import SMOKE_PLAYS, START_PLAYS

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root (network namespaces, sshd, PostgreSQL)"),
]


@pytest.fixture(scope="module")
def three(cluster: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[tb.Reservation, Path]]:
    clear_jobs()
    reservation = tb.reserve(3, walltime="1:00:00")
    try:
        yield reservation, copy_compositions(tmp_path_factory.mktemp("redeploy"))
    finally:
        tb.release(reservation.job_id)


def deployment(compositions: Path) -> dict[str, tuple[str, str]]:
    data = json.loads((compositions / "master/deploy/composition::g5k-nfs-store.json").read_text())
    return {ip: (e["role"], e["host"]) for ip, e in data["deployment"].items()}


def test_redeploy_onto_two_of_three(three: tuple[tb.Reservation, Path]) -> None:
    reservation, compositions = three
    first = playbook("deploy.yml", "-e", '{"oar_nxc_roles": {"node": 1}}', inventory=reservation.nodefile,
                     compositions=compositions)
    assert first.rc == 0, first.explain()
    assert deployment(compositions) == {"10.213.0.11": ("frontend", "frontend"), "10.213.0.12": ("node", "node1"),
                                        "10.213.0.13": ("server", "server")}

    again = playbook("redeploy.yml", "-e", '{"oar_nxc_roles": {"frontend": 0, "node": 1}}',
                     inventory=reservation.nodefile, compositions=compositions, env={"OAR_NXC_EXCLUDE": "oarnode1"})
    assert again.rc == 0, again.explain()
    # no build, no nix: only nxc start, on the two selected machines, then the smoke tests
    assert again.plays() == ["Check the controller and the inventory", *START_PLAYS, *SMOKE_PLAYS]
    assert (compositions / "master/.oar-nxc/machines-g5k-nfs-store").read_text() == "oarnode2\noarnode3\n"
    assert deployment(compositions) == {"10.213.0.12": ("node", "node1"), "10.213.0.13": ("server", "server")}
    assert netns_state("oarnode2")["role"] == "node"
    assert netns_state("oarnode3")["role"] == "server"
    assert netns_state("oarnode1")["role"] == "frontend"  # left out: nxc does not touch it
    # the same reservation, and nothing else, still holds the nodes
    assert oar_jobs() == {str(reservation.job_id): "Running"}
    report = json.loads((compositions / "master/.oar-nxc/reports/report.json").read_text())
    assert report["submit_host"] == "server"  # no frontend in this deployment: oarsub runs on the server
    assert report["addresses"] == ["oarnode2"]
    assert report["summary"] == {"passed": 7, "failed": 0, "skipped": 0}


def test_too_few_machines_is_refused_before_deploying(three: tuple[tb.Reservation, Path]) -> None:
    reservation, compositions = three
    before = (compositions / "master/deploy/composition::g5k-nfs-store.json").read_bytes()
    refused = playbook("redeploy.yml", inventory=reservation.nodefile, compositions=compositions,
                       env={"OAR_NXC_NODES": "2"})
    assert refused.rc == 2
    assert refused.failures() == [
        "oar.nxc.nxc_deploy : Start the composition with nxc (-f g5k-nfs-store) @ localhost: "
        "master needs 4 hosts (frontend, node1, "
        "node2, server) but 2 machine(s) are selected: oarnode1, oarnode2. Reserve more nodes, select more of them "
        "(the oar_nxc plugin's nodes/exclude, OAR_NXC_NODES/OAR_NXC_EXCLUDE), or give fewer hosts to a role with "
        'oar_nxc_roles (role variable nxc_deploy_roles), e.g. {"node": 1}']
    assert (compositions / "master/deploy/composition::g5k-nfs-store.json").read_bytes() == before


def test_limit_is_refused_before_anything_runs(three: tuple[tb.Reservation, Path]) -> None:
    reservation, compositions = three
    before = (compositions / "master/deploy/composition::g5k-nfs-store.json").read_bytes()
    refused = playbook("redeploy.yml", "-l", "oar_nodes[0:1]", inventory=reservation.nodefile,
                       compositions=compositions)
    assert refused.rc == 2
    assert refused.plays() == ["Check the controller and the inventory"]
    assert refused.failures() == [
        "Check ansible-core, the inventory, the flavour and its collections @ oarnode1: --limit 'oar_nodes[0:1]': "
        "choose the machines with the oar_nxc plugin instead, OAR_NXC_NODES=N (the first N) and "
        "OAR_NXC_EXCLUDE=pattern,... in the environment (or nodes:/exclude: in a `plugin: oar.nxc.oar_nxc` config; "
        "oar-nxc --nodes/--exclude). A limit would also leave out localhost, where nxc runs, and the hosts nxc "
        "deploys, which join the inventory during the run."]
    assert (compositions / "master/deploy/composition::g5k-nfs-store.json").read_bytes() == before
