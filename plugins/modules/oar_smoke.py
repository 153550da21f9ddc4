#!/usr/bin/python
# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Documentation of the oar_smoke action (plugins/action/oar_smoke.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: oar_smoke
short_description: Smoke-test a deployed OAR cluster from its submit host
version_added: "1.1.0"
description:
  - Runs the OAR smoke checks (C(ansible-doc -t lookup oar.nxc.smoke_checks)) on the host the task is delegated to,
    which must be O(submit), over that host's own connection. The OAR commands need no Python there; the REST API
    check makes each request on that host with a small Python program of the standard library, run over the same
    connection as one command (the password on its stdin), with the interpreter Ansible would use for a module
    there (C(ansible_python_interpreter), else the one it discovered, else the first of
    C(interpreter_python_fallback) the host has).
  - The gate checks come first; when one fails, the job checks are recorded as skipped. C(node_sshd) reads each
    node's probe in O(probe_var) when a per-node play made one (M(oar.nxc.sshd_probe)); every other node's OAR sshd
    is probed here, from the controller, all nodes at once (a TCP connection to C(ansible_host):O(sshd_port) that
    reads the banner, a refusal asked again until O(sshd_timeout)), in one task instead of one per node.
    C(resources_alive) polls C(oarnodes -s -J).
  - "The job checks are submitted together and awaited in one bounded loop that reads every pending job with one
    C(oarstat -s -J -j A -j B ...) every O(poll_interval) seconds; each is judged on its own. With O(concurrent)
    their jobs are of type C(timesharing=*,*) so that OAR runs them side by side, and the reservation (for a slot
    after the jobs' walltime) and the REST API (from the start) are asked beside the polls, on worker threads over
    copies of the submit host's connection: C(oarsub -r), which waits for OAR's scheduler, holds up no poll."
  - A command that fails (exit status not 0, for example a database that does not answer) fails its check after
    O(grace) seconds with the command's own error; it is not retried until the job timeout.
  - It writes the reports (O(report_dir)) and prints one line per check; with O(fail) it then fails naming each
    failed check. Under check mode it runs nothing and returns its C(plan).
options:
  user:
    description: The normal user that submits the jobs (C(su - USER -c 'cd && oarsub ...')).
    type: str
    required: true
  submit:
    description: The submit host's inventory name; the task must be delegated to it.
    type: str
    required: true
  nodes:
    description: The compute nodes' inventory names.
    type: list
    elements: str
    required: true
  address_var:
    description: Host variable with a node's OAR C(network_address); empty for the inventory name.
    type: str
    default: ""
  probe_var:
    description: Host variable with the M(oar.nxc.sshd_probe) result of the node's OAR sshd probe, when a per-node
      play made one (else the node is probed here).
    type: str
    default: oar_smoke_node_sshd
  checks:
    description: The checks to run; default all of them.
    type: list
    elements: str
  job_types:
    description: Job types (C(oarsub -t)) of every job.
    type: list
    elements: str
    default: []
  walltime:
    description: Walltime of the jobs.
    type: str
    default: "0:05:00"
  job_timeout:
    description: Seconds each job may take to reach the awaited state; also bounds C(resources_alive).
    type: int
    default: 120
  poll_interval:
    description:
      - Seconds between two polls (one C(oarstat) for every pending job); the reservation and API steps run in them.
      - At least 0.2 (a smaller value is taken as 0.2).
    type: float
    default: 0.5
  concurrent:
    description: Jobs of type C(timesharing=*,*), run side by side; false awaits each job before the next.
    type: bool
    default: true
  grace:
    description: Seconds a failing command is retried before its check fails with the command's error.
    type: int
    default: 10
  sshd_port:
    description: Port of OAR's node sshd (probed, and named in the C(node_sshd) message).
    type: int
    default: 6667
  sshd_timeout:
    description: The probe's bound, in seconds, for all the nodes together (named in the C(node_sshd) message).
    type: int
    default: 10
  api_url:
    description:
      - The REST API's base URL. The check follows the deployed OAR (C(oarsub -V)); empty for OAR 3's
        C(http://<server>/api/) or OAR 2.5's C(http://<server>:6668/oarapi/) (Debian's C(oar-restful-api)).
      - OAR 3 is asked for its index, then C(whoami) with a token from C(oarsub -T). OAR 2.5 is asked for its
        version and resources, then a job is submitted as O(user) at O(api_private_url) and read back.
      - A failure names the method, the URL and the HTTP status.
    type: str
    default: ""
  api_private_url:
    description: OAR 2.5's authenticated URL; empty for O(api_url) with C(/oarapi/) replaced by C(/oarapi-priv/).
    type: str
    default: ""
  api_password:
    description: The password of O(user) at O(api_private_url) (basic authentication; OAR 2.5 only).
    type: str
    default: ""
  server:
    description: Inventory name of the host that serves the REST API.
    type: str
    default: ""
  build:
    description:
      - What the deployed build was made from (M(oar.nxc.nxc_start)'s RV(oar.nxc.nxc_start#module:source)), kept in
        the report.
    type: dict
    default: {}
  fail:
    description:
      - Fail the task when a check failed, after the reports are written; the message names each failed check with
        its message. Each check's line is printed either way.
    type: bool
    default: false
  report_dir:
    description:
      - A directory on the controller where the reports are written (made if missing), outside check mode.
      - C(report.json) (the RV(report)), C(junit.xml) (one testcase per check) and C(report.html), a self-contained
        page (inline CSS and SVG) with a timeline of the checks and their OAR jobs, the checks and their messages,
        the machines and roles, and the build deployed.
    type: str
    default: ""
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - oar.nxc.attributes
"""

EXAMPLES = r"""
- name: Run the smoke checks on the frontend
  oar.nxc.oar_smoke:
    user: user1
    submit: frontend
    nodes: "{{ groups['role_node'] }}"
    server: server
  delegate_to: frontend
  register: smoke

- name: Show what failed
  ansible.builtin.debug:
    msg: "{{ smoke.results | selectattr('status', 'eq', 'failed') | list }}"
"""

RETURN = r"""
results:
  description:
    - One entry per check, in the order of O(checks) (C(name), C(status) passed/failed/skipped, C(message),
      C(seconds), C(started) and C(ended) as epoch seconds).
    - A job check adds C(job) (its id) and, once judged, C(job_started), C(job_stopped) and C(job_hosts) as OAR
      reports them.
  returned: always
  type: list
  elements: dict
report:
  description:
    - C(submit_host), C(user), C(nodes), C(addresses), C(hosts) (name, role, machine, ip, address of the submit
      host, the server and the nodes), C(build), C(started), C(ended), C(checks) and C(summary).
  returned: when the checks ran
  type: dict
report_files:
  description: The paths of C(report.json), C(junit.xml) and C(report.html), by name.
  returned: when O(report_dir) is set and the checks ran
  type: dict
failed_checks:
  description: The names of the failed checks.
  returned: when the checks ran
  type: list
  elements: str
plan:
  description: The step as C(oar-nxc plan) shows it (step, command, run, why).
  returned: always
  type: dict
"""
