# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Modules that decide on the controller when they run there: the no-op path without a module process.

nxc_version, nix_setup and nxc_build run on the controller in every run of deploy.yml (nix and nxc run
where the playbooks run), and on a rerun each only finds that nothing is to do. Sent as a module, each
costs a Python process that unpacks AnsiballZ and imports ``ansible.module_utils.basic``: about 0.35 s
here, three times a run, for a decision that reads a few files.

Such a module keeps its logic in ``decide(module)``, written against the part of ``AnsibleModule`` it
uses (``params``, ``check_mode``, ``run_command``, ``exit_json``, ``fail_json``). ``decide`` either ends
the task (``exit_json``/``fail_json``: an answer, or a dry run's plan) or returns when a change must be
made; the module's ``main()`` then makes it. Its action (:class:`LocalFirstAction`) runs ``decide`` in
the controller's worker, with :class:`InProcess` for ``AnsibleModule``, when the task would run the
module there anyway: the ``local`` connection, without become, async or a task ``environment``. When
``decide`` returns, or on any other connection, the module runs as usual (``ansible.builtin.normal``),
and it decides again: the decision is read-only, the change is always the module's.
"""

from __future__ import annotations

import importlib
import os
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NoReturn

from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible_collections.oar.nxc.plugins.plugin_utils.action import documented_spec

# a command run by a decision reads a version or a setting: bounded, so that a hung tool fails the task
DECIDE_COMMAND_TIMEOUT = 120  # seconds


class Finished(Exception):
    """``exit_json`` or ``fail_json`` of :class:`InProcess`: the task's result."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result.get("msg", ""))
        self.result = result


class InProcess:
    """What a module's ``decide`` uses of ``AnsibleModule``, in the controller's worker."""

    def __init__(self, params: Mapping[str, Any], check_mode: bool) -> None:
        self.params = dict(params)
        self.check_mode = check_mode

    def run_command(self, args: Sequence[str], cwd: str | None = None,
                    environ_update: Mapping[str, str] | None = None) -> tuple[int, str, str]:
        """Run ARGS (an argument list, never a shell) as ``AnsibleModule.run_command`` does: rc, stdout, stderr;
        a missing command is rc 127 with the error, not an exception."""
        env = {**os.environ, **{str(k): str(v) for k, v in (environ_update or {}).items()}}
        try:
            done = subprocess.run(list(args), cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=DECIDE_COMMAND_TIMEOUT, check=False)
        except OSError as exc:
            return 127, "", f"{args[0]}: {exc.strerror or exc}"
        except subprocess.TimeoutExpired:
            return 124, "", f"{args[0]}: no answer within {DECIDE_COMMAND_TIMEOUT} s"
        return (done.returncode, done.stdout.decode("utf-8", errors="replace"),
                done.stderr.decode("utf-8", errors="replace"))

    def exit_json(self, **result: Any) -> NoReturn:
        raise Finished({**result, "invocation": {"module_args": self.params}})

    def fail_json(self, msg: str, **result: Any) -> NoReturn:
        raise Finished({**result, "failed": True, "msg": msg, "invocation": {"module_args": self.params}})


class LocalFirstAction(NormalAction):
    """The action of module ``oar.nxc.<NAME>``: its ``decide`` in process on the local connection, else the
    module."""

    NAME: ClassVar[str] = ""  # plugins/modules/NAME.py: its DOCUMENTATION and decide()

    @classmethod
    def argument_spec(cls) -> dict[str, Any]:
        """The module's documented options, as every oar.nxc action validates (plugin_utils/action.py)."""
        return documented_spec(cls.NAME)

    def in_process(self) -> bool:
        """Whether the module would run in this very environment: the controller, as this user, unchanged."""
        return (getattr(self._connection, "transport", "") == "local" and not self._play_context.become
                and not self._task.async_val and not any(self._task.environment or []))  # a task has [{}]

    def run(self, tmp: Any = None, task_vars: Any = None) -> dict[str, Any]:
        if not self.in_process():
            return dict(super().run(tmp, task_vars))
        result = dict(super(NormalAction, self).run(tmp, task_vars))  # ActionBase's checks, not the module
        module = importlib.import_module(f"ansible_collections.oar.nxc.plugins.modules.{self.NAME}")
        _unused, args = self.validate_argument_spec(argument_spec=self.argument_spec())
        try:
            module.decide(InProcess(args, bool(self._task.check_mode)))
        except Finished as done:
            result.update(done.result)
            return result
        return dict(super().run(tmp, task_vars))  # a change to make: the module makes it
