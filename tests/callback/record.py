"""Test helper callback: record every task result per play, task and host into a JSON file.

ansible-core 2.19 no longer ships the json stdout callback; the tests enable this one beside
the default output: ANSIBLE_CALLBACK_PLUGINS=tests/callback ANSIBLE_CALLBACKS_ENABLED=record
OAR_NXC_RECORD=<file>. Same shape as the json callback: {"plays": [{"play": {"name"},
"tasks": [{"task": {"name"}, "hosts": {host: result}}]}], "stats": {...}}.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: record
type: aggregate
short_description: record task results as JSON (oar-nxc tests)
description: Writes every task result, per play, task and host, to the file in OAR_NXC_RECORD.
requirements: [enable in configuration]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.plays: list[dict[str, Any]] = []

    def v2_playbook_on_play_start(self, play: Any) -> None:
        self.plays.append({"play": {"name": play.get_name(), "started": time.time()}, "tasks": []})

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        if self.plays:
            self.plays[-1]["tasks"].append({"task": {"name": task.get_name(), "action": task.action,
                                                     "delay": task.delay, "started": time.time()}, "hosts": {}})

    def _record(self, result: Any, **extra: Any) -> None:
        if not self.plays or not self.plays[-1]["tasks"]:
            return
        data = dict(result._result)
        data.update(extra)
        data["_ended"] = time.time()
        data["_delay"] = getattr(result._task, "delay", None)  # templated, unlike at task start
        self.plays[-1]["tasks"][-1]["hosts"][result._host.get_name()] = json.loads(
            json.dumps(data, default=str))

    def v2_runner_on_ok(self, result: Any) -> None:
        self._record(result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._record(result, failed=True, ignore_errors=ignore_errors)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._record(result, unreachable=True)

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        path = os.environ.get("OAR_NXC_RECORD")
        if path:
            with open(path, "w", encoding="utf-8") as out:
                json.dump({"plays": self.plays, "stats": summary}, out, indent=1)
