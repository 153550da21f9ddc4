# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""The attributes the oar.nxc modules and actions share (extends_documentation_fragment)."""

from __future__ import annotations


class ModuleDocFragment:
    # oar.nxc.attributes: full check mode (the result says what would run), no diff
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

    # oar.nxc.attributes.controller: an action that runs once per task on the controller
    CONTROLLER = r"""
options: {}
attributes:
  bypass_host_loop:
    support: full
"""
