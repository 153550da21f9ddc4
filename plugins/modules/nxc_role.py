#!/usr/bin/python
# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Documentation of the nxc_role action (plugins/action/nxc_role.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nxc_role
short_description: Wait until a deployed host reports the role nxc gave it
version_added: "1.0.0"
description:
  - Reads C(/etc/nxc/role) on the host (written by the image's first boot stage) over the host's own connection,
    without Python on the host (C(cat)), and compares it with O(role). nxc itself ignores the exit status of the
    commands that boot the hosts.
  - "Run it in a play over the deployed hosts (C(hosts: nxc_nodes)): the hosts are checked in parallel, with forks,
    and the slowest host bounds the wait. M(oar.nxc.nxc_roles) asks them all at once from the controller in one task
    instead, which the collection's playbooks use: one Ansible task per host costs the controller more per host."
  - Until O(timeout) it retries, resetting the connection between attempts. A host that answers with another
    role fails; one that never answers is unreachable.
  - With O(timeout=0) it asks once and never fails; the answer is the fact C(nxc_role_probe)
    (C(host), C(address), C(ok), C(role), C(expected), C(error)) that M(oar.nxc.nxc_start) reads in
    O(oar.nxc.nxc_start#module:probes).
options:
  role:
    description: The role the deployment file gives the host (its C(nxc_role)).
    type: str
    required: true
  timeout:
    description: Seconds to wait; 0 asks once.
    type: int
    default: 300
  sleep:
    description: Seconds between attempts.
    type: int
    default: 2
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - oar.nxc.attributes
"""

EXAMPLES = r"""
- name: Wait for each deployed host to report its role
  hosts: nxc_nodes
  gather_facts: false
  tasks:
    - name: Wait for the role
      oar.nxc.nxc_role:
        role: "{{ nxc_role }}"
        timeout: 300
"""

RETURN = r"""
ok:
  description: Whether the host reported O(role).
  returned: always
  type: bool
role:
  description: What the host reported (null when it did not answer).
  returned: always
  type: str
attempts:
  description: How many times the host was asked.
  returned: always
  type: int
elapsed:
  description: Seconds spent.
  returned: always
  type: float
ansible_facts:
  description: C(nxc_role_probe), the answer as M(oar.nxc.nxc_start) reads it.
  returned: always
  type: dict
"""
