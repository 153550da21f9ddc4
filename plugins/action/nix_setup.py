# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Action of oar.nxc.nix_setup: on the controller's local connection its decision runs in process, and the
module runs only to make a change (plugins/plugin_utils/local.py); on any other connection, the module."""

from __future__ import annotations

from ansible_collections.oar.nxc.plugins.plugin_utils.local import LocalFirstAction


class ActionModule(LocalFirstAction):
    NAME = "nix_setup"
