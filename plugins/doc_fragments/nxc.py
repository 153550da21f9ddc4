# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""The options of the oar.nxc modules and actions that run nxc (extends_documentation_fragment)."""

from __future__ import annotations


class ModuleDocFragment:
    # oar.nxc.nxc: which nxc runs, for which flavour, in which environment
    DOCUMENTATION = r"""
options:
  flavour:
    description: The nxc flavour (C(ansible-doc -t lookup oar.nxc.flavours) says what each one deploys).
    type: str
    required: true
    choices: [docker, g5k-image, g5k-nfs-store, g5k-ramdisk, nspawn, vm, vm-ramdisk]
  nxc:
    description: The nxc command.
    type: str
    default: nxc
  environment:
    description: Environment variables for nxc (nxc start needs C(USER); PATH, NIX_PATH, ...).
    type: dict
    default: {}
"""
