# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Lookup: the names of the OAR smoke checks, from the oar_nxc core (written once there)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: smoke_checks
short_description: The OAR smoke checks of oar.nxc.oar_smoke, in the order they run
version_added: "1.0.0"
description:
  - Returns the check names from the oar_nxc core (C(oar_nxc.smoke.checks)), the one place they are written.
  - "Kinds: C(gate) (the nodes answer, their resources are Alive; a failed gate skips the job checks),
    C(job) (OAR jobs), C(api) (OAR's REST API)."
options:
  _terms:
    description: Kinds to keep (C(gate), C(job), C(api)); none for every check.
    required: false
author:
  - oar-nxc developers (@oar-nxc)
"""

EXAMPLES = r"""
- name: Show the checks that submit jobs
  ansible.builtin.debug:
    msg: "{{ lookup('oar.nxc.smoke_checks', 'job', wantlist=true) }}"
"""

RETURN = r"""
_raw:
  description: Check names, in order.
  type: list
  elements: str
"""

from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.oar.nxc.plugins.plugin_utils import core


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: Any = None, **kwargs: Any) -> list[str]:
        core.require(AnsibleLookupError)
        from oar_nxc.plugin_api import smoke_checks as smoke

        try:
            return smoke.names(*[str(t) for t in terms])
        except ValueError as exc:
            raise AnsibleLookupError(str(exc)) from None
