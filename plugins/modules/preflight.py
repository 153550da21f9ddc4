#!/usr/bin/python
# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Documentation of the preflight action (plugins/action/preflight.py); it runs on the controller."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight
short_description: Refuse a run before anything changes, naming why
version_added: "1.0.0"
description:
  - "Checks, in this order, and fails at the first that does not hold: ansible-core is in the collection's
    C(requires_ansible) (meta/runtime.yml); the inventory was built by oar.nxc.oar_nxc (every host carries
    C(oar_cores) or C(nxc_role)); the flavour is known; the collections the flavour needs can be loaded
    (community.docker for docker); with O(machines), a Grid'5000 flavour has reserved machines."
  - A refusal returns RV(oar_nxc_exit)=C(bad_input) and RV(check), which C(oar-nxc) turns into exit code 2.
  - Runs once per task, on the controller; does not connect to any host.
options:
  flavour:
    description: The nxc flavour asked for (C(oar_nxc_flavour)).
    type: str
    required: true
  flavours:
    description: The known flavours and their settings (C(oar_nxc_flavours)); C(local) and C(collections) are read.
    type: dict
    required: true
  machines:
    description:
      - Require reserved machines (C(oar_nodes)) for the flavours that deploy on them.
      - Also refuse a C(--limit) (C(ansible_limit)), which would leave out the controller and the deployed hosts;
        the machines are chosen with the oar_nxc plugin's C(nodes)/C(exclude) (C(OAR_NXC_NODES), C(OAR_NXC_EXCLUDE)).
    type: bool
    default: false
  min_walltime:
    description:
      - With O(machines), refuse when the OAR job of the machines (the inventory's C(oar_job), read live by the
        oar_nxc plugin) ends within this many seconds, as a failure of the reservation (C(oar_nxc_exit=reservation),
        C(oar-nxc) exit 6), since the run would outlive the job. V(0) sets no minimum. In check mode it is a warning.
      - A job that is not C(Running) is refused whatever this says, naming its id and state, and so are machines
        OAR does not list in their job (C(oar_in_job=false)).
    type: int
    default: 900
  min_machines:
    description:
      - With O(machines), refuse fewer selected reserved machines than this (C(oar_nxc_min_machines),
        C(oar-nxc --min-machines)), before anything is built or deployed; C(0) is no minimum.
      - "This refusal returns RV(oar_nxc_exit)=C(reservation) (C(oar-nxc): exit code 6, which a CI job may retry):
        a job that got fewer machines may get more the next time."
    type: int
    default: 0
  probe:
    description:
      - With O(machines), probe the ssh port (22) of every reserved machine at once, before nxc starts, and refuse
        naming each machine that does not answer an ssh banner, with its address and the error.
    type: bool
    default: true
  probe_timeout:
    description: Seconds the whole probe may take; a machine that has not answered by then is named as such.
    type: float
    default: 10
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - oar.nxc.attributes
  - oar.nxc.attributes.controller
"""

EXAMPLES = r"""
- name: Check the controller, the flavour and the inventory
  oar.nxc.preflight:
    flavour: "{{ oar_nxc_flavour }}"
    flavours: "{{ oar_nxc_flavours }}"
    machines: true
"""

RETURN = r"""
check:
  description:
    - The check that refused the run (ansible_core, inventory, flavour, collections, limit, machines, job_state,
      not_in_job, ssh).
  returned: failure
  type: str
oar_nxc_exit:
  description: C(bad_input) when the run is refused; C(reservation) for too few machines (O(min_machines)).
  returned: failure
  type: str
ansible_core:
  description: The ansible-core version checked.
  returned: success
  type: str
hosts:
  description: The number of hosts in the inventory (localhost aside).
  returned: success
  type: int
findings:
  description:
    - What the reservation checks found (C(check), C(message), C(refuse)). In check mode (C(oar-nxc plan)) nothing
      is refused; the findings are listed as warnings.
  returned: success
  type: list
  elements: dict
"""
