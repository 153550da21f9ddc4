# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Action: copy the compositions shipped in the collection into the user's work directory.

Runs on the controller, where the playbooks keep the compositions (oar_nxc.nxc.staging does the
work): a composition used in place is left alone; a shipped one is synced into its copy, so
that nxc never writes into the collection.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.oar.nxc.plugins.plugin_utils import checks
from ansible_collections.oar.nxc.plugins.plugin_utils.action import OarNxcAction


class ActionModule(OarNxcAction):
    NAME = "composition_stage"  # check mode reports what the sync would write and remove

    def act(self, args: dict[str, Any], task_vars: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        from oar_nxc.plugin_api import staging

        try:
            where = staging.place(args["composition"], args["compositions_dir"], args["collection_dir"],
                                  args["work_dir"])
            written: list[str] = []
            removed: list[str] = []
            if where.source:
                written, removed = staging.stage(where.source, where.root, check=bool(self._task.check_mode))
        except staging.StagingError as exc:  # bad input: oar-nxc exits 2
            result.update(failed=True, msg=str(exc), oar_nxc_exit=checks.BAD_INPUT)
            return result
        result.update(changed=bool(written or removed), composition_dir=where.directory, root=where.root,
                      source=where.source, staged=bool(where.source), written=written, removed=removed)
        return result
