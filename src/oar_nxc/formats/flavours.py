"""The nxc flavours oar-nxc deploys, and what changes with each: written here once.

The playbooks read this table through the ``oar.nxc.flavours`` lookup, the preflight checks a
flavour against it, the deployment-file parser and the inventory use its groups, and the tests
check that the modules' argument specs and documentation list the same names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Flavour:
    name: str
    local: bool  # no reserved machines: nxc starts containers or VMs on the controller
    nix_install_method: str  # how nix_install installs nix when none is found
    deploy_timeout: int  # seconds before nxc start is stopped
    remote_deployment_info: bool = False  # serve the deployment file over HTTP (--remote-deployment-info)
    answer_prompt: bool = False  # answer kadeploy's "Do you want to launch kadeploy" prompt
    background: bool = False  # nxc start stays in the foreground while the VMs run
    kexec: bool = False  # nxc start reboots each machine with one ssh command (one_ssh_kexec): launched at once
    collections: tuple[str, ...] = ()  # collections its hosts need (the preflight names a missing one)
    job_types: tuple[str, ...] = ()  # OAR job types its reservation needs (oarsub -t): deploy for kadeploy

    def settings(self) -> dict[str, Any]:
        data = asdict(self)
        data["collections"] = list(self.collections)
        data["job_types"] = list(self.job_types)
        return data


_TABLE = (
    Flavour("docker", local=True, nix_install_method="official", deploy_timeout=600,
            collections=("community.docker",)),
    Flavour("g5k-image", local=False, nix_install_method="nxc-helper", deploy_timeout=1800,
            remote_deployment_info=True, answer_prompt=True, job_types=("deploy",)),
    Flavour("g5k-nfs-store", local=False, nix_install_method="nxc-helper", deploy_timeout=900, kexec=True),
    Flavour("g5k-ramdisk", local=False, nix_install_method="nxc-helper", deploy_timeout=900, kexec=True),
    Flavour("nspawn", local=True, nix_install_method="official", deploy_timeout=600),
    Flavour("vm", local=True, nix_install_method="official", deploy_timeout=600, background=True),
    Flavour("vm-ramdisk", local=True, nix_install_method="official", deploy_timeout=600, background=True),
)
FLAVOURS: dict[str, Flavour] = {f.name: f for f in _TABLE}
NAMES: tuple[str, ...] = tuple(FLAVOURS)  # sorted, as nxc lists them
LOCAL: tuple[str, ...] = tuple(f.name for f in _TABLE if f.local)
G5K: tuple[str, ...] = tuple(n for n in NAMES if n.startswith("g5k-"))
VM: tuple[str, ...] = ("vm", "vm-ramdisk")  # IP-keyed deployment files with vm_id: ssh on 127.0.0.1
DEFAULT = "g5k-nfs-store"


def table() -> dict[str, dict[str, Any]]:
    """Every flavour's settings, as the playbooks read them (``oar_nxc_flavours``)."""
    return {name: flavour.settings() for name, flavour in FLAVOURS.items()}


def unknown(name: object) -> str | None:
    """None for a known flavour, else the message that lists the known ones."""
    if isinstance(name, str) and name in FLAVOURS:
        return None
    return f"unknown flavour '{name}': one of {', '.join(NAMES)}"
