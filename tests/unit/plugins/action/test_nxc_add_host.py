"""oar.nxc.nxc_add_host adds a deployed host with every variable given (on ansible-core 2.21+, where the
action adds the host itself, the real run is tests/integration/test_versions.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from tests.unit.plugins.action.conftest import RunAction


def test_the_result_carries_the_host_its_groups_and_variables(action: RunAction) -> None:
    host_vars = {"ansible_host": "10.0.0.3", "nxc_role": "node", "oar_machine": "dahu-3.grenoble.grid5000.fr"}
    args = {"name": "node1", "groups": ["nxc_nodes", "role_node"], "host_vars": host_vars}
    if hasattr(ActionBase, "add_host"):
        # 2.21+: the action adds the host itself, through the worker's inventory, which only a running play has
        # (tests/integration/test_versions.py runs it there); outside one, ansible-core says so
        with pytest.raises(ReferenceError, match="A required TaskContext context is not active"):
            action("nxc_add_host", args)
        return
    result = action("nxc_add_host", args)
    assert result["changed"] is False
    assert result["add_host"] == {"host_name": "node1", "groups": ["nxc_nodes", "role_node"], "host_vars": host_vars}


def test_an_empty_name_is_refused(action: RunAction) -> None:
    with pytest.raises(AnsibleActionFail, match="'name' must be a non-empty string"):
        action("nxc_add_host", {"name": "", "groups": [], "host_vars": {}})
