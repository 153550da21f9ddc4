"""oar.nxc.nxc_role asks a host for its role over the host's connection (here the real `local` connection,
on a machine that is no nxc host: /etc/nxc/role is missing) and decides failed, unreachable or a plain
probe from what it read."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.unit.plugins.action.conftest import RunAction

pytestmark = pytest.mark.skipif(Path("/etc/nxc/role").exists(), reason="this machine is an nxc host")
VARS = {"inventory_hostname": "node1", "ansible_host": "10.0.0.3"}
MISSING = "cat /etc/nxc/role: rc 1: cat: /etc/nxc/role: No such file or directory"


def test_a_probe_with_timeout_0_reports_without_failing(action: RunAction) -> None:
    result = action("nxc_role", {"role": "node", "timeout": 0}, VARS)
    assert result.get("failed") is not True and result.get("unreachable") is not True
    assert (result["ok"], result["role"], result["expected"], result["attempts"]) == (False, None, "node", 1)
    assert result["msg"] == f"node1 (10.0.0.3): {MISSING}"
    assert result["ansible_facts"]["nxc_role_probe"] == {
        "host": "node1", "address": "10.0.0.3", "ok": False, "role": None, "expected": "node", "error": MISSING}


def test_a_host_that_answers_without_its_role_fails_after_the_timeout(action: RunAction) -> None:
    start = time.monotonic()
    result = action("nxc_role", {"role": "node", "timeout": 2, "sleep": 1}, VARS)
    took = time.monotonic() - start
    assert (result["failed"], result.get("unreachable")) == (True, None)
    assert result["msg"] == f"node1 (10.0.0.3) does not report its role after 2 s: {MISSING}"
    assert result["attempts"] == 2 and 1 <= took < 4, (result["attempts"], took)
