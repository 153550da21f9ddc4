#!/usr/bin/python
# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Documentation of the oar_job action (plugins/action/oar_job.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: oar_job
short_description: The OAR job as a resource - reserve or reuse it by name, wait until it runs, release it
version_added: "1.1.0"
description:
  - Runs on the controller; every OAR command goes over the connection of the host the task is delegated to, the OAR
    frontend (C(localhost) when Ansible runs there, as on Grid'5000), as O(user) from its home when one is given.
    The OAR commands need no Python there. OAR 2.5 and OAR 3 alike.
  - "O(state=present): the request (O(request)) is checked before anything is submitted: an unknown key or a bad
    value fails naming the key (C(oar_nxc_job.walltime)). A job of the user with the request's name that has not ended
    (Waiting, Running...) is reused, never doubled (with O(reuse)); else C(oarsub) submits it (an argv list: C(-n), C(-l
    RESOURCES,walltime=W), C(-t) per type, C(-q), C(--project), C(-p), C(-r), C(-d), the command). Then it waits until
    the job is Running, at most O(timeout) seconds, and says why while it waits: the state, OAR's own message and the
    start OAR predicts. On timeout a job this task submitted is deleted, and the failure says all of it."
  - It returns the job (id, state, walltime left), its machines with their cores and resource properties, and writes a
    nodefile named as OAR names C($OAR_NODEFILE) (O(nodefile_dir)/<job id>, one line per core). RV(hosts) are the
    machines as the C(oar.nxc.oar_nxc) inventory plugin names them (the same C(oar_nxc.inventory.describe)), for
    M(oar.nxc.nxc_add_host).
  - With O(guard), a job this task holds is released after the C(ansible-playbook) that runs it has exited, whatever
    ended it (a failed task, an unreachable host, SIGINT, SIGTERM), unless a later C(state=absent) task with the same
    O(record) released it first. The guard is a process of its own (C(python -m oar_nxc.oar.guard)); what it did is in
    O(record).
  - "O(state=absent): C(oardel), then wait until OAR has ended the job, at most O(release_timeout) seconds. A job that
    has already ended, or that OAR no longer knows, is no change."
  - "O(state=running), at the end of a run: one C(oarstat) of each job of O(job_ids) (or O(job_id)), no wait. A job
    that is no longer C(Running) (its walltime ended, OAR killed it, it is gone) fails the task, naming its state and
    OAR's events on it (C(WALLTIME)...), as a failure of the reservation (RV(oar_nxc_exit)=C(reservation), C(oar-nxc)
    exit 6): the run's results come from machines the job no longer held. OAR that cannot be read is a warning. In
    check mode an ended job is a warning too."
  - Check mode runs only C(oarstat) and returns the exact C(oarsub) command line (RV(command)) and whether a job would
    be reused.
options:
  state:
    description:
      - V(present) holds a running job; V(absent) releases O(job_id).
      - V(running) checks that O(job_id) still runs (added in 1.2.0).
    type: str
    choices: [present, absent, running]
    default: present
  request:
    description:
      - "What to reserve: C(nodes) (a number of machines) or C(resources) (an OAR resource hierarchy without the
        walltime, C({cluster='dahu'}/nodes=2)); C(walltime) (C(H:MM:SS), default C(1:00:00)); C(types) (job types,
        C(deploy), C(night), C(timesharing=*,*)...); C(queue); C(project); C(properties) (C(-p), SQL); C(cluster) (adds
        C(cluster='NAME') to the properties); C(reservation)
        (C(-r), C(YYYY-MM-DD HH:MM:SS)); C(name) (the reuse key, default C(oar-nxc)); C(command) (what the job runs,
        default C(sleep infinity): it holds the machines); C(directory) (C(-d))."
      - Merged over O(request_defaults). Anything but a mapping, an unknown key or a bad value fails naming
        O(request_name) and the key, before anything is submitted.
    type: raw
    default: {}
  request_defaults:
    description: The request's defaults (C(walltime), C(name)...), overridden key by key by O(request).
    type: dict
    default: {}
  request_name:
    description: How errors name O(request) (the variable it came from, C(oar_nxc_job)).
    type: str
    default: request
  job_types:
    description: Job types added to the request's (the flavour's, such as C(deploy) for g5k-image).
    type: list
    elements: str
    default: []
  job_id:
    description:
      - O(state=absent), the job to release; O(state=running), the job that should still hold the machines.
      - O(state=present), a job to use as it is instead of a request, which is then not needed. It must not have ended;
        it is waited for until Running, never submitted, never guarded.
    type: int
  job_ids:
    description: O(state=running), the jobs that should still hold the machines (all are read; every one that ended is
      named).
    type: list
    elements: int
    default: []
    version_added: "1.2.0"
  user:
    description: The user that owns the job (C(su - USER -c 'cd && oarsub ...') on the frontend); empty for the
      connection's own user.
    type: str
    default: ""
  reuse:
    description: Reuse a job of the user with the request's name that has not ended.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the job to be Running.
    type: int
    default: 600
  release_timeout:
    description: Seconds to wait for the job's end after C(oardel).
    type: int
    default: 120
  poll_interval:
    description: Seconds between two C(oarstat) of the job.
    type: int
    default: 2
  nodefile_dir:
    description: Directory on the controller for the nodefile (default the current directory).
    type: path
  guard:
    description: Release the job after C(ansible-playbook) exits, whatever ended it (needs O(record)).
    type: bool
    default: false
  record:
    description: A JSON file on the controller that describes the job and what the guard and the release did.
    type: path
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - oar.nxc.attributes
"""

EXAMPLES = r"""
- name: Reserve 4 machines for an hour (or reuse the running job named oar-nxc)
  oar.nxc.oar_job:
    request: {nodes: 4, walltime: "1:00:00"}
    nodefile_dir: "{{ playbook_dir }}/results"
  delegate_to: localhost
  register: job

- name: Add the reserved machines to the inventory
  oar.nxc.nxc_add_host:
    name: "{{ item.name }}"
    groups: "{{ item.groups }}"
    host_vars: "{{ item.host_vars }}"
  loop: "{{ job.hosts }}"
  loop_control:
    label: "{{ item.name }}"

- name: Release the job
  oar.nxc.oar_job:
    state: absent
    job_id: "{{ job.job_id }}"
  delegate_to: localhost
"""

RETURN = r"""
job_id:
  description: The OAR job's id.
  returned: always, once a job is known (not for a check-mode submit)
  type: int
state:
  description:
    - The job's state (C(Running) after O(state=present); C(Terminated), C(Error) or C(gone) after absent).
    - After O(state=running), the first job's, as in RV(states).
  returned: success
  type: str
command:
  description: The C(oarsub) command line (run, or that would run), or the C(oardel) one under check mode.
  returned: always
  type: str
reused:
  description: The job was found by name, not submitted.
  returned: state=present
  type: bool
submitted:
  description: This task submitted the job.
  returned: state=present
  type: bool
history:
  description: What the waits said (state, OAR's message, predicted start), each change once.
  returned: state=present
  type: list
  elements: str
job:
  description: C(id), C(state), C(owner), C(walltime), C(started), C(ends), C(remaining) (seconds), C(oar) (2.5 or 3).
  returned: state=present, not in check mode
  type: dict
remaining:
  description: Seconds of walltime left.
  returned: state=present, not in check mode
  type: int
machines:
  description: The job's machines (C(name), C(cores), C(properties)), sorted by name as OAR sorts them.
  returned: state=present, not in check mode
  type: list
  elements: dict
nodefile:
  description: The nodefile written on the controller.
  returned: state=present, not in check mode
  type: str
hosts:
  description: One C(name), C(groups), C(host_vars) per machine, as the inventory plugin describes them.
  returned: state=present, not in check mode
  type: list
  elements: dict
states:
  description: O(state=running), each job's state by id (C(Running); C(ended) for one that ended, C(unknown) when OAR
    could not be read).
  returned: state=running
  type: dict
  version_added: "1.2.0"
oar_nxc_exit:
  description:
    - "V(reservation) when the job itself failed (oarsub refused it, it did not run in time, it ended before it ran
      or, with O(state=running), before the run did): C(oar-nxc) exits 6, which a CI job may retry."
    - V(bad_input) when the task's own arguments were wrong.
  returned: failure
  type: str
  version_added: "1.2.0"
cmd:
  description: The OAR command that failed, with its C(rc), C(stdout) and C(stderr).
  returned: failure of an OAR command
  type: str
"""
