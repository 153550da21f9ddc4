"""A real ansible-core action harness for the oar.nxc actions: each test runs the action as the
task executor does (a Task loaded from its YAML form, a PlayContext, the `local` connection
plugin, a DataLoader and a Templar), without a play or an inventory."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins import loader as plugin_loader
from ansible.template import Templar

RunAction = Callable[..., dict[str, Any]]


def make_action(name: str, args: dict[str, Any], *, check_mode: bool = False, connection: str = "local",
                play_context: PlayContext | None = None) -> Any:
    """Action oar.nxc.NAME for a task with ARGS, over a real CONNECTION plugin (not connected)."""
    data_loader = DataLoader()
    task = Task.load({f"oar.nxc.{name}": args}, loader=data_loader)
    task.check_mode = check_mode
    play_context = play_context or PlayContext()
    conn = plugin_loader.connection_loader.get(connection, play_context, os.devnull)
    action = plugin_loader.action_loader.get(f"oar.nxc.{name}", task=task, connection=conn,
                                             play_context=play_context, loader=data_loader,
                                             templar=Templar(loader=data_loader), shared_loader_obj=plugin_loader)
    assert action is not None, name
    return action


def run_action(name: str, args: dict[str, Any], task_vars: dict[str, Any] | None = None, *,
               check_mode: bool = False) -> dict[str, Any]:
    """Run action oar.nxc.NAME with ARGS and TASK_VARS; its result, or AnsibleActionFail as raised."""
    return dict(make_action(name, args, check_mode=check_mode).run(task_vars=task_vars or {}))


@pytest.fixture
def action() -> RunAction:
    return run_action
