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
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Nothing runs; the result says what would run and why.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

    # oar.nxc.attributes.controller: an action that runs once per task on the controller
    CONTROLLER = r"""
options: {}
attributes:
  bypass_host_loop:
    description: Forces a 'global' task that does not execute per host, this bypasses per host templating and serial,
      throttle and other loop considerations.
    support: full
    details: The action runs once per task on the controller, for the hosts it is given.
"""
