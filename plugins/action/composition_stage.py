# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Action: copy the compositions shipped in the collection into the user's work directory.

Runs on the controller, where the playbooks keep the compositions (oar_nxc.staging does the
work): a composition used in place is left alone; a shipped one is synced into its copy, so
that nxc never writes into the collection.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase
from ansible_collections.oar.nxc.plugins.plugin_utils import core

ARGUMENT_SPEC: dict[str, Any] = {
    "composition": {"type": "str", "required": True},
    "compositions_dir": {"type": "path", "required": True},
    "collection_dir": {"type": "path", "required": True},
    "work_dir": {"type": "path", "required": True},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True  # check mode reports what the sync would write and remove

    def run(self, tmp: Any = None, task_vars: Any = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        core.require()
        from oar_nxc import staging

        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            where = staging.place(args["composition"], args["compositions_dir"], args["collection_dir"],
                                  args["work_dir"])
            written: list[str] = []
            removed: list[str] = []
            if where.source:
                written, removed = staging.stage(where.source, where.root, check=bool(self._task.check_mode))
        except staging.StagingError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        result.update(changed=bool(written or removed), composition_dir=where.directory, root=where.root,
                      source=where.source, staged=bool(where.source), written=written, removed=removed)
        return result
