"""oar.nxc.preflight decides whether a run may start, before anything changes: each refusal names its check,
its exit kind and what to do."""

from __future__ import annotations

import time
from typing import Any

import pytest
from ansible.errors import AnsibleActionFail
from tests.unit.plugins.action.conftest import RunAction

from oar_nxc.plugin_api import flavours

MACHINES = ["dahu-1.grenoble.grid5000.fr", "dahu-2.grenoble.grid5000.fr"]


def inventory(hosts: list[str], *, plugin: bool = True, oar_nodes: list[str] | None = None,
              **extra: Any) -> dict[str, Any]:
    hostvars = {h: ({"oar_cores": 32, "ansible_host": h} if plugin else {"ansible_host": h}) for h in hosts}
    groups = {"all": ["localhost", *hosts], "oar_nodes": hosts if oar_nodes is None else oar_nodes}
    return {"groups": groups, "hostvars": hostvars, **extra}


def args(flavour: str = "g5k-nfs-store", **extra: Any) -> dict[str, Any]:
    # no probe: the job and port findings have tests of their own (tests/unit/oar_nxc)
    return {"flavour": flavour, "flavours": flavours.table(), "machines": True, "probe": False, **extra}


def test_a_reserved_job_with_plugin_hosts_passes(action: RunAction) -> None:
    result = action("preflight", args(), inventory(MACHINES))
    assert result.get("failed") is not True, result
    assert (result["changed"], result["flavour"], result["hosts"], result["findings"]) == (
        False, "g5k-nfs-store", 2, [])
    assert result["msg"].endswith(", flavour g5k-nfs-store, 2 hosts from oar_nxc")


def test_hosts_the_plugin_did_not_read_are_refused_by_name(action: RunAction) -> None:
    result = action("preflight", args(), inventory(["web1", "web2"], plugin=False))
    assert (result["failed"], result["check"], result["oar_nxc_exit"]) == (True, "inventory", "bad_input")
    assert result["msg"].startswith("These hosts carry none of the oar_nxc plugin's variables (oar_cores, "
                                    "nxc_role): web1, web2. ")


def test_more_than_five_foreign_hosts_are_cut_short(action: RunAction) -> None:
    hosts = [f"h{i}" for i in range(8)]
    result = action("preflight", args(), inventory(hosts, plugin=False))
    assert "(oar_cores, nxc_role): h0, h1, h2, h3, h4 .... The inventory" in result["msg"]


def test_an_unknown_flavour_names_the_known_ones(action: RunAction) -> None:
    result = action("preflight", args("g5k-nosuch"), inventory(MACHINES))
    assert (result["check"], result["msg"]) == (
        "flavour", f"oar_nxc_flavour 'g5k-nosuch' is not one of {', '.join(flavours.NAMES)}")


def test_a_limit_is_refused(action: RunAction) -> None:
    result = action("preflight", args(), inventory(MACHINES, ansible_limit="dahu-1*"))
    assert result["check"] == "limit" and result["msg"].startswith("--limit 'dahu-1*': choose the machines")


def test_no_reserved_machine_for_a_machine_flavour(action: RunAction) -> None:
    result = action("preflight", args(), inventory([], oar_nodes=[]))
    assert result["check"] == "inventory"  # nothing from the plugin at all
    result = action("preflight", args(), {"groups": {"all": ["localhost", "node1"], "oar_nodes": []},
                                          "hostvars": {"node1": {"nxc_role": "node"}}})
    assert (result["check"], result["oar_nxc_exit"]) == ("machines", "bad_input")
    assert "the inventory has none: give the job's nodefile" in result["msg"]


@pytest.mark.parametrize("flavour", flavours.LOCAL)
def test_a_local_flavour_needs_no_machine(action: RunAction, flavour: str) -> None:
    collections = flavours.table()[flavour].get("collections", [])
    result = action("preflight", args(flavour), {"groups": {"all": ["localhost"]}, "hostvars": {}})
    if collections:  # docker needs community.docker, which is not installed here
        assert result["check"] == "collections" and collections[0] in result["msg"]
    else:
        assert result.get("failed") is not True and result["hosts"] == 0, result


def test_fewer_machines_than_the_minimum_is_a_reservation_failure(action: RunAction) -> None:
    result = action("preflight", args(min_machines=3), inventory(MACHINES))
    assert (result["check"], result["oar_nxc_exit"]) == ("min_machines", "reservation")
    assert result["msg"].startswith("2 reserved machine(s) selected (dahu-1.grenoble.grid5000.fr, "
                                    "dahu-2.grenoble.grid5000.fr), fewer than the 3 of oar_nxc_min_machines")
    assert action("preflight", args(min_machines=2), inventory(MACHINES)).get("failed") is not True


def test_arguments_are_validated_against_the_documented_options(action: RunAction) -> None:
    with pytest.raises(AnsibleActionFail, match="min_machines"):
        action("preflight", args(min_machines="many"), inventory(MACHINES))
    with pytest.raises(AnsibleActionFail, match="flavours"):
        action("preflight", {"flavour": "docker"}, inventory(MACHINES))


def test_too_little_walltime_left_is_a_reservation_refusal_and_a_warning_under_check(action: RunAction) -> None:
    ends = int(time.time()) + 200
    job = {"id": 7, "state": "Running", "ends": ends}
    hosts = inventory(MACHINES)
    for host in MACHINES:
        hosts["hostvars"][host]["oar_job"] = job
    result = action("preflight", args(min_walltime=900), hosts)
    assert (result["failed"], result["check"], result["oar_nxc_exit"]) == (True, "walltime", "reservation")
    assert result["msg"].startswith("OAR job 7 ends in 3 min ")
    assert "less than the 15 min 00 s of oar_nxc_min_walltime: the run would outlive the job" in result["msg"]
    planned = action("preflight", args(min_walltime=900), hosts, check_mode=True)
    assert planned.get("failed") is not True and planned["warnings"][0] == result["msg"]
    assert action("preflight", args(min_walltime=0), hosts).get("failed") is not True
    # with another refusal beside it, the input is at fault: bad_input
    hosts["hostvars"][MACHINES[1]]["oar_in_job"] = False
    both = action("preflight", args(min_walltime=900), hosts)
    assert (both["check"], both["oar_nxc_exit"]) == ("walltime", "bad_input")


class CountingHostvars(dict[str, Any]):
    """hostvars that count each host's reads (Ansible computes a host's variables again at each one)."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.reads: dict[str, int] = {}

    def __getitem__(self, host: str) -> Any:
        self.reads[host] = self.reads.get(host, 0) + 1
        return super().__getitem__(host)


def test_each_machine_s_variables_are_read_once_and_the_deployed_hosts_not_at_all(action: RunAction) -> None:
    hostvars = CountingHostvars({**{m: {"oar_cores": 32, "ansible_host": m} for m in MACHINES},
                                 "node1": {"nxc_role": "node"}, "stray": {"ansible_host": "stray"}})
    groups = {"all": ["localhost", *MACHINES, "node1", "stray"], "oar_nodes": MACHINES, "nxc_nodes": ["node1", "stray"],
              "role_node": ["node1"]}
    result = action("preflight", args(), {"groups": groups, "hostvars": hostvars})
    # stray is in nxc_nodes but in no role_ group: not a host of the plugin's, its variables are read
    assert (result["check"], hostvars.reads) == ("inventory", {**{m: 1 for m in MACHINES}, "stray": 1})
    assert "(oar_cores, nxc_role): stray. " in result["msg"]
    groups["nxc_nodes"] = ["node1"]
    hostvars = CountingHostvars({h: v for h, v in hostvars.items() if h != "stray"})
    groups["all"].remove("stray")
    result = action("preflight", args(), {"groups": groups, "hostvars": hostvars})
    assert result.get("failed") is not True, result
    assert (result["hosts"], hostvars.reads) == (3, {m: 1 for m in MACHINES})
