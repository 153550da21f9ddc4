#!/usr/bin/python
# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Documentation of the nxc_roles action (plugins/action/nxc_roles.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nxc_roles
short_description: Wait until every deployed host reports the role nxc gave it, asked from the controller at once
version_added: "1.2.0"
description:
  - Reads C(/etc/nxc/role) (written by the image's first boot stage) on every host of O(hosts) from the controller,
    in one task, and compares it with the host's C(nxc_role). nxc itself ignores the exit status of the commands that
    boot the hosts.
  - Each host is asked with its own connection variables as an argument list, never through a shell - C(ssh) with
    C(ansible_host), C(ansible_port), C(ansible_user), C(ansible_ssh_private_key_file), C(ansible_ssh_common_args)
    and C(ansible_ssh_extra_args) (key-based, C(BatchMode=yes)); C(docker exec) for
    C(community.docker.docker); C(cat) for C(local). Another connection is refused, naming the host. Host-key
    checking is what the host's variables say (the C(oar.nxc.oar_nxc) plugin relaxes it for deployed nodes only).
  - ssh connections are shared (C(ControlMaster=auto), C(ControlPersist=60s), sockets in C(~/.ansible/cp), made
    0700), so that a rerun's probe needs no new handshake; a master whose host went away is dropped within 10 s
    (C(ServerAliveInterval=5), C(ServerAliveCountMax=2)). Each socket is named by a digest of the host's whole ssh
    argument list, so only the same settings reuse it. When a socket's path there would be too long for ssh (a deep
    home directory), connections are not shared.
  - While a host's master listens, the question goes through its socket from the controller's worker, in OpenSSH's
    multiplexing protocol, without an C(ssh) process (about 0.4 ms of CPU a host, against 6 to 7 ms for an C(ssh)
    client); otherwise C(ssh) runs, which opens the master or replaces a stale one.
  - At most O(parallel) hosts are asked at a time, each retried until the one shared O(timeout); a host whose turn
    comes after it is still asked once. No Ansible task or worker runs per host, so a play over 128 hosts costs
    about what one over 4 does.
  - A host that answers with another role fails the task; when some host never answered at all, the failure carries
    RV(oar_nxc_exit)=C(unreachable) (C(oar-nxc) exit 4). Every host that did not report is named, with its address
    and error.
  - With O(timeout=0) it asks each host once and never fails; RV(probes) are what M(oar.nxc.nxc_start) reads in
    O(oar.nxc.nxc_start#module:probes).
options:
  hosts:
    description: The deployed hosts to ask (inventory names; each must have C(nxc_role)).
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait for every host, shared; 0 asks each once.
    type: int
    default: 300
  sleep:
    description: Seconds between two attempts on a host.
    type: int
    default: 2
  parallel:
    description: Hosts asked at the same time (at most 256).
    type: int
    default: 64
  connect_timeout:
    description: ssh's C(ConnectTimeout) for each attempt, in seconds.
    type: int
    default: 10
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - oar.nxc.attributes
  - oar.nxc.attributes.controller
"""

EXAMPLES = r"""
- name: Wait for every deployed host to report its role
  oar.nxc.nxc_roles:
    hosts: "{{ groups['nxc_nodes'] }}"
    timeout: 300
"""

RETURN = r"""
ok:
  description: Whether every host reported its role.
  returned: always
  type: bool
probes:
  description: One C(host), C(address), C(ok), C(role) (null when it did not answer), C(expected), C(error) per host,
    in the order of O(hosts).
  returned: always
  type: list
  elements: dict
asked:
  description: How many times each host was asked, by host (not C(attempts), which Ansible keeps for C(until)).
  returned: always
  type: dict
elapsed:
  description: Seconds until the last host's answer.
  returned: always
  type: float
oar_nxc_exit:
  description: V(unreachable) when some host never answered (C(oar-nxc) exit 4); V(bad_input) for a host that cannot
    be asked (no C(nxc_role), an unsupported connection).
  returned: failure
  type: str
"""
