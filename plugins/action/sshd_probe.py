# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Action: wait until a host's sshd answers (its SSH banner), from the controller.

Runs in a play over the hosts to probe (in parallel, with forks), in the controller's worker for
each host: no connection to the host, no module sent anywhere, only a TCP connection to the port
and its first bytes. A port that refuses (a daemon starting) is asked again until the timeout; a
hung name lookup is bounded by it too (oar_nxc.probes.wait_answer).
"""

from __future__ import annotations

from typing import Any

from ansible_collections.oar.nxc.plugins.plugin_utils.action import OarNxcAction


class ActionModule(OarNxcAction):
    NAME = "sshd_probe"  # it only reads: the probe runs in check mode too

    def act(self, args: dict[str, Any], task_vars: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        from oar_nxc.plugin_api import probes

        port, timeout = args["port"], max(0.0, float(args["timeout"]))
        if not 0 < port < 65536:
            result.update(failed=True, msg=f"port: {port} is not a TCP port (1-65535)")
            return result
        problem, address, waited = probes.wait_answer(probes.Target(args["host"], args["host"], port),
                                                      timeout)
        result.update(changed=False, answered=problem is None, address=address, port=port, elapsed=round(waited, 2))
        if problem is not None:
            result.update(failed=True, error=problem,
                          msg=f"{address}:{port}: no ssh banner within {timeout:g} s: {problem}")
        return result
