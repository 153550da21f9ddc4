"""One naming policy: machines and deployed nodes -> hosts, groups and variables.

The inventory plugin and the roles both call :func:`describe`, so the same sources
always give the same names, groups and variables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from oar_nxc.errors import ConfigError, SourceError
from oar_nxc.formats.deployment import Deployment, Node
from oar_nxc.formats.names import resolve_ipv4
from oar_nxc.formats.nodefile import Machine, Nodefile
from oar_nxc.inventory.selection import matches, select
from oar_nxc.oar.frontend import Frontend
from oar_nxc.oar.jobs import Job

NIXOS_PYTHON = "/run/current-system/sw/bin/python3"
# the deployed hosts' ssh settings: freshly booted images have new host keys, so they are not checked (for these
# hosts only); and the classic curve25519 key exchange is preferred to OpenSSH 9's default post-quantum hybrid
# (sntrup761x25519), which costs about 0.15 s of CPU on each side of every new connection (measured on the
# testbed: 128 machines asked at once took 11 s, both ends on 2 cores). Every OpenSSH since 7.4 has it.
RELAXED_SSH_ARGS = ("-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "
                    "-o KexAlgorithms=curve25519-sha256,curve25519-sha256@libssh.org")
ALL_MACHINES_GROUP = "oar_nodes"
ALL_DEPLOYED_GROUP = "nxc_nodes"
_UNSAFE_GROUP_CHARS = re.compile(r"[^A-Za-z0-9_]")


def group_name(prefix: str, value: str | int) -> str:
    """``cluster_dahu``, ``site_grenoble``, ``role_server``, ``oar_job_42``."""
    return f"{prefix}_{_UNSAFE_GROUP_CHARS.sub('_', str(value))}"


@dataclass(slots=True)
class InventorySpec:
    """Plain hosts, groups and variables, in insertion order."""

    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    group_vars: dict[str, dict[str, Any]] = field(default_factory=dict)
    # what a face should tell the user once (the live job could not be read...)
    notes: list[str] = field(default_factory=list, compare=False)
    _seen: set[tuple[str, str]] = field(default_factory=set, repr=False, compare=False)
    # where each host comes from, for error messages: (file, line or None, key or None)
    origins: dict[str, tuple[str, int | None, str | None]] = field(default_factory=dict, repr=False, compare=False)

    def add(self, host: str, variables: dict[str, Any], groups: Sequence[str],
            origin: tuple[str, int | None, str | None] | None = None) -> None:
        self.hosts.setdefault(host, {}).update(variables)
        if origin is not None:
            self.origins.setdefault(host, origin)
        for group in groups:
            if (group, host) not in self._seen:
                self._seen.add((group, host))
                self.groups.setdefault(group, []).append(host)

    def check_names(self) -> None:
        clash = [host for host in self.hosts if host in self.groups]
        if not clash:
            return
        host = clash[0]
        message = (f"host '{host}' has the name of one of this inventory's groups; Ansible cannot have both: rename "
                   "the host or the role")
        if host in self.origins:
            path, line, key = self.origins[host]
            raise SourceError(path, message, line=line, key=key)
        raise ConfigError(message)


@dataclass(frozen=True, slots=True)
class Options:
    """What the faces may choose. ``job_id`` is used when the nodefile's name carries none."""

    nodes: int | None = None
    exclude: tuple[str, ...] = ()
    job_id: int | None = None
    relax_host_key_checking: bool = True
    private_key_file: str | None = None
    python_interpreter: str = NIXOS_PYTHON
    # read the job from OAR (oarstat): "auto" when oarstat is here, "always" (an error when it
    # cannot be read) or "never"
    live_job: str = "auto"
    properties_file: str | None = None  # $OAR_RESOURCE_PROPERTIES_FILE
    # where OAR's commands run when the job is read: the frontend over ssh, else this machine
    frontend: Frontend | None = None


def _machine_vars(machine: Machine, nodefile: Nodefile, job_id: int | None) -> dict[str, Any]:
    # OAR.<id>.stdout lists each host once: its line count is not the host's core count
    variables: dict[str, Any] = {"oar_cores": machine.cores if nodefile.per_core else None}
    if nodefile.path:
        variables["oar_nodefile"] = os.path.abspath(nodefile.path)
    if job_id is not None:
        variables["oar_job_id"] = job_id
    if machine.g5k is not None:
        variables["g5k_cluster"] = machine.g5k.cluster
        variables["g5k_site"] = machine.g5k.site
    return variables


def _machine_groups(machine: Machine, job_id: int | None) -> list[str]:
    groups = [ALL_MACHINES_GROUP]
    if machine.g5k is not None:
        groups += [group_name("cluster", machine.g5k.cluster), group_name("site", machine.g5k.site)]
    if job_id is not None:
        groups.append(group_name("oar_job", job_id))
    return groups


def _node_vars(node: Node, deployment: Deployment, options: Options) -> dict[str, Any]:
    variables: dict[str, Any] = {
        "nxc_role": node.role,
        "nxc_flavour": deployment.flavour,
        "nxc_composition": deployment.composition,
        "nxc_address": node.address,
        "nxc_deployment_file": os.path.abspath(deployment.path),
        "ansible_user": "root",
        "ansible_python_interpreter": options.python_interpreter,
    }
    if deployment.tag is not None:
        variables["nxc_tag"] = deployment.tag
    if node.connection == "docker":
        variables["ansible_connection"] = "community.docker.docker"
        variables["ansible_host"] = node.container
        variables["nxc_docker_compose_file"] = deployment.compose_file
        return variables
    variables["ansible_host"] = node.ssh_host
    if node.ssh_port is not None:
        variables["ansible_port"] = node.ssh_port
    if node.vm_id is not None:
        variables["nxc_vm_id"] = node.vm_id
    if options.relax_host_key_checking:
        variables["ansible_ssh_common_args"] = RELAXED_SSH_ARGS
    if options.private_key_file:
        variables["ansible_ssh_private_key_file"] = options.private_key_file
    return variables


def describe(nodefile: Nodefile | Sequence[Nodefile] | None = None, deployment: Deployment | None = None,
             options: Options | None = None,
             resolve: Callable[[str], str | None] = resolve_ipv4) -> InventorySpec:
    """Describe the inventory of a nodefile (or several: one job each, for a multi-site experiment),
    a deployment, or both.

    With both, each deployed host gets ``oar_machine``: the reserved machine whose
    address (resolved as nxc resolves machine files) is the host's IP key. The same machine in
    two nodefiles is an error that names both.
    """
    nodefiles = [] if nodefile is None else [nodefile] if isinstance(nodefile, Nodefile) else list(nodefile)
    if not nodefiles and deployment is None:
        raise ConfigError("nothing to describe: give a nodefile, a deployment file, or both")
    options = options or Options()
    spec = InventorySpec()
    owners: dict[str, tuple[Nodefile, int | None]] = {}
    every: list[Machine] = []
    for source in nodefiles:
        source_job = source.job_id if source.job_id is not None or len(nodefiles) > 1 else options.job_id
        for machine in source.machines:
            if machine.name in owners:
                first, first_job = owners[machine.name]
                raise SourceError(source.path or f"OAR job {source_job}", (
                    f"{machine.name} is a machine of OAR job {first_job} ({_where(first, machine.name)}) and of OAR "
                    f"job {source_job} ({_where(source, machine.name)}): the same machine cannot be in two jobs"),
                    line=machine.line or None)
            owners[machine.name] = (source, source_job)
            every.append(machine)
    machines = select(every, [m.name for m in every], nodes=options.nodes, exclude=options.exclude)
    for machine in machines:
        source, job_id = owners[machine.name]
        spec.add(machine.name, _machine_vars(machine, source, job_id), _machine_groups(machine, job_id),
                 origin=(source.path, machine.line or None, None))

    if deployment is not None:
        by_ip: dict[str, Machine] = {}
        for machine in machines:
            address = resolve(machine.name)
            if address is not None:
                by_ip.setdefault(address, machine)
        nodes = list(deployment.nodes)
        if not nodefiles:
            nodes = select(nodes, [n.host for n in nodes], nodes=options.nodes, exclude=options.exclude)
        for node in nodes:
            owner = by_ip.get(node.address)
            if nodefiles and matches(node.host, options.exclude):
                continue
            if node.host in spec.hosts:
                raise ConfigError(
                    f"host '{node.host}' is both a reserved machine of {owners[node.host][0].path or 'an OAR job'} "
                    f"and an nxc host of {deployment.path}; the names must differ")
            variables = _node_vars(node, deployment, options)
            groups = [ALL_DEPLOYED_GROUP, group_name("role", node.role)]
            if owner is not None:
                variables["oar_machine"] = owner.name
                owner_job = owners[owner.name][1]
                if owner_job is not None:
                    variables["oar_job_id"] = owner_job
                if owner.g5k is not None:
                    variables["g5k_cluster"] = owner.g5k.cluster
                    variables["g5k_site"] = owner.g5k.site
            spec.add(node.host, variables, groups, origin=(deployment.path, None, node.key or None))
    spec.check_names()
    return spec


def _where(source: Nodefile, name: str) -> str:
    line = next((m.line for m in source.machines if m.name == name), 0)
    return f"{source.path}, line {line}" if source.path and line else source.path or "from OAR"


def add_job(spec: InventorySpec, job: Job, now: float | None = None) -> None:
    """What OAR knows of the job, on the reserved machines of ``spec``: the group variable ``oar_job``
    (state, owner, walltime, end, time left) on ``oar_job_<id>``; on each machine, when OAR names the
    job's hosts, ``oar_in_job`` and, for the job's machines, the real core count (``oar_cores``) and
    resource properties (``oar_properties``)."""
    group = group_name("oar_job", job.job_id)
    if group not in spec.groups:
        return
    spec.group_vars.setdefault(group, {})["oar_job"] = job.summary(now)
    add_machines(spec, job)


def add_machines(spec: InventorySpec, job: Job) -> None:
    """The job's machines as OAR (or its ``$OAR_RESOURCE_PROPERTIES_FILE``) names them, on the reserved machines
    of ``spec``: ``oar_in_job``, the real core count and the resource properties. A job whose id is not known
    (a properties file read without OAR) is the job of every reserved machine."""
    if job.machines is None:  # OAR 3's JSON names no host
        return
    group = group_name("oar_job", job.job_id) if job.job_id else ALL_MACHINES_GROUP
    of_job = {m.name: m for m in job.machines}
    for host in spec.groups.get(group, ()):
        variables = spec.hosts[host]
        if "oar_cores" not in variables:  # a deployed host
            continue
        machine = of_job.get(host)
        variables["oar_in_job"] = machine is not None
        if machine is None:
            continue
        if machine.cores is not None and variables["oar_cores"] is None:
            variables["oar_cores"] = machine.cores
        if machine.properties:
            variables["oar_properties"] = dict(machine.properties)
