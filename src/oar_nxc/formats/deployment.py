"""nxc deployment files: ``<envdir>/deploy/<composition>::<flavour>[::<tag>].json``.

nixos-compose 0.7.11 writes two shapes:

* IP-keyed (vm, vm-ramdisk, g5k-ramdisk, g5k-nfs-store, g5k-image, nspawn):
  ``deployment`` maps an IPv4 address to ``{role, host, toplevel|init[, vm_id]}``;
* docker: ``deployment`` maps the host name to ``{role}``, with ``nodes`` and
  ``docker-compose-file`` beside it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from oar_nxc.errors import SourceError
from oar_nxc.formats import flavours, reading
from oar_nxc.formats.names import host_name_problem, is_ipv4, quoted

VM_SSH_BASE_PORT = 22021
MAX_PORT = 65535
_ROLE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,62}", re.ASCII)
# docker compose project names (the directory of docker-compose-file): what `docker compose` accepts
_PROJECT_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Node:
    """One deployed host, named by its nxc host name."""

    host: str
    role: str
    address: str
    connection: str  # "ssh" or "docker"
    ssh_host: str | None = None
    ssh_port: int | None = None
    vm_id: int | None = None
    container: str | None = None
    key: str = field(default="", compare=False)  # its entry in the file, for error messages


@dataclass(frozen=True, slots=True)
class Deployment:
    """A parsed deployment file."""

    path: str
    composition: str | None
    flavour: str | None
    tag: str | None
    nodes: tuple[Node, ...]
    user: str | None = None
    ssh_key_pub: str | None = None
    compose_file: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def roles(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for node in self.nodes:
            out.setdefault(node.role, []).append(node.host)
        return out


def file_name(composition: str, flavour: str, tag: str | None = None) -> str:
    """The name nxc gives a deployment file (and, without ``.json``, a build): ``<composition>::<flavour>[::<tag>]``.

    ``composition`` is nxc's composition name, the stem of nxc.json's ``composition`` file."""
    return "::".join([composition, flavour] + ([tag] if tag else [])) + ".json"


def split_name(path: str) -> tuple[str | None, str | None, str | None]:
    """``deploy/<composition>::<flavour>[::<tag>].json`` -> (composition, flavour, tag)."""
    base = os.path.basename(path)
    if base.endswith(".json"):
        base = base[: -len(".json")]
    parts = base.split("::")
    if len(parts) in (2, 3) and all(parts):
        tag = parts[2] if len(parts) == 3 else None
        return parts[0], parts[1], tag
    return None, None, None


def _obj(value: Any, source: str, key: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SourceError(source, f"{what} must be a JSON object, not {type(value).__name__}", key=key)
    return value


def _str(entry: dict[str, Any], name: str, source: str, key: str) -> str:
    value = entry.get(name)
    if value is None:
        raise SourceError(source, f"missing '{name}' in deployment entry", key=f"{key}.{name}")
    if not isinstance(value, str) or not value:
        raise SourceError(source, f"'{name}' must be a non-empty string", key=f"{key}.{name}")
    return value


def _role(entry: dict[str, Any], source: str, key: str) -> str:
    role = _str(entry, "role", source, key)
    if not _ROLE_RE.fullmatch(role):
        raise SourceError(source, f"role {reading.excerpt(role)} is not a valid role name (a letter or _, then "
                                  "letters, digits, _ or -)", key=f"{key}.role")
    return role


def _host(value: str, source: str, key: str) -> str:
    problem = host_name_problem(value)
    if problem is not None:
        raise SourceError(source, problem, key=key)
    return value


def parse_data(data: Any, source: str, *, flavour: str | None = None) -> Deployment:
    """Build a Deployment from decoded JSON. ``flavour`` overrides the file name's."""
    top = _obj(data, source, "(top level)", "a deployment file")
    composition, name_flavour, tag = split_name(source)
    if flavour is None and name_flavour is not None and name_flavour not in flavours.NAMES:
        raise SourceError(source, f"the file name says flavour {reading.excerpt(name_flavour)}, which nxc does not "
                                  f"have (one of {', '.join(flavours.NAMES)})")
    flavour = flavour or name_flavour
    if "deployment" not in top:
        raise SourceError(source, "missing 'deployment' map: not an nxc deployment file", key="deployment")
    entries = _obj(top["deployment"], source, "deployment", "'deployment'")
    if not entries:
        raise SourceError(source, "'deployment' is empty: no host was deployed", key="deployment")

    compose_file = top.get("docker-compose-file")
    docker = flavour == "docker" or (flavour is None and compose_file is not None)
    if docker:
        flavour = flavour or "docker"
    elif flavour is None and any(isinstance(e, dict) and "vm_id" in e for e in entries.values()):
        flavour = "vm"
    project = "docker"
    if docker and compose_file is not None:
        if not isinstance(compose_file, str):
            raise SourceError(source, "must be a string (a path)", key="docker-compose-file")
        project = os.path.basename(os.path.dirname(compose_file))
        if not _PROJECT_RE.fullmatch(project):
            raise SourceError(source, f"its directory {reading.excerpt(project)} is not a docker compose project name "
                                      "(lower-case letters, digits, _ and -, not first)", key="docker-compose-file")

    nodes: list[Node] = []
    seen: dict[str, str] = {}
    for address, raw in entries.items():
        key = f"deployment.{address if len(address) <= 64 else address[:64] + '…'}"
        entry = _obj(raw, source, key, "a deployment entry")
        role = _role(entry, source, key)
        if docker:
            host = _host(address, source, key)
            node = Node(host=host, role=role, address=host, connection="docker",
                        container=f"{project}-{host}-1")
        else:
            if not is_ipv4(address):
                raise SourceError(source, f"{quoted(address)} is not an IPv4 address (this flavour keys hosts by IP)",
                                  key=key)
            host = _host(_str(entry, "host", source, key), source, f"{key}.host")
            if flavour in flavours.VM:
                vm_id = entry.get("vm_id")
                if not isinstance(vm_id, int) or isinstance(vm_id, bool) or vm_id < 0:
                    raise SourceError(source, "a vm entry needs an integer 'vm_id'", key=f"{key}.vm_id")
                if VM_SSH_BASE_PORT + vm_id > MAX_PORT:
                    raise SourceError(source, f"vm_id {vm_id} gives ssh port {VM_SSH_BASE_PORT + vm_id}, beyond "
                                              f"{MAX_PORT}", key=f"{key}.vm_id")
                node = Node(host=host, role=role, address=address, connection="ssh", ssh_host="127.0.0.1",
                            ssh_port=VM_SSH_BASE_PORT + vm_id, vm_id=vm_id)
            else:
                node = Node(host=host, role=role, address=address, connection="ssh", ssh_host=address)
        node = replace(node, key=f"{key}.host" if not docker else key)
        if host in seen:
            raise SourceError(source, f"host '{host}' appears twice (also at {seen[host]})", key=key)
        seen[host] = address
        nodes.append(node)

    user = top.get("user") if isinstance(top.get("user"), str) else None
    pub = top.get("ssh_key.pub") if isinstance(top.get("ssh_key.pub"), str) else None
    if composition is None and isinstance(top.get("composition"), str):
        composition = top["composition"]
    raw_params = top.get("parameters")
    params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
    return Deployment(path=source, composition=composition, flavour=flavour, tag=tag, nodes=tuple(nodes),
                      user=user, ssh_key_pub=pub, compose_file=compose_file if docker else None,
                      parameters=params)


def parse_text(text: str, source: str, *, flavour: str | None = None) -> Deployment:
    """Parse deployment JSON text, strictly (:func:`oar_nxc.formats.reading.loads_json`)."""
    return parse_data(reading.loads_json(text, source), source, flavour=flavour)


def parse_bytes(data: bytes, source: str, *, flavour: str | None = None) -> Deployment:
    return parse_text(reading.decode(data, source), source, flavour=flavour)


def load(path: str | os.PathLike[str], *, flavour: str | None = None) -> Deployment:
    source = os.fspath(path)
    return parse_bytes(reading.read_bytes(source, "deployment file"), source, flavour=flavour)


def find(envdir: str | os.PathLike[str], *, tag: str | None = None) -> str:
    """The newest ``deploy/*::*.json`` of an nxc envdir (by ctime, as nxc picks it), optionally by tag."""
    root = os.fspath(envdir)
    deploy_dir = Path(root) / "deploy"
    if not deploy_dir.is_dir():
        raise SourceError(root, "no 'deploy' directory: nothing was deployed from this nxc envdir yet")
    candidates = [p for p in deploy_dir.glob("*::*.json") if p.is_file()]
    if tag is not None:
        candidates = [p for p in candidates if split_name(str(p))[2] == tag]
    if not candidates:
        what = f"with tag '{tag}' " if tag is not None else ""
        raise SourceError(str(deploy_dir), f"no deployment file {what}(<composition>::<flavour>[::<tag>].json)")
    return str(max(candidates, key=lambda p: (p.stat().st_ctime, p.name)))
