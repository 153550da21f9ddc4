# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Lookup: the nxc flavours and their settings, from the oar_nxc core (written once there)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: flavours
short_description: The nxc flavours oar.nxc deploys, and what changes with each
version_added: "1.0.0"
description:
  - Returns one mapping, flavour name to its settings, from the oar_nxc core (C(oar_nxc.formats.flavours)),
    the one place the flavours are written. The playbooks read it as C(oar_nxc_flavours).
  - "Settings: C(local) (no reserved machines), C(nix_install_method), C(deploy_timeout),
    C(remote_deployment_info), C(answer_prompt), C(background) (nxc start holds VMs in the
    foreground), C(kexec) (nxc start reboots each machine with one ssh command, launched in the background by
    M(oar.nxc.nxc_start)), C(collections) (needed by the flavour's hosts)."
options:
  _terms:
    description: Flavour names; none for every flavour.
    required: false
author:
  - oar-nxc developers (@oar-nxc)
"""

EXAMPLES = r"""
- name: Show the deploy timeout of g5k-image
  ansible.builtin.debug:
    msg: "{{ lookup('oar.nxc.flavours')['g5k-image'].deploy_timeout }}"
"""

RETURN = r"""
_raw:
  description: One mapping, flavour name to settings (only the flavours asked for, if any).
  type: list
  elements: dict
"""

from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.oar.nxc.plugins.plugin_utils import core


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
        core.require(AnsibleLookupError)
        from oar_nxc.plugin_api import flavours

        table = flavours.table()
        for term in terms:
            problem = flavours.unknown(term)
            if problem:
                raise AnsibleLookupError(problem)
        return [{t: table[t] for t in terms} if terms else table]
