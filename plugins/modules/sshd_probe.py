#!/usr/bin/python
# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Documentation of the sshd_probe action (plugins/action/sshd_probe.py); it runs on the controller."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sshd_probe
short_description: Wait until a host's sshd answers, from the controller
version_added: "1.1.0"
description:
  - Connects from the controller to O(host) on O(port) and reads the first bytes, which an sshd starts with
    (C(SSH-)). No connection to the host is opened and no module is sent; each probe costs a TCP connection.
  - A port that refuses or answers otherwise is asked again every quarter of a second until O(timeout); a hung
    name lookup is bounded by O(timeout) too.
  - "Run it in a play over the hosts to probe (C(hosts: ...)): the hosts are probed in parallel, with forks. The
    C(oar_smoke) role's C(node) entry point probes each compute node's OAR sshd (port 6667) with it."
  - Fails when nothing answers in time, naming the address, the port and the last error.
options:
  host:
    description: The name or address to connect to (the host's C(ansible_host)).
    type: str
    required: true
  port:
    description: The TCP port.
    type: int
    default: 22
  timeout:
    description: Seconds to wait for an answer, all attempts included.
    type: float
    default: 10
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - oar.nxc.attributes
"""

EXAMPLES = r"""
- name: Probe each compute node's OAR sshd
  hosts: role_node
  gather_facts: false
  tasks:
    - name: Probe the node's OAR sshd
      oar.nxc.sshd_probe:
        host: "{{ ansible_host | default(inventory_hostname) }}"
        port: 6667
        timeout: 10
      register: oar_smoke_node_sshd
      failed_when: false
"""

RETURN = r"""
answered:
  description: Whether an sshd answered in time.
  returned: always
  type: bool
address:
  description: The address connected to (O(host) resolved).
  returned: always
  type: str
port:
  description: O(port).
  returned: always
  type: int
elapsed:
  description: Seconds waited.
  returned: always
  type: float
error:
  description: The last attempt's error (C(connection refused), C(no answer within 10 s), ...).
  returned: failure
  type: str
msg:
  description: Why nothing answered (the address, the port and the last error).
  returned: failure
  type: str
"""
