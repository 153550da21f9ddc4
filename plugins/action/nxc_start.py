# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Action: nxc start on the selected machines, unless this build already runs there.

It runs on the controller, where nxc runs, and is the Ansible face of ``oar_nxc.nxc.start``: the
decision, the run and the records are there; the hosts it returns are the oar_nxc plugin's
(``oar_nxc.inventory.hosts``), for ``oar.nxc.nxc_add_host``.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from ansible_collections.oar.nxc.plugins.module_utils.nxc import error_line
from ansible_collections.oar.nxc.plugins.plugin_utils import checks
from ansible_collections.oar.nxc.plugins.plugin_utils.action import OarNxcAction


class ActionModule(OarNxcAction):
    NAME = "nxc_start"
    RULES: ClassVar[dict[str, Any]] = {"required_if": [["state", "started", ["public_key"]]]}
    BYPASS_HOST_LOOP = True

    def act(self, args: dict[str, Any], task_vars: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        from oar_nxc.plugin_api import OarNxcError, job_id_from_value, known, start

        stale, answered = start.after_probes(args["probes"])
        if answered:  # after a probe: every deployed host reports its role
            result.update(changed=False, hosts=[], probe=False, why=answered)
            return result
        try:
            request = start.Request(
                composition_dir=args["composition_dir"], flavour=args["flavour"], machines=args["machines"],
                setup=args["setup"], params=args["params"], roles=args["roles"], nxc=args["nxc"],
                public_key=args["public_key"], tag=args["tag"], timeout=args["timeout"],
                extra_args=args["extra_args"], environment={str(k): str(v) for k, v in args["environment"].items()},
                force=args["force"], stale=stale, private_key=args["private_key"],
                python_interpreter=args["python_interpreter"], parallel_launch=args["parallel_launch"],
                job_id=job_id_from_value(args["job_id"] or None, "job_id"))
            plan = start.plan(request, check_machines=args["state"] == "started")
            result["current"] = plan.paths.current
        except OarNxcError as exc:
            result.update(failed=True, msg=str(exc), oar_nxc_exit=checks.BAD_INPUT)
            return result
        result.update(changed=plan.run, cmd=plan.argv, command=plan.command, why=plan.why, plan=plan.step(),
                      machines=plan.machines, unused=plan.unused, deployment_file=plan.paths.deployment,
                      source=plan.source,
                      record=plan.paths.record, hosts=[], elapsed=0.0)
        if plan.unused:
            self._display.display(
                f"{len(plan.unused)} selected machine(s) not used: {', '.join(plan.unused)} (nxc would wait for "
                "their ssh port although it gives them no role)")
        if args["state"] == "absent":  # stop the recorded background start; forget the current deployment
            gone = os.path.isfile(plan.paths.current)
            held = os.path.isfile(plan.paths.background)
            stopped = ""
            if not self._task.check_mode:
                stopped = start.stop_background(plan.paths)
                if gone:
                    os.remove(plan.paths.current)
            why = f"{plan.paths.current} " + ("removed" if gone else "does not exist")
            if request.job_id is not None and not self._task.check_mode:
                known.forget(request.job_id)  # the job's inventory no longer holds this deployment's hosts
            result.update(changed=gone or held, why=f"{stopped}; {why}" if stopped else why,
                          background=stopped or ("would be stopped" if held else ""))
            del result["plan"]
            return result
        if args["state"] == "loaded":  # the current deployment file's hosts: no step of its own to plan
            result.update(changed=False)
            del result["plan"]
        started = None
        if plan.run and args["state"] == "started" and not self._task.check_mode:
            try:
                outcome = start.run(request, plan, error_line=error_line)
            except start.StartError as exc:
                result.update(failed=True, msg=str(exc), rc=exc.rc, stdout=exc.stdout, stderr=exc.stderr,
                              cmd=exc.cmd or result["cmd"])
                return result
            started = outcome["started"]
            result.update(rc=outcome["rc"], stdout=outcome["stdout"], stderr=outcome["stderr"],
                          elapsed=outcome["elapsed"], cmd=outcome["argv"])
        try:
            if os.path.isfile(plan.paths.deployment):
                result["hosts"] = start.deployed(request, plan, not_older_than=started)
            elif not self._task.check_mode:
                result.update(failed=True,
                              msg=f"{plan.paths.deployment} does not exist: deploy first (ansible-playbook deploy.yml)")
        except OarNxcError as exc:
            result.update(failed=True, msg=str(exc))
        result["probe"] = not (plan.run and args["state"] == "started") and bool(result["hosts"])
        grouped = bool(result["changed"] and args["started_group"])
        result["inventory_refresh"], result["inventory_record"] = False, ""
        # a refresh gives the recorded hosts, not the started group
        least = None if grouped else known.REFRESH_FROM if args["refresh_from"] is None else args["refresh_from"]
        added = result["hosts"]
        if not result.get("failed"):
            added = self._to_add(request, plan, added, task_vars, result, least)
        if grouped:  # a play over the started group waits for these hosts only after a start
            added = [{**h, "groups": [*h["groups"], args["started_group"]]} for h in added]
        result["add_hosts"] = added
        return result

    def _to_add(self, request: Any, plan: Any, hosts: list[dict[str, Any]], task_vars: dict[str, Any],
                result: dict[str, Any], refresh_from: int | None) -> list[dict[str, Any]]:
        """The deployed hosts the play must add to its inventory: none when the inventory already read them from
        the job's record (oar_nxc.inventory.known) and the record is what nxc start gives now; else all, and the
        record is written for the next run's inventory. When that record was written, for at least REFRESH_FROM
        hosts (None: never), and the inventory's every source is one the oar_nxc plugin reads the job's record
        for, RESULT says so (inventory_refresh): a refresh of the inventory then gives these hosts, with no
        add_host per host."""
        from oar_nxc.plugin_api import known

        if request.job_id is None or not hosts or not plan.machines:
            return hosts
        groups, hostvars = task_vars.get("groups", {}), task_vars.get("hostvars", {})
        of_job = groups.get(f"oar_job_{request.job_id}") or []
        machine = (hostvars.get(of_job[0]) or {}) if of_job else {}  # the job's variables, one host's read
        identity = known.job_identity(machine.get("oar_job"), machine.get("oar_nodefile"))
        record = known.make(request.job_id, plan.machines, plan.paths.deployment, hosts, identity)
        path = known.record_path(request.job_id)
        deployed = set(groups.get("nxc_nodes", []))
        if all(h["name"] in deployed for h in hosts) and known.read(path) == record:
            first = hostvars.get(hosts[0]["name"]) or {}
            if first.get(known.RECORD_VAR) == path:  # the inventory holds the recorded hosts (one host's vars read)
                return []
        if not self._task.check_mode:
            try:
                known.write(record)
            except OSError as exc:  # a cache: the run goes on, its hosts added as before
                self._display.warning(f"nxc_start: the deployed hosts are not recorded for the next run: {exc}")
            else:
                result["inventory_record"] = path
                result["inventory_refresh"] = refresh_from is not None and len(hosts) >= refresh_from and \
                    known.read_by_plugin(task_vars.get("ansible_inventory_sources"))
        return hosts
