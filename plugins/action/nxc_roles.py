# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Action: every deployed host reports the role its deployment file gives it (/etc/nxc/role), asked from
the controller at once, in one task.

The decisions are the core's (``oar_nxc.nxc.rolecheck``): one argv per host from the host's own
connection variables (ssh, docker exec, local cat), at most ``parallel`` at a time, retried until one
shared deadline. This action reads the hosts' variables and says what was found. With ``timeout: 0`` it
asks once and never fails: its ``probes`` are what ``oar.nxc.nxc_start`` reads to start again when a
recorded deployment is gone.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.oar.nxc.plugins.plugin_utils import checks
from ansible_collections.oar.nxc.plugins.plugin_utils.action import OarNxcAction

# the host variables the argv is made of (oar_nxc.nxc.rolecheck.target)
READ = ("nxc_role", "ansible_connection", "ansible_host", "ansible_port", "ansible_ssh_port", "ansible_user",
        "ansible_ssh_user", "ansible_ssh_private_key_file", "ansible_private_key_file", "ansible_ssh_common_args",
        "ansible_ssh_extra_args")


class ActionModule(OarNxcAction):
    NAME = "nxc_roles"  # it only reads: it runs in check mode too
    BYPASS_HOST_LOOP = True  # once per task, for the hosts it is given

    def act(self, args: dict[str, Any], task_vars: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        from oar_nxc.plugin_api import OarNxcError, rolecheck

        timeout = max(0, args["timeout"])
        hostvars = task_vars.get("hostvars", {})
        try:
            sockets = rolecheck.control_dir()
        except OSError as exc:  # no home to keep the sockets in: every question opens its own connection
            self._display.warning(f"nxc_roles: ssh connections are not shared ({rolecheck.CONTROL_DIR}: {exc})")
            sockets = ""
        try:
            targets = []
            for host in dict.fromkeys(str(h) for h in args["hosts"]):
                if host not in hostvars:
                    raise OarNxcError(f"host {host}: not in the inventory")
                found = hostvars[host]
                variables = {key: found[key] for key in READ if key in found}
                targets.append(rolecheck.target(host, variables, connect_timeout=args["connect_timeout"],
                                                sockets=sockets))
        except OarNxcError as exc:
            result.update(failed=True, msg=str(exc), oar_nxc_exit=checks.BAD_INPUT)
            return result
        answers = rolecheck.ask(targets, timeout, parallel=args["parallel"], sleep=max(1, args["sleep"]))
        said, unanswered = rolecheck.summary(answers, timeout)
        result.update(changed=False, ok=all(a.ok for a in answers), probes=[a.probe() for a in answers],
                      asked={a.host: a.attempts for a in answers},
                      elapsed=max((a.elapsed for a in answers), default=0.0), msg=said)
        if timeout == 0 or result["ok"]:
            return result
        result["failed"] = True
        if unanswered:  # as Ansible's own unreachable hosts: oar-nxc exit 4
            result["oar_nxc_exit"] = checks.UNREACHABLE
        return result
