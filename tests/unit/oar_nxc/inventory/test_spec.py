from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from oar_nxc.errors import ConfigError, SourceError
from oar_nxc.formats import deployment, nodefile
from oar_nxc.inventory.spec import RELAXED_SSH_ARGS, Options, describe, group_name

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
RAMDISK = FIXTURES / "deployments" / "composition::g5k-ramdisk.json"


def test_group_names_are_identifiers() -> None:
    assert group_name("cluster", "dahu") == "cluster_dahu"
    assert group_name("role", "oar-server") == "role_oar_server"
    assert group_name("oar_job", 42) == "oar_job_42"


def test_nodefile_hosts_vars_and_groups() -> None:
    nf = nodefile.parse_text("dahu-3.grenoble.grid5000.fr\n" * 2 + "node9\n", "/x/OAR.5.stdout", job_id=5)
    spec = describe(nf)
    assert spec.hosts == {
        "dahu-3.grenoble.grid5000.fr": {"oar_cores": 2, "oar_nodefile": "/x/OAR.5.stdout", "oar_job_id": 5,
                                        "g5k_cluster": "dahu", "g5k_site": "grenoble"},
        "node9": {"oar_cores": 1, "oar_nodefile": "/x/OAR.5.stdout", "oar_job_id": 5},
    }
    assert spec.groups == {
        "oar_nodes": ["dahu-3.grenoble.grid5000.fr", "node9"],
        "cluster_dahu": ["dahu-3.grenoble.grid5000.fr"],
        "site_grenoble": ["dahu-3.grenoble.grid5000.fr"],
        "oar_job_5": ["dahu-3.grenoble.grid5000.fr", "node9"],
    }


def test_deployment_groups_never_equal_host_names() -> None:
    spec = describe(deployment=deployment.load(RAMDISK))
    assert list(spec.hosts) == ["frontend", "node1", "node2", "server"]
    assert spec.groups == {
        "nxc_nodes": ["frontend", "node1", "node2", "server"],
        "role_frontend": ["frontend"],
        "role_node": ["node1", "node2"],
        "role_server": ["server"],
    }
    assert spec.hosts["server"] == {
        "nxc_role": "server", "nxc_flavour": "g5k-ramdisk", "nxc_composition": "composition",
        "nxc_address": "10.16.0.10", "nxc_deployment_file": str(RAMDISK), "ansible_user": "root",
        "ansible_python_interpreter": "/run/current-system/sw/bin/python3", "ansible_host": "10.16.0.10",
        "ansible_ssh_common_args": RELAXED_SSH_ARGS,
    }


def test_strict_host_keys_and_private_key_options() -> None:
    spec = describe(deployment=deployment.load(RAMDISK),
                    options=Options(relax_host_key_checking=False, private_key_file="/k/id"))
    assert "ansible_ssh_common_args" not in spec.hosts["frontend"]
    assert spec.hosts["frontend"]["ansible_ssh_private_key_file"] == "/k/id"


def test_nodefile_and_deployment_give_oar_machine() -> None:
    nf = nodefile.parse_text("dahu-1.grenoble.grid5000.fr\n" * 4 + "dahu-2.grenoble.grid5000.fr\n"
                             "10.16.0.9\ntroll-1.grenoble.grid5000.fr\n", "/x/OAR.9.stdout", job_id=9)
    addresses = {"dahu-1.grenoble.grid5000.fr": "10.16.0.7", "dahu-2.grenoble.grid5000.fr": "10.16.0.8",
                 "troll-1.grenoble.grid5000.fr": "10.16.0.10"}
    spec = describe(nf, deployment.load(RAMDISK), resolve=lambda name: addresses.get(name, name))
    assert [(h, spec.hosts[h].get("oar_machine")) for h in ("frontend", "node1", "node2", "server")] == [
        ("frontend", "dahu-1.grenoble.grid5000.fr"), ("node1", "dahu-2.grenoble.grid5000.fr"),
        ("node2", "10.16.0.9"), ("server", "troll-1.grenoble.grid5000.fr")]
    assert spec.hosts["frontend"]["oar_job_id"] == 9
    assert spec.hosts["frontend"]["g5k_cluster"] == "dahu"
    assert spec.groups["oar_nodes"] == ["dahu-1.grenoble.grid5000.fr", "dahu-2.grenoble.grid5000.fr", "10.16.0.9",
                                        "troll-1.grenoble.grid5000.fr"]
    assert spec.groups["cluster_dahu"] == ["dahu-1.grenoble.grid5000.fr", "dahu-2.grenoble.grid5000.fr"]


def test_subset_options() -> None:
    nf = nodefile.parse_text("a\nb\nc\nd\n", "nf")
    assert list(describe(nf, options=Options(nodes=2, exclude=("a",))).hosts) == ["b", "c"]
    dep = deployment.load(RAMDISK)
    assert list(describe(deployment=dep, options=Options(exclude=("node*",))).hosts) == ["frontend", "server"]


def test_same_name_as_machine_and_nxc_host_is_an_error() -> None:
    nf = nodefile.parse_text("node1\n", "nf")
    with pytest.raises(ConfigError, match="host 'node1' is both a reserved machine of nf and an nxc host"):
        describe(nf, deployment.load(RAMDISK), resolve=lambda _: None)


def test_host_named_like_a_group_is_an_error() -> None:
    with pytest.raises(SourceError) as err:
        describe(nodefile.parse_text("node1\noar_nodes\n", "nf"))
    assert str(err.value) == ("nf:2: host 'oar_nodes' has the name of one of this inventory's groups; Ansible cannot "
                              "have both: rename the host or the role")


def test_nothing_to_describe() -> None:
    with pytest.raises(ConfigError, match="nothing to describe"):
        describe()


def test_the_live_job_gives_cores_properties_and_membership() -> None:
    """OAR.<id>.stdout lists hosts only; the recorded oarstat answers of the testbed's job add the rest."""
    from oar_nxc.formats.nodefile import parse_text
    from oar_nxc.inventory.spec import add_job
    from oar_nxc.oar import jobs as oarjob

    live = Path(__file__).resolve().parents[3] / "fixtures" / "oar" / "live"
    stdout = dataclasses.replace(parse_text("oarnode1\noarnode2\noarnode9\n", "/x/OAR.1.stdout", job_id=1),
                                 per_core=False)
    spec = describe(stdout)
    assert [spec.hosts[h]["oar_cores"] for h in ("oarnode1", "oarnode2", "oarnode9")] == [None, None, None]
    job = oarjob.parse_job((live / "oarstat-f-J-running-2.5.9.json").read_text(), 1)
    machines = oarjob.machines_of(oarjob.parse_properties((live / "oarstat-p-running-2.5.9.txt").read_text(), "p"))
    add_job(spec, dataclasses.replace(job, machines=machines), now=job.started + 600)  # type: ignore[operator]
    assert spec.group_vars == {"oar_job_1": {"oar_job": {
        "id": 1, "state": "Running", "owner": "oartest", "walltime": 1800, "started": 1795808920,
        "ends": 1795810720, "remaining": 1200, "oar": "2.5"}}}
    assert {h: (v["oar_cores"], v["oar_in_job"], v.get("oar_properties", {}).get("cluster"))
            for h, v in spec.hosts.items()} == {
        "oarnode1": (2, True, "alpha"), "oarnode2": (2, True, "beta"), "oarnode9": (None, False, None)}
