# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Action: add one deployed host to the in-memory inventory with all its variables as given.

ansible.builtin.add_host takes host variables as separate arguments, so a role had to list them
by hand, and a variable added to the oar_nxc core reached ansible-inventory but not a running
play. This action takes them as one dict (``host_vars``), as the core's export gives them, so the
hosts a play adds after ``nxc start`` are the plugin's hosts, variable for variable.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleActionFail
from ansible_collections.oar.nxc.plugins.plugin_utils.action import OarNxcAction


class ActionModule(OarNxcAction):
    NAME = "nxc_add_host"
    NEEDS_CORE = False
    BYPASS_HOST_LOOP = True  # once per task (per loop item), like add_host

    def act(self, args: dict[str, Any], task_vars: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        name, groups, host_vars = args["name"], args["groups"], args["host_vars"]
        if not name:
            raise AnsibleActionFail("nxc_add_host: 'name' must be a non-empty string")
        # ansible-core < 2.21: the strategy adds the host from the result's add_host
        result.update(changed=False, add_host={"host_name": name, "groups": groups, "host_vars": dict(host_vars)})
        adder = getattr(self, "add_host", None)
        if callable(adder):  # 2.21+: the strategy no longer reads add_host; the action adds it itself
            adder(name, host_vars=dict(host_vars), parent_group_names=list(groups))
        return result
