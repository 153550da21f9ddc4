"""oar.nxc.nxc_roles asks every deployed host at once, from the controller, with each host's own variables
(here local hosts, on a machine that is no nxc host: /etc/nxc/role is missing, and an ssh host on a closed
port), and decides failed, unreachable (oar_nxc_exit) or a plain probe from what they said."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.unit.plugins.action.conftest import RunAction

pytestmark = pytest.mark.skipif(Path("/etc/nxc/role").exists(), reason="this machine is an nxc host")
MISSING = "cat /etc/nxc/role: rc 1: cat: /etc/nxc/role: No such file or directory"
LOCAL = {"nxc_role": "node", "ansible_connection": "local", "ansible_host": "10.0.0.3"}
CLOSED = {"nxc_role": "server", "ansible_host": "127.0.0.1", "ansible_port": 1,
          "ansible_ssh_common_args": "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/dev/null"}


def test_a_probe_with_timeout_0_asks_each_host_once_and_never_fails(action: RunAction) -> None:
    hostvars = {"node1": LOCAL, "node2": {**LOCAL, "ansible_host": "10.0.0.4"}}
    result = action("nxc_roles", {"hosts": ["node1", "node2", "node1"], "timeout": 0}, {"hostvars": hostvars})
    assert result.get("failed") is not True
    assert (result["ok"], result["asked"]) == (False, {"node1": 1, "node2": 1})
    assert result["probes"] == [
        {"host": "node1", "address": "10.0.0.3", "ok": False, "role": None, "expected": "node", "error": MISSING},
        {"host": "node2", "address": "10.0.0.4", "ok": False, "role": None, "expected": "node", "error": MISSING}]
    assert result["msg"] == (f"2 of the 2 deployed hosts do not report their role after 0 s: node1 (10.0.0.3): "
                             f"{MISSING}; node2 (10.0.0.4): {MISSING}")


def test_hosts_that_never_answer_make_the_failure_unreachable_within_the_timeout(action: RunAction) -> None:
    started = time.monotonic()
    result = action("nxc_roles", {"hosts": ["node1", "server"], "timeout": 2, "sleep": 1},
                    {"hostvars": {"node1": LOCAL, "server": CLOSED}})
    assert time.monotonic() - started < 8
    assert (result["failed"], result["oar_nxc_exit"]) == (True, "unreachable")
    assert result["msg"].startswith(f"2 of the 2 deployed hosts do not report their role after 2 s: node1 "
                                    f"(10.0.0.3): {MISSING}; server (127.0.0.1): ")
    assert "Connection refused" in result["msg"]
    assert result["asked"]["node1"] >= 2


def test_a_host_that_answers_without_its_role_fails_without_the_unreachable_signal(action: RunAction) -> None:
    result = action("nxc_roles", {"hosts": ["node1"], "timeout": 1, "sleep": 1}, {"hostvars": {"node1": LOCAL}})
    assert result["failed"] is True
    assert "oar_nxc_exit" not in result  # it answered: a failed host (exit 3), not an unreachable one


@pytest.mark.parametrize(("hostvars", "said"), [
    ({}, "host node1: not in the inventory"),
    ({"node1": {"ansible_host": "10.0.0.3"}}, "host node1: no nxc_role (not a deployed host of the oar_nxc plugin "
                                              "or nxc_deploy)"),
    ({"node1": {**LOCAL, "ansible_connection": "winrm"}},
     "host node1: ansible_connection winrm cannot be asked from the controller (ssh, docker or local)"),
])
def test_a_host_that_cannot_be_asked_is_bad_input_before_any_is_asked(action: RunAction, hostvars: dict,
                                                                      said: str) -> None:
    result = action("nxc_roles", {"hosts": ["node1"], "timeout": 0}, {"hostvars": hostvars})
    assert (result["failed"], result["msg"], result["oar_nxc_exit"]) == (True, said, "bad_input")
    assert "probes" not in result


def test_no_host_is_no_work(action: RunAction) -> None:
    result = action("nxc_roles", {"hosts": []}, {"hostvars": {}})
    assert (result.get("failed"), result["ok"], result["probes"]) == (None, True, [])
