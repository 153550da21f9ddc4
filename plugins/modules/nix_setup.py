#!/usr/bin/python
# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Ansible module: find a suitable nix, say how it would be installed, configure it for nxc."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nix_setup
short_description: Find a suitable nix for nxc, or say how to install it; enable the features nxc needs
version_added: "1.1.0"
description:
  - Looks for C(nix) in C(~/.local/bin), C(~/.nix-profile/bin) (where the C(nxc-helper) and C(official) methods put
    it), then on C($PATH), and reads C(nix --version).
  - When it is at least O(min_version), writes the C(experimental-features) line of C(~/.config/nix/nix.conf)
    (other lines kept) and returns RV(install)=false.
  - Otherwise returns RV(install)=true and the command of O(method) in RV(plan), for the caller to run (the
    C(oar.nxc.nix_install) role includes the method's tasks); with O(required) it fails instead, naming what it
    found.
  - Check mode changes nothing and returns the same decision.
options:
  min_version:
    description: The oldest nix that counts as suitable (flakes need 2.4).
    type: str
    default: "2.4"
  method:
    description: How nix would be installed, for RV(plan).
    type: str
    choices: [package, official, nxc-helper]
    default: package
  package:
    description: The distribution package of the C(package) method.
    type: str
    default: nix-bin
  official_url:
    description: The installer script of the C(official) method.
    type: str
    default: https://nixos.org/nix/install
  official_daemon:
    description: Multi-user install with the C(official) method.
    type: bool
    default: false
  nxc:
    description: The nxc command of the C(nxc-helper) method.
    type: str
    default: nxc
  experimental_features:
    description: The features written to C(~/.config/nix/nix.conf).
    type: list
    elements: str
    default: [nix-command, flakes]
  required:
    description: Fail when no suitable nix is found (after an install).
    type: bool
    default: false
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - oar.nxc.attributes
  - oar.nxc.attributes.local_first
"""

EXAMPLES = r"""
- name: Find nix
  oar.nxc.nix_setup:
    method: package
  register: nix

- name: Install the distribution's nix
  ansible.builtin.apt:
    name: nix-bin
  when: nix.install
"""

RETURN = r"""
install:
  description: Whether no suitable nix was found (the caller installs it).
  returned: always
  type: bool
nix:
  description: The nix found (path), empty when none.
  returned: always
  type: str
version:
  description: Its C(nix --version) line, empty when none.
  returned: always
  type: str
nix_conf:
  description: The nix.conf written (or that would be).
  returned: when a suitable nix is found
  type: str
plan:
  description: The step as C(oar-nxc plan) shows it (step, command, run, why).
  returned: always
  type: dict
"""

import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.oar.nxc.plugins.module_utils import nix as nix_utils


def _find() -> str:
    dirs = [os.path.join(nix_utils.home(), d) for d in nix_utils.USER_BIN_DIRS]
    dirs += os.environ.get("PATH", "").split(os.pathsep)
    for directory in dirs:
        path = os.path.join(directory, "nix")
        if directory and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return ""


ARGUMENT_SPEC = {
    "min_version": {"type": "str", "default": "2.4"},
    "method": {"type": "str", "default": "package", "choices": list(nix_utils.METHODS)},
    "package": {"type": "str", "default": "nix-bin"},
    "official_url": {"type": "str", "default": "https://nixos.org/nix/install"},
    "official_daemon": {"type": "bool", "default": False},
    "nxc": {"type": "str", "default": "nxc"},
    "experimental_features": {"type": "list", "elements": "str", "default": ["nix-command", "flakes"]},
    "required": {"type": "bool", "default": False},
}


def decide(module: Any) -> tuple[str, str, dict[str, Any]]:
    """Ends the task, unless nix.conf must be written: then its path, its new text and the result
    (run in process on the controller by the module's action, see plugins/plugin_utils/local.py)."""
    p = module.params
    command = nix_utils.install_command(p["method"], p["package"], p["official_url"], p["official_daemon"], p["nxc"])
    nix = _find()
    line = ""
    if nix:
        rc, out, err = module.run_command([nix, "--version"])
        line = (out or err).strip().splitlines()[-1] if (out or err).strip() else f"rc {rc}"
    try:
        suitable = bool(nix) and nix_utils.at_least(nix_utils.version(line), p["min_version"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if not suitable:
        why = f"{nix}: {line}: older than nix {p['min_version']}" if nix else \
            f"no nix in {', '.join('~/' + d for d in nix_utils.USER_BIN_DIRS)} or on $PATH"
        plan = {"step": "nix", "command": command, "run": True, "why": why}
        if p["required"]:
            module.fail_json(msg=f"no suitable nix after the install: {why}", install=True, nix=nix, version=line,
                             plan=plan)
        module.exit_json(changed=False, install=True, nix=nix, version=line, plan=plan)
    conf = os.path.join(nix_utils.home(), ".config", "nix", "nix.conf")
    try:
        with open(conf, encoding="utf-8") as handle:
            before = handle.read()
    except FileNotFoundError:
        before = ""
    except OSError as exc:
        module.fail_json(msg=f"{conf}: {exc.strerror}")
    after = nix_utils.with_features(before, p["experimental_features"])
    changed = after != before
    result = {"changed": changed, "install": False, "nix": nix, "version": line, "nix_conf": conf,
              "plan": {"step": "nix", "command": command, "run": False, "why": f"found {line}"}}
    if not changed or module.check_mode:
        module.exit_json(**result)
    return conf, after, result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    conf, after, result = decide(module)
    os.makedirs(os.path.dirname(conf), mode=0o755, exist_ok=True)
    with open(conf, "w", encoding="utf-8") as handle:
        handle.write(after)
    os.chmod(conf, 0o644)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
