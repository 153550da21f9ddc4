# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: oar_nxc
short_description: OAR nodefiles and NixOS-Compose deployment files as an inventory
version_added: "1.0.0"
description:
  - Reads an OAR nodefile (C($OAR_NODEFILE), one line per reserved core), the C(OAR.<jobid>.stdout)
    that C(nxc helper g5k_script) writes (one line per host), an nxc deployment file
    (C(<envdir>/deploy/<composition>::<flavour>[::<tag>].json), every flavour of nixos-compose 0.7.11),
    or a YAML configuration file whose C(plugin) key is C(oar.nxc.oar_nxc) (or the short C(oar_nxc)).
  - The kind of a file passed with C(-i) is detected from its content, so
    C(ansible-playbook deploy.yml -i $OAR_NODEFILE) works from the repository root.
  - "Nodefile hosts are named exactly as written, in first-seen order. Host variables: C(oar_cores) (lines of
    that host in C($OAR_NODEFILE); for C(OAR.<id>.stdout), which lists each host once, the job's count when
    OAR can be asked, else null), C(oar_properties) (the job's resource properties, see O(live_job)),
    C(oar_nodefile), C(oar_job_id) (from C(OAR.<id>.stdout), C(/var/lib/oar/<id>), the
    O(job_id) option or C($OAR_JOB_ID)), and C(g5k_cluster)/C(g5k_site) for Grid'5000 names
    C(<cluster>-<n>[-kavlan-<k>][-<iface>].<site>.grid5000.fr). Groups: C(oar_nodes), C(cluster_<cluster>),
    C(site_<site>) and C(oar_job_<id>)."
  - "Deployed hosts are named by their nxc host name (C(frontend), C(node1), ...). Host variables: C(nxc_role),
    C(nxc_flavour), C(nxc_composition), C(nxc_tag) (when set), C(nxc_address), C(nxc_deployment_file),
    C(ansible_user=root) and the NixOS Python interpreter. Groups: C(nxc_nodes) and C(role_<role>)
    (never equal to a host name: the master composition has a role C(server) and a host C(server))."
  - "Connection by flavour: g5k-* and nspawn flavours use C(ansible_host=<IP>); vm and vm-ramdisk use
    C(ansible_host=127.0.0.1) and C(ansible_port=22021+vm_id); docker uses the C(community.docker.docker)
    connection to container C(<project>-<host>-1) (the collection community.docker, a dependency in galaxy.yml).
    Relaxed host-key checking (freshly booted images) is set on these hosts only, through
    C(ansible_ssh_common_args); the global setting is left alone."
  - With both O(nodefile) and O(deployment), each deployed host also gets C(oar_machine), the reserved machine
    whose address (resolved as nxc resolves machine files) is the host's IP.
  - "Without O(deployment), the deployed hosts that the oar.nxc.nxc_start action recorded for each OAR job of the
    source (C($XDG_STATE_HOME/oar-nxc/jobs/<job id>.json), C(~/.local/state) by default) are added too, with the
    variables and groups the run gave them and C(nxc_deployed_record), the record's path. A record is used only
    when it is that job's, its machines are all among the selected machines, and its deployment file is unchanged
    (same mtime and size); anything else is ignored (C(-vvv) says why)."
  - Bad input (empty or binary file, a line that is not a host name or IPv4 address, a name Ansible reserves,
    JSON without a C(deployment) map, an entry without C(role), a missing file) is an error that names the file
    and the line or key. Only regular files are read, within size limits (a nodefile is streamed); a FIFO or a
    device is refused without blocking.
  - "Once a source is read, the controller's Python objects so far (Ansible's own, the playbook's settings and the
    inventory) are moved out of reach of the cyclic garbage collector (C(gc.collect()), then C(gc.freeze())).
    Ansible forks a worker for each task; each full collection in a worker, and in the run itself, would
    otherwise walk that whole heap again and copy the pages it touches. A no-op rerun at 128 machines took
    0.7 s less (4.3 s instead of 5.0 s, the mean of 3 runs each, testbed, 2026-12-07)."
  - "A source this plugin recognises and refuses stops the run: no other inventory plugin gets to re-read it
    (Ansible would otherwise try C(yaml) or C(script) next, and could run a nodefile whose execute bit is set).
    The message is printed as an Ansible error, and the exit status is 1. A file that only looks like an INI
    inventory is left to the C(ini) plugin when it is enabled."
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: Marks a YAML file as a configuration of this plugin (the short name C(oar_nxc) is accepted too).
    type: str
    choices: [oar.nxc.oar_nxc, oar_nxc]
  nodefile:
    description:
      - OAR nodefile or C(OAR.<id>.stdout) to read (configuration file form only; relative to that file).
      - A list of them for several jobs (one per site, as C(oargridsub) or a multi-site experiment gives). Each
        one's job id comes from its name; the hosts are merged, each with its own C(oar_job_id) and C(g5k_site),
        and the same machine in two jobs is an error that names both.
      - Defaults to C($OAR_NODEFILE).
    type: raw
    env:
      - name: OAR_NODEFILE
  deployment:
    description:
      - nxc deployment file, or an nxc envdir (its newest C(deploy/*::*.json), by ctime, as nxc picks it).
      - Configuration file form only; relative to that file.
    type: str
  tag:
    description: With an envdir in O(deployment), take the newest deployment file with this C(-a/--tag).
    type: str
  flavour:
    description: nxc flavour of the deployment file, when its name does not carry one.
    type: str
    choices: [docker, g5k-image, g5k-nfs-store, g5k-ramdisk, nspawn, vm, vm-ramdisk]
  job_id:
    description:
      - OAR job id, used when the nodefile's name carries none.
      - In a configuration file, a job without a nodefile is a source of its own, its machines read from OAR
        (see O(live_job)); a list of ids gives several such jobs.
    type: raw
    env:
      - name: OAR_JOB_ID
  live_job:
    description:
      - Read the job from OAR (C(oarstat -f -J -j <id>) and C(oarstat -p -j <id>)) when its id is known.
      - The group C(oar_job_<id>) then carries C(oar_job) (C(state), C(owner), C(walltime), C(started), C(ends),
        C(remaining)); each machine gets C(oar_in_job) and, when in the job, its real C(oar_cores) and
        C(oar_properties).
      - C(auto) reads it when C(oarstat) is on PATH and says once why not otherwise (a laptop with a copied
        nodefile goes on from the file alone); C(always) makes that an error; C(never) never asks OAR.
    type: str
    default: auto
    choices: [auto, always, never]
    env:
      - name: OAR_NXC_LIVE_JOB
  properties_file:
    description:
      - The job's resource properties file, C(<runtime dir>/<id>_resources) (one line per resource,
        C(key = 'value' , ...)); it gives C(oar_cores) and C(oar_properties) without asking OAR.
    type: path
    env:
      - name: OAR_RESOURCE_PROPERTIES_FILE
  frontend:
    description:
      - The OAR frontend, where the job is read (O(live_job)) when the inventory is read elsewhere, for example
        by an AWX or Automation Platform inventory source in its execution environment. OAR's commands then
        run there over ssh (C(BatchMode=yes), host key checked), each word quoted.
      - A host name or an IP address. Unset, OAR's commands run on this machine.
    type: str
    version_added: "1.2.0"
    env:
      - name: OAR_NXC_FRONTEND
  frontend_user:
    description: The user ssh logs in as on O(frontend) (default, ssh's own).
    type: str
    version_added: "1.2.0"
    env:
      - name: OAR_NXC_FRONTEND_USER
  frontend_port:
    description: The ssh port of O(frontend).
    type: raw
    version_added: "1.2.0"
    env:
      - name: OAR_NXC_FRONTEND_PORT
  frontend_private_key_file:
    description:
      - The private key for O(frontend) (ssh C(-i), C(IdentitiesOnly=yes)). An AWX credential injects it as a
        file, readable by its owner only.
    type: path
    version_added: "1.2.0"
    env:
      - name: OAR_NXC_FRONTEND_PRIVATE_KEY_FILE
  frontend_known_hosts_file:
    description:
      - A known_hosts file that holds O(frontend)'s host key (and the jump hosts'). Host keys are always checked;
        an unknown key is an error that names the frontend.
    type: path
    version_added: "1.2.0"
    env:
      - name: OAR_NXC_FRONTEND_KNOWN_HOSTS_FILE
  frontend_proxy_jump:
    description: Jump hosts on the way to O(frontend) (ssh C(-J)), C([user@]host[:port]), comma-separated.
    type: str
    version_added: "1.2.0"
    env:
      - name: OAR_NXC_FRONTEND_PROXY_JUMP
  nodes:
    description:
      - Keep only the first N distinct hosts (after O(exclude)); asking for more than remain is an error.
      - A positive integer (a boolean or a non-ASCII digit is an error that names the key or the variable).
    type: raw
    env:
      - name: OAR_NXC_NODES
  exclude:
    description:
      - Shell-style host patterns to leave out (matched against host names), for example C(dahu-7*).
      - From the environment, a comma-separated list.
      - Patterns that leave no host are an error that names them.
    type: raw
    default: []
    env:
      - name: OAR_NXC_EXCLUDE
  relax_host_key_checking:
    description: Set C(StrictHostKeyChecking=no) and a throw-away known_hosts for deployed hosts only, and prefer
      the classic curve25519 key exchange for them (OpenSSH 9's post-quantum default costs about 0.15 s of CPU per
      new connection on each side).
    type: raw
    default: true
    env:
      - name: OAR_NXC_RELAX_HOST_KEY_CHECKING
  private_key_file:
    description: Private key matching the deployment's C(ssh_key.pub), set as C(ansible_ssh_private_key_file).
    type: path
    env:
      - name: OAR_NXC_PRIVATE_KEY_FILE
  python_interpreter:
    description: C(ansible_python_interpreter) of deployed NixOS hosts.
    type: str
    default: /run/current-system/sw/bin/python3
"""

EXAMPLES = r"""
# Straight from an OAR job (ansible.cfg: [inventory] enable_plugins = oar.nxc.oar_nxc, auto, yaml):
#   ansible-inventory -i $OAR_NODEFILE --graph
#   ansible-playbook deploy.yml -i OAR.$OAR_JOB_ID.stdout
#   ansible-inventory -i compositions/master/deploy/composition::g5k-nfs-store.json --list
#   OAR_NXC_NODES=2 ansible-playbook redeploy.yml -i $OAR_NODEFILE

# inventories/oar.oar_nxc.yml: the reserved machines and what nxc deployed on them
plugin: oar.nxc.oar_nxc
nodefile: /home/alice/OAR.1894417.stdout
deployment: ../compositions/master        # an envdir: its newest deploy/*.json
exclude:
  - dahu-7.grenoble.grid5000.fr
keyed_groups:
  - key: g5k_cluster
    prefix: by_cluster
compose:
  oar_big: oar_cores | int >= 32
---
# Only the first 3 machines of $OAR_NODEFILE
plugin: oar.nxc.oar_nxc
nodes: 3
"""

import gc
from typing import Any, NoReturn

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display
from ansible_collections.oar.nxc.plugins.plugin_utils.core import missing

_MISSING = missing()
if _MISSING is None:
    from oar_nxc.plugin_api import sources as _CORE
else:
    _CORE = None  # type: ignore[assignment]

# the names a configuration file may give in its `plugin:` key (the core's list)
PLUGIN_NAMES = _CORE.PLUGIN_NAMES if _CORE is not None else ("oar.nxc.oar_nxc", "oar_nxc")
# a source of these kinds is this plugin's for sure: refusing it stops the run (see _refuse)
OWN_KINDS = ("nodefile", "deployment", "config", "special", "executable")
display = Display()


def _freeze_heap() -> None:
    """Keep what the run holds so far out of the cyclic garbage collector's walks (see the notes): every object
    tracked now, the inventory included, goes to the collector's permanent generation. Collected first, so that
    no cycle of garbage is kept for the run's lifetime. Objects freed later by their reference counts still are."""
    gc.collect()
    gc.freeze()


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """OAR nodefiles, OAR.<id>.stdout files, nxc deployment files and oar_nxc YAML configs."""

    NAME = "oar.nxc.oar_nxc"

    def verify_file(self, path: str) -> bool:
        """Claim a file by its content; cheap, and never raises."""
        try:
            return _CORE is not None and _CORE.sniff(path) is not None
        except Exception:  # verify_file must never raise
            return False

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        if _CORE is None:
            raise AnsibleParserError(f"oar_nxc: {_MISSING}")
        kind = _CORE.sniff(path)
        try:
            if kind == "config":
                # accept the short name of configs written before the collection, as well as the FQCN
                self._redirected_names = [*(getattr(self, "_redirected_names", None) or [self.NAME]), *PLUGIN_NAMES]
                _CORE.check_config_file(path)
                config = self._read_config_data(path)
                _CORE.check_config_keys(config, path, set(self._options) | {"plugin"})
                request = _CORE.Request.for_config(
                    path, nodefile=self.get_option("nodefile"), deployment=self.get_option("deployment"),
                    tag=self.get_option("tag"), **self._common())
            else:
                self.set_options()
                self.load_cache_plugin()  # _read_config_data does this for configuration files
                request = _CORE.Request.for_file(path, kind, **self._common())
            if request.job_ids:  # machines that only OAR names: read once, now, never from the cache
                spec = request.describe()
            else:
                spec = self._cached_describe(path, request, cache)
                request.add_live(spec, read=True)  # the job's state now, never from the cache
        except _CORE.OarNxcError as exc:
            _CORE.record_refusal(path, str(exc))
            self._refuse(str(exc), stop=kind in OWN_KINDS)
        # the job's deployed hosts that nxc start recorded (never cached: a deploy in this run refreshes them)
        for unused in _CORE.add_known(spec, deployment=request.deployment):
            display.vvv(f"oar_nxc: {unused}")
        for note in spec.notes:
            display.warning(f"oar_nxc: {note}")
        self._populate(spec)
        _freeze_heap()

    @staticmethod
    def _refuse(message: str, *, stop: bool) -> NoReturn:
        """Refuse the source. Ansible would hand a source one plugin refused to the next one (yaml
        reads an extensionless file, script runs an executable one): for a source that is surely
        ours, print the error as Ansible does and stop here instead."""
        if not stop:
            raise AnsibleParserError(f"oar_nxc: {message}")
        display.error(f"oar_nxc: {message}", wrap_text=False)
        raise SystemExit(1)

    # -- options -> request ---------------------------------------------------------------------------
    def _common(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        origins: dict[str, str] = {}
        for name in _CORE.COMMON_OPTIONS:
            values[name], origin = self.get_option_and_origin(name)
            if isinstance(origin, str) and origin.startswith("env: "):
                origins[name] = "$" + origin[len("env: "):]
        return {**values, "origins": origins, "flavour": self.get_option("flavour")}

    # -- cache ----------------------------------------------------------------------------------------
    def _cached_describe(self, path: str, request: Any, cache: bool) -> Any:
        use_cache = bool(self.get_option("cache"))
        cache_key = self.get_cache_key(path)
        signature = request.signature()
        if use_cache and cache:
            try:
                cached = self._cache[cache_key]
            except KeyError:
                cached = None
            if isinstance(cached, dict) and cached.get("signature") == signature:
                return _CORE.InventorySpec(hosts=cached["hosts"], groups=cached["groups"])
        spec = request.describe(live=False)
        if use_cache:
            self._cache[cache_key] = {"signature": signature, "hosts": spec.hosts, "groups": spec.groups}
        return spec

    # -- spec -> InventoryData ------------------------------------------------------------------------
    def _populate(self, spec: Any) -> None:
        inventory = self.inventory
        for group in spec.groups:
            inventory.add_group(group)
            for key, value in spec.group_vars.get(group, {}).items():
                inventory.set_variable(group, key, value)
        for host, variables in spec.hosts.items():
            inventory.add_host(host)
            for key, value in variables.items():
                inventory.set_variable(host, key, value)
        for group, members in spec.groups.items():
            for host in members:
                inventory.add_child(group, host)

        compose = self.get_option("compose")
        groups = self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        if not (compose or groups or keyed_groups):
            return
        strict = self.get_option("strict")
        for host in spec.hosts:
            hostvars = inventory.get_host(host).get_vars()
            self._set_composite_vars(compose, hostvars, host, strict=strict)
            hostvars = inventory.get_host(host).get_vars()
            self._add_host_to_composed_groups(groups, hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(keyed_groups, hostvars, host, strict=strict)
