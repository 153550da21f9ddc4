# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Action: add one deployed host to the in-memory inventory with all its variables as given.

ansible.builtin.add_host takes host variables as separate arguments, so a role had to list them
by hand, and a variable added to the oar_nxc core reached ansible-inventory but not a running
play. This action takes them as one dict (``host_vars``), as the core's export gives them, so the
hosts a play adds after ``nxc start`` are the plugin's hosts, variable for variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    BYPASS_HOST_LOOP = True  # once per task (per loop item), like add_host
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp: Any = None, task_vars: Any = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        args = self._task.args
        unknown = sorted(set(args) - {"name", "groups", "host_vars"})
        if unknown:
            raise AnsibleActionFail(f"nxc_add_host: unknown argument(s) {', '.join(unknown)}; "
                                    "known: name, groups, host_vars")
        name = args.get("name")
        groups = args.get("groups") or []
        host_vars = args.get("host_vars") or {}
        if not isinstance(name, str) or not name:
            raise AnsibleActionFail("nxc_add_host: 'name' must be a non-empty string")
        if isinstance(groups, str):
            groups = [g.strip() for g in groups.split(",") if g.strip()]
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise AnsibleActionFail(f"nxc_add_host: 'groups' of {name} must be a list of group names")
        if not isinstance(host_vars, Mapping):
            raise AnsibleActionFail(f"nxc_add_host: 'host_vars' of {name} must be a mapping")
        # ansible-core < 2.21: the strategy adds the host from the result's add_host
        result.update(changed=False, add_host={"host_name": name, "groups": groups, "host_vars": dict(host_vars)})
        adder = getattr(self, "add_host", None)
        if callable(adder):  # 2.21+: the strategy no longer reads add_host; the action adds it itself
            adder(name, host_vars=dict(host_vars), parent_group_names=list(groups))
        return result
