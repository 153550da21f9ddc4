#!/usr/bin/python
# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Ansible module: the nixos-compose version of a virtual environment, and whether pip must run."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nxc_version
short_description: Read the nixos-compose version of a virtual environment, and say whether to install it
version_added: "1.1.0"
description:
  - Runs C(<venv>/bin/nxc --version) when it exists and compares it with O(version).
  - Returns RV(install) (the caller runs pip when true) and RV(plan), the step as C(oar-nxc plan) shows it,
    so that a dry run before anything is installed says what it would install.
  - With O(required) it fails unless the wanted version is there (after the install).
options:
  venv:
    description: The virtual environment of nixos-compose.
    type: path
    required: true
  version:
    description: The wanted version of nixos-compose.
    type: str
    required: true
  python:
    description: The Python that creates the virtual environment (for RV(plan)).
    type: str
    default: python3
  required:
    description: Fail unless the wanted version is installed.
    type: bool
    default: false
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - oar.nxc.attributes
  - oar.nxc.attributes.local_first
"""

EXAMPLES = r"""
- name: Read the installed nxc version
  oar.nxc.nxc_version:
    venv: ~/.local/share/oar-nxc/nxc-venv
    version: "0.7.11"
  register: nxc
"""

RETURN = r"""
install:
  description: Whether the wanted version is missing (the caller installs it).
  returned: always
  type: bool
installed:
  description: The version C(nxc --version) reports, empty when none.
  returned: always
  type: str
nxc:
  description: The nxc command of the virtual environment.
  returned: always
  type: str
plan:
  description: The step as C(oar-nxc plan) shows it (step, command, run, why).
  returned: always
  type: dict
"""

import os
import re
import shlex
from typing import Any

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = {
    "venv": {"type": "path", "required": True},
    "version": {"type": "str", "required": True},
    "python": {"type": "str", "default": "python3"},
    "required": {"type": "bool", "default": False},
}


def decide(module: Any) -> None:
    """The whole module: it only reads (run in process on the controller by its action, see
    plugins/plugin_utils/local.py)."""
    p = module.params
    nxc = os.path.join(p["venv"], "bin", "nxc")
    installed = ""
    if os.access(nxc, os.X_OK):
        rc, out, _err = module.run_command([nxc, "--version"])
        found = re.search(r"version ([0-9][^\s]*)\s*$", out.strip()) if rc == 0 else None
        installed = found.group(1) if found else ""
    install = installed != p["version"]
    command = (f"{shlex.quote(p['python'])} -m venv {shlex.quote(p['venv'])} && "
               f"{shlex.quote(os.path.join(p['venv'], 'bin', 'pip'))} install nixos-compose=={p['version']}")
    why = (f"install nixos-compose {p['version']}: " + (f"{nxc} reports {installed}" if installed else
                                                        f"none in {p['venv']}")) if install \
        else f"nixos-compose {installed} in {p['venv']}"
    result = {"changed": False, "install": install, "installed": installed, "nxc": nxc,
              "plan": {"step": "nxc", "command": command, "run": install, "why": why}}
    if install and p["required"]:
        module.fail_json(msg=f"{nxc} --version gave {installed or 'nothing'}, expected version {p['version']}",
                         **result)
    module.exit_json(**result)


def main() -> None:
    decide(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True))


if __name__ == "__main__":
    main()
