# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Action: the deployed host reports the role its deployment file gives it (/etc/nxc/role).

Runs on each deployed host of a play (in parallel, with forks), over the host's own connection
(ssh, or docker exec), without Python on the host: ``cat /etc/nxc/role``. With a timeout it
waits, retrying the connection, until the host answers with the right role (nxc itself ignores
the exit status of its launch commands). With ``timeout: 0`` it probes once and never fails: the
result (``ok``, ``role``, ``error``) becomes the fact ``nxc_role_probe`` that ``oar.nxc.nxc_start``
reads to start again when a recorded deployment is gone.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from ansible.errors import AnsibleError
from ansible_collections.oar.nxc.plugins.plugin_utils.action import OarNxcAction

ROLE_FILE = "/etc/nxc/role"


class ActionModule(OarNxcAction):
    NAME = "nxc_role"
    NEEDS_CORE = False
    _requires_connection = True  # it asks the host, over its connection

    def _ask(self) -> tuple[str | None, str, bool]:
        """(role reported or None, error, whether the host answered at all)."""
        try:
            res = self._low_level_execute_command(f"cat {ROLE_FILE}", sudoable=False)
        except AnsibleError as exc:  # connection refused, timed out, host key, auth
            return None, " ".join(str(exc).split())[:300], False
        if res.get("rc") == 255 and self._connection.transport in ("ssh", "ansible.builtin.ssh"):
            return None, " ".join(str(res.get("stderr", "")).split())[:300] or "ssh failed (rc 255)", False
        if res.get("rc") != 0:
            err = " ".join(str(res.get("stderr") or res.get("stdout") or "").split())
            return None, f"cat {ROLE_FILE}: rc {res.get('rc')}: {err[:200]}", True
        return str(res.get("stdout", "")).strip(), "", True

    def act(self, args: dict[str, Any], task_vars: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        expected, timeout, sleep = args["role"], max(0, args["timeout"]), max(1, args["sleep"])
        host = self._task.delegate_to or (task_vars or {}).get("inventory_hostname", "")
        address = (task_vars or {}).get("ansible_host", host)
        started = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            role, error, answered = self._ask()
            if role == expected:
                break
            if role is not None:
                error = f"{ROLE_FILE} says {role or '(empty)'}, the deployment file says {expected}"
            if time.monotonic() - started + sleep > timeout:
                break
            time.sleep(sleep)
            with contextlib.suppress(AttributeError, AnsibleError):  # a fresh ssh master next time
                self._connection.reset()
        ok = role == expected
        elapsed = round(time.monotonic() - started, 3)
        probe = {"host": host, "address": address, "ok": ok, "role": role, "expected": expected, "error": error}
        result.update(changed=False, ok=ok, role=role, expected=expected, attempts=attempts, elapsed=elapsed,
                      ansible_facts={"nxc_role_probe": probe})
        if timeout == 0:
            result["msg"] = f"{host} reports {role}" if ok else f"{host} ({address}): {error}"
        elif not ok:
            msg = f"{host} ({address}) does not report its role after {timeout} s: {error}"
            # never answered: Ansible's unreachable (the CLI's exit code 4), else a failure
            result.update(msg=msg, **({"failed": True} if answered else {"unreachable": True}))
        else:
            result["msg"] = f"{host} reports {role} after {elapsed} s"
        return result
