#!/usr/bin/python
# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Documentation of the nxc_add_host action (plugins/action/nxc_add_host.py); it runs on the controller."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nxc_add_host
short_description: Add a deployed nxc host to the in-memory inventory, with all its variables
version_added: "1.0.0"
description:
  - Like M(ansible.builtin.add_host), but the host variables come as one mapping, O(host_vars), as the
    oar_nxc core describes a deployed host (the same function as the oar.nxc.oar_nxc inventory plugin).
    A variable the core gives a host reaches the running play without being listed in a role.
  - Runs once per task or loop item, on the controller; does not connect to any host.
options:
  name:
    description: The host name.
    type: str
    required: true
  groups:
    description: The groups of the host (a list, or a comma-separated string).
    type: list
    elements: str
    default: []
  host_vars:
    description: The host's variables.
    type: dict
    default: {}
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - oar.nxc.attributes
  - oar.nxc.attributes.controller
"""

EXAMPLES = r"""
- name: Add the deployed hosts to the inventory
  oar.nxc.nxc_add_host:
    name: "{{ item.name }}"
    groups: "{{ item.groups }}"
    host_vars: "{{ item.vars }}"
  loop: "{{ deployment.hosts }}"
"""

RETURN = r"""
add_host:
  description: The host, its groups and variables, as Ansible's strategy adds them to the inventory.
  returned: always
  type: dict
"""
