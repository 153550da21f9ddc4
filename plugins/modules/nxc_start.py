#!/usr/bin/python
# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Documentation of the nxc_start action (plugins/action/nxc_start.py); it runs on the controller."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nxc_start
short_description: Start an nxc composition on the selected machines, unless this build already runs there
version_added: "1.0.0"
description:
  - "Runs C(nxc start -f <flavour> -i <key> [-m <machine file>] [-r role=N ...] [--remote-deployment-info] [-a <tag>]
    [-s <setup>]) in O(composition_dir) under C(timeout), on the controller, where nxc runs. The flavour decides
    the arguments (C(ansible-doc -t lookup oar.nxc.flavours)): the Grid'5000 flavours get a machine file, g5k-image
    serves the deployment file and has kadeploy's prompt answered, vm and vm-ramdisk run in the background
    (nxc holds the VMs in the foreground) until their deployment file appears."
  - "Machine file (C(.oar-nxc/machines-<flavour>)): the first of O(machines) the composition needs (its roles and
    C(rolesDistribution), evaluated offline, after O(roles)); too few is an error naming both counts and the hosts,
    extra machines are left out (nxc would wait for their ssh port)."
  - "Skipped (C(changed) false) when C(.oar-nxc/deployed-<flavour>.json) records the same command, machines and
    build (the digest of the last nxc build) and the deployment file exists. The deployed hosts are then returned
    for a probe: run M(oar.nxc.nxc_roles) with O(oar.nxc.nxc_roles#module:timeout=0) on them, then this
    action again with O(probes); it starts again only if a host did not answer."
  - nxc rewrites C(setup.toml); the action puts it back byte for byte. The run is recorded in
    C(.oar-nxc/start-<flavour>.json) (argv, rc, times, nxc's error line).
  - RV(hosts) are the deployed hosts as the oar.nxc.oar_nxc inventory plugin describes them (the same core
    function), for M(oar.nxc.nxc_add_host).
  - In check mode nothing runs; RV(cmd) and RV(why) say what would run and why.
options:
  composition_dir:
    description: The composition directory (C(flake.nix), C(nxc.json)); nxc writes C(deploy/) into it.
    type: path
    required: true
  machines:
    description: The selected reserved machines, in order. Ignored by the local flavours (docker, vm, nspawn).
    type: list
    elements: str
    default: []
  setup:
    description: Setup variant (C(nxc start -s)); also selects the roles the composition has.
    type: str
    default: ""
  params:
    description: Setup parameters of the build, to count the hosts the composition needs.
    type: dict
    default: {}
  roles:
    description: "Role distribution overrides (C(nxc start -r)), e.g. C({node: 3}) or C({node: [alpha, beta]})."
    type: dict
    default: {}
  public_key:
    description: The public key nxc installs on the hosts (C(-i)); required with O(state=started).
    type: path
    default: ""
  private_key:
    description: The matching private key, set as the deployed hosts' C(ansible_ssh_private_key_file).
    type: str
    default: ""
  python_interpreter:
    description: C(ansible_python_interpreter) of the deployed hosts.
    type: str
    default: /run/current-system/sw/bin/python3
  job_id:
    description: The OAR job of the machines; deployed hosts get it as C(oar_job_id).
    type: str
    default: ""
  tag:
    description: Tag of the deployment file (C(nxc start -a)).
    type: str
    default: ""
  timeout:
    description: Seconds before nxc start is stopped (nxc waits for port 22 on every machine, no timeout).
    type: int
    default: 900
  extra_args:
    description: More arguments for C(nxc start).
    type: list
    elements: str
    default: []
  force:
    description: Start even when this build already runs on these machines.
    type: bool
    default: false
  probes:
    description:
      - The probe of each deployed host (RV(oar.nxc.nxc_roles#module:probes) of M(oar.nxc.nxc_roles) with timeout 0,
        or the fact C(nxc_role_probe) that M(oar.nxc.nxc_role) sets). When given, nxc start runs only if one of them
        is not C(ok), and RV(why) names them.
    type: list
    elements: dict
  started_group:
    description:
      - When nxc start ran (or would run), the hosts of RV(add_hosts) also join this group, besides their own
        (a play over it then waits for these hosts only after a start). Empty for none.
    type: str
    default: ""
  parallel_launch:
    description:
      - "Kexec flavours (C(kexec) in C(ansible-doc -t lookup oar.nxc.flavours)): nixos-compose 0.7.11 launches the
        machines one after the other, one ssh command each that it waits for
        (C(ssh -l root <ip> \"screen -dm bash -c ...kexec.sh\")), then sleeps 10 s and waits for their port 22.
        With O(parallel_launch=true), the action gives nxc, as its C(--ssh), that same ssh command (nxc's own, or
        C($NIXOS_COMPOSE_START_SSH)) behind C(oar_nxc/nxc/kexec-launch.sh), which starts each launch in the
        background and returns at once: the launches overlap, at most C(oar_nxc.nxc.start.LAUNCH_PARALLEL) at a
        time, during nxc's sleep. After nxc start, the action waits for every launch; one that failed (its exit
        status and last line of output) fails the task naming the machine, and one still running at O(timeout)
        is stopped (SIGKILL to its session). Each launch's command, pid, output and exit status are in
        C(.oar-nxc/launches-<flavour>/)."
      - For many machines whose launch waits on the network (ssh handshakes to Grid'5000 nodes). Each launch
        costs a few more processes on the controller. Ignored for the other flavours, when O(extra_args) gives
        nxc an C(--ssh) of its own, and without util-linux's C(setsid) and C(flock).
    type: bool
    default: false
  refresh_from:
    description:
      - The fewest hosts to add for which RV(inventory_refresh) may be true. When not given, the number from which a
        refresh of the inventory costs less than one C(add_host) per host, as measured with ansible-core on the
        testbed (C(oar_nxc.inventory.known.REFRESH_FROM)).
    type: int
  state:
    description:
      - C(started) runs nxc start when needed; C(loaded) only returns the hosts of the current deployment file
        (and fails when there is none); C(absent) stops the background nxc start of the vm flavours, the
        process whose pid and start time C(started) recorded in C(.oar-nxc/start-<flavour>.pid.json) and no other
        (SIGINT, then SIGKILL to its process group after 20 s), and forgets the current deployment (its record
        RV(current)), so that the next C(started) runs nxc start.
    type: str
    default: started
    choices: [started, loaded, absent]
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - oar.nxc.nxc
  - oar.nxc.attributes
  - oar.nxc.attributes.controller
"""

EXAMPLES = r"""
- name: Start the composition on the reserved machines
  oar.nxc.nxc_start:
    composition_dir: /home/alice/oar-nxc/compositions/master
    flavour: g5k-nfs-store
    machines: "{{ groups['oar_nodes'] }}"
    public_key: /home/alice/.ssh/id_rsa.pub
    nxc: /home/alice/.local/share/oar-nxc/nxc-venv/bin/nxc
  register: start

- name: Add the deployed hosts to the inventory
  oar.nxc.nxc_add_host:
    name: "{{ item.name }}"
    groups: "{{ item.groups }}"
    host_vars: "{{ item.vars }}"
  loop: "{{ start.hosts }}"
"""

RETURN = r"""
cmd:
  description:
    - The nxc start command line (run, or that would run). When it ran with O(parallel_launch), with its
      C(--ssh) (the launcher and nxc's ssh command); RV(command) and RV(plan) show the plan's, without it.
  returned: always
  type: list
  elements: str
command:
  description: RV(cmd) quoted for a shell.
  returned: when the composition was read
  type: str
why:
  description: Why nxc start runs, would run, or is skipped.
  returned: always
  type: str
plan:
  description: The step as C(oar-nxc plan) shows it (step, command, cwd, machines, run, why).
  returned: when the composition was read, with O(state=started)
  type: dict
machines:
  description: The machines of the machine file.
  returned: when the composition was read
  type: list
  elements: str
unused:
  description: Selected machines the composition does not need (left out of the machine file).
  returned: when the composition was read
  type: list
  elements: str
hosts:
  description: The deployed hosts, C([{name, groups, vars}]), as the oar.nxc.oar_nxc plugin describes them.
  returned: always
  type: list
  elements: dict
add_hosts:
  description:
    - The deployed hosts the play must add to its inventory (C(add_host)), in the form of RV(hosts).
    - Empty when the inventory already holds them as they are now, read by the oar.nxc.oar_nxc plugin from the
      OAR job's record of its deployed hosts (C($XDG_STATE_HOME/oar-nxc/jobs/<job id>.json)); else RV(hosts),
      and, out of check mode, the record is written for the next run's inventory.
  returned: always
  type: list
  elements: dict
inventory_refresh:
  description:
    - Whether C(ansible.builtin.meta) C(refresh_inventory) would give the inventory the hosts of RV(add_hosts), so
      that the play may refresh instead of one C(add_host) per host. True when the record of the OAR job's
      deployed hosts was written now (RV(inventory_record)), at least O(refresh_from) hosts are to be added,
      O(started_group) is empty or nxc start did not run, and
      every source of the inventory (C(ansible_inventory_sources)) is a file the oar.nxc.oar_nxc plugin reads a
      job from (a nodefile, an C(OAR.<id>.stdout) or a config whose C(plugin) is C(oar.nxc.oar_nxc)); a refresh reads
      them all again.
    - After a refresh, the inventory holds these hosts when each of them is in the C(nxc_nodes) group and the
      first carries C(nxc_deployed_record) equal to RV(inventory_record); else add RV(add_hosts) as before.
  returned: always
  type: bool
inventory_record:
  description: The record of the OAR job's deployed hosts written now, which the oar.nxc.oar_nxc plugin reads;
    empty when none was written.
  returned: always
  type: str
probe:
  description: Whether the returned hosts come from an earlier deployment and should be probed.
  returned: always
  type: bool
deployment_file:
  description: The deployment file nxc writes (C(deploy/<composition>::<flavour>[::<tag>].json)).
  returned: when the composition was read
  type: str
source:
  description:
    - What the build of this composition was made from, read from its build record (C(build/.oar-nxc-<flavour>.json))
      as C(variant), C(sources) (per C(build.<package>.src) key, its C(path) and content C(digest)) and C(fingerprint).
  returned: when the composition was read
  type: dict
current:
  description: The record of the current deployment (C(.oar-nxc/deployed-<flavour>.json)) that O(state=absent) removes.
  returned: when the composition was read
  type: str
background:
  description: With O(state=absent), what was done to the recorded background nxc start (empty when none was recorded).
  returned: with O(state=absent)
  type: str
elapsed:
  description: Seconds nxc start ran (0 when it did not).
  returned: when the composition was read
  type: float
rc:
  description: nxc's exit code (124 when the timeout stopped it).
  returned: when nxc ran
  type: int
stdout:
  description: nxc's standard output.
  returned: when nxc ran
  type: str
stderr:
  description: nxc's standard error.
  returned: when nxc ran
  type: str
"""
