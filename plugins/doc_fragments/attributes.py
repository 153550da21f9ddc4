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

    # oar.nxc.attributes.local_first: a module whose decision its action runs on the controller (plugin_utils/local.py)
    LOCAL_FIRST = r"""
options: {}
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the
      controller.
    support: full
    details:
      - On the controller's C(local) connection, without become, async or a task C(environment), the module's
        decision (a read-only test) runs in the controller's process, and the module runs only to make the change
        it decided on. The result is the same; a no-op costs no module process.
      - On any other connection the module runs as usual.
"""
