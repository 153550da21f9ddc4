# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Action: the OAR smoke checks, run on the submit host (the task's delegate_to).

The decisions are the oar_nxc core's (``oar_nxc.smoke.runner``): which checks, in which order, the
job checks submitted together and awaited in one loop, how each is judged. This action is its
transport: each command goes over the submit host's own connection (no Python needed there for
the OAR commands), each REST API request is made there by a small Python program over the same
connection (``oar_nxc.oar.http_request``: one command, not a module run), and the nodes' addresses
and OAR sshd probes are read from the inventory (``hostvars``).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from ansible_collections.oar.nxc.plugins.plugin_utils.action import OarNxcAction


class _SubmitHost:
    """oar_nxc.smoke.runner.Host over this task's connection."""

    def __init__(self, action: ActionModule, pythons: list[str]) -> None:
        self.action, self.pythons = action, pythons

    def spawn(self) -> _SubmitHost:
        """Another transport to the submit host, for one call on a worker thread beside the job polls:
        a copy of this action with a copy of its connection (and of the connection's shell, which
        holds a module's remote tmpdir), so that no per-command state is shared with the polls.
        Commands over ssh share its ControlMaster, which multiplexes them."""
        clone = copy.copy(self.action)
        connection = copy.copy(self.action._connection)
        if getattr(connection, "_shell", None) is not None:
            connection._shell = copy.copy(connection._shell)
        clone._connection = connection
        return _SubmitHost(clone, self.pythons)

    def run(self, command: str) -> Any:
        from oar_nxc.plugin_api import Output

        # a submit host that does not answer raises AnsibleConnectionFailure, from a worker thread too:
        # Ansible reports it unreachable (oar-nxc exit 4), not as failed checks
        res = self.action._low_level_execute_command(command, sudoable=False)
        return Output(int(res.get("rc", 1)), str(res.get("stdout", "")), str(res.get("stderr", "")))

    def http(self, method: str, url: str, *, headers: dict[str, str] | None = None, body: Any = None,
             user: str | None = None, password: str | None = None) -> tuple[int, Any, str]:
        """The request, made on the submit host (the API may listen on its private network only) by
        oar_nxc.oar.http_client over this connection: the password goes on its stdin."""
        from oar_nxc.plugin_api import Output, http_request

        request = http_request.Request(method, url, headers=dict(headers or {}), body=body, user=user,
                                       password=password)
        res = self.action._low_level_execute_command(
            http_request.command_line(self.pythons, request), sudoable=False,
            in_data=http_request.stdin(request))
        out = Output(int(res.get("rc", 1)), str(res.get("stdout", "")), str(res.get("stderr", "")))
        return http_request.answer(out, request)


def _hosts(hostvars: Any, submit: str, server: str, nodes: list[Any]) -> list[dict[str, str]]:
    """The machines and roles the report shows: the submit host, the server, the compute nodes."""
    out = []
    for name in dict.fromkeys([submit, server, *[n.name for n in nodes]]):
        if not name:
            continue
        hv = hostvars.get(name, {}) if hasattr(hostvars, "get") else {}
        node = next((n for n in nodes if n.name == name), None)
        out.append({"name": name, "role": str(hv.get("nxc_role", "") or ""),
                    "machine": str(hv.get("oar_machine", "") or ""), "ip": str(hv.get("ansible_host", "") or ""),
                    "address": node.address if node is not None else ""})
    return out


def _probe(result: Any) -> str | None:
    """An oar.nxc.sshd_probe result on a node's OAR sshd -> '' (it answered), why not, or None (never
    probed)."""
    if not isinstance(result, dict) or not result or result.get("skipped"):
        return None
    if result.get("answered") is True:
        return ""
    return str(result.get("error") or result.get("msg") or "no answer")


class ActionModule(OarNxcAction):
    NAME = "oar_smoke"
    NO_LOG = frozenset({"api_password"})
    _requires_connection = True  # the commands run over the submit host's connection

    @staticmethod
    def _probe_nodes(nodes: list[dict[str, Any]], port: Any, timeout: Any) -> None:
        """Every node's OAR sshd that no per-node play probed (its ``sshd`` None), from the controller, all at once
        (oar_nxc.probes.wait_all: a port that refuses is asked again until the timeout): one task, not one per
        node."""
        from oar_nxc.plugin_api import probes

        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            return  # the runner's options refuse it, naming the option
        todo = [n for n in nodes if n["sshd"] is None]
        answers = probes.wait_all([probes.Target(n["name"], n["ip"] or n["name"], port) for n in todo],
                                  max(0.0, float(timeout)))
        for node in todo:
            _unused, problem = answers[node["name"]]
            node["sshd"] = problem or ""

    def _pythons(self, task_vars: dict[str, Any]) -> list[str]:
        """The submit host's Python interpreters to try for the REST API requests, as Ansible chooses a
        module's (oar_nxc.oar.http_request.interpreters): with delegate_to, the delegated host's variables."""
        from ansible import constants

        from oar_nxc.plugin_api import http_request

        hv: Any = task_vars
        if self._task.delegate_to:
            hv = (task_vars.get("ansible_delegated_vars") or {}).get(self._task.delegate_to) or task_vars
        configured = hv.get("ansible_python_interpreter") or constants.config.get_config_value(
            "INTERPRETER_PYTHON", variables=hv)
        if isinstance(configured, str) and "{{" in configured:  # as Ansible templates a module's shebang
            configured = self._templar.template(configured)
        discovered = (hv.get("ansible_facts") or {}).get("discovered_interpreter_python")
        fallback = constants.config.get_config_value("INTERPRETER_PYTHON_FALLBACK", variables=hv) or []
        return http_request.interpreters(str(configured or "").strip() or None, str(discovered or "") or None,
                                         [str(p) for p in fallback])

    def act(self, args: dict[str, Any], task_vars: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        from oar_nxc.plugin_api import OarNxcError
        from oar_nxc.plugin_api import runner as smokerun
        from oar_nxc.plugin_api import smoke_checks as smoke

        submit = args["submit"]
        hostvars = task_vars.get("hostvars", {})
        found: list[dict[str, Any]] = []
        for name in args["nodes"]:
            hv = hostvars.get(name, {}) if hasattr(hostvars, "get") else {}
            address = str(hv.get(args["address_var"], name)) if args["address_var"] else name
            found.append({"name": name, "address": address, "machine": str(hv.get("oar_machine", "") or ""),
                          "ip": str(hv.get("ansible_host", "") or ""), "sshd": _probe(hv.get(args["probe_var"]))})
        checks = args["checks"] if args["checks"] is not None else smoke.names()
        if "node_sshd" in checks and not self._task.check_mode:
            self._probe_nodes(found, args["sshd_port"], args["sshd_timeout"])
        nodes = [smokerun.Node(**node) for node in found]
        try:
            options = smokerun.Options(
                user=args["user"], submit=submit, nodes=nodes,
                checks=checks,
                job_types=args["job_types"], walltime=args["walltime"], job_timeout=args["job_timeout"],
                poll_interval=max(smokerun.MIN_POLL_INTERVAL, args["poll_interval"]), concurrent=args["concurrent"],
                grace=max(0, args["grace"]), sshd_port=args["sshd_port"], sshd_timeout=args["sshd_timeout"],
                api_url=args["api_url"], server=args["server"], api_private_url=args["api_private_url"],
                api_password=args["api_password"])
            unknown = [c for c in options.checks if c not in smoke.CHECKS]
            if unknown:
                raise OarNxcError(f"checks: unknown smoke check {', '.join(unknown)}: one of "
                                  f"{', '.join(smoke.names())}")
        except OarNxcError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        result["plan"] = smokerun.plan(options)
        if self._task.check_mode:
            result.update(changed=False, msg=result["plan"]["command"], results=[])
            return result
        if not nodes or not submit or self._task.delegate_to != submit:
            result.update(failed=True, msg="Nothing to test: no compute node or no submit host in the inventory "
                                           "(deploy first, or give the deployment file as the inventory)")
            return result
        report: dict[str, Any] = {"submit_host": submit, "user": options.user, "nodes": [n.name for n in nodes],
                                  "addresses": options.addresses, "build": args["build"],
                                  "hosts": _hosts(hostvars, submit, args["server"], nodes)}
        report["started"] = time.time()
        results = smokerun.run(_SubmitHost(self, self._pythons(task_vars)), options, progress=self._display.v)
        report.update(ended=time.time(), checks=results, summary=smokerun.summary(results),
                      oar_version=smokerun.oar_version(results))
        if args["report_dir"]:  # on the controller, where this action runs
            from oar_nxc.plugin_api import reports

            result["report_files"] = reports.write(report, args["report_dir"])
        failed = [r for r in results if r["status"] == "failed"]
        where = f" (reports in {args['report_dir']})" if args["report_dir"] else ""
        for line in smokerun.lines(results):  # what a person reads first, on the controller's output
            self._display.display(f"  {line}")
        result.update(changed=any(r.get("job") for r in results), results=results, report=report,
                      failed_checks=[r["name"] for r in failed],
                      ansible_facts={"oar_smoke_results": results, "oar_smoke_report": report},
                      msg=f"{report['summary']['passed']} passed, {len(failed)} failed, "
                          f"{report['summary']['skipped']} skipped{where}")
        if failed and args["fail"]:  # after the reports: the verdict, naming each failed check
            result.update(failed=True, msg=(
                f"OAR smoke: {len(failed)} of {len(results)} checks failed: "
                + "; ".join(f"{r['name']}: {r['message']}" for r in failed) + where))
        return result
