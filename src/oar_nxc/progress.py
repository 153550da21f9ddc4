"""Live progress from ansible-runner events: phase (play), task, hosts ok/failed/unreachable,
elapsed time. A redrawn bar on a terminal, one plain line per play and task otherwise;
``verbose`` passes Ansible's own output through instead."""

from __future__ import annotations

import shutil
import time
from typing import Any, TextIO

from oar_nxc.terminal import shown

BAR = 24


class Progress:
    def __init__(self, out: TextIO, plays: list[str], *, tty: bool | None = None, verbose: bool = False) -> None:
        self.out = out
        self.plays = plays
        self.tty = out.isatty() if tty is None else tty
        self.verbose = verbose
        self.start = time.monotonic()
        self.play_index = 0
        self.play = ""
        self.task = ""
        self.tasks_in_play = 0
        self.ended = False
        self.ok: set[str] = set()
        self.failed: set[str] = set()
        self.unreachable: set[str] = set()
        self._drawn = False

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def __call__(self, event: dict[str, Any]) -> bool:
        """ansible-runner event_handler: update, draw, keep the event."""
        kind = event.get("event", "")
        data = event.get("event_data", {})
        if self.verbose:
            if event.get("stdout"):
                self.out.write(event["stdout"] + "\n")
                self.out.flush()
            self._track(kind, data)
            return True
        self._track(kind, data)
        if kind in ("playbook_on_play_start", "playbook_on_task_start") or kind.startswith("runner_on_"):
            self.draw(line=not kind.startswith("runner_on_"))  # plain mode: a line per play and task
        elif kind == "playbook_on_stats" and self.tty:
            self.draw(line=False)  # the full bar: the playbook ended
        return True

    def _track(self, kind: str, data: dict[str, Any]) -> None:
        host = data.get("host", "")
        if kind == "playbook_on_play_start":
            self.play_index += 1
            self.play = data.get("name", "")
            self.task = ""
            self.tasks_in_play = 0
        elif kind == "playbook_on_stats":
            self.ended = True
        elif kind == "playbook_on_task_start":
            self.task = data.get("task", "")
            self.tasks_in_play += 1
        elif kind == "runner_on_ok" and host:
            self.ok.add(host)
        elif kind == "runner_on_failed" and host and not data.get("ignore_errors"):
            self.failed.add(host)
        elif kind == "runner_on_unreachable" and host:
            self.unreachable.add(host)

    def status(self) -> str:
        total = max(len(self.plays), self.play_index, 1)
        return (f"{self.play_index}/{total} {shown(self.play)}: {shown(self.task)} | hosts ok {len(self.ok)}, "
                f"failed {len(self.failed)}, unreachable {len(self.unreachable)} | {self.elapsed():.1f}s")

    def draw(self, *, line: bool) -> None:
        if self.tty:
            total = max(len(self.plays), self.play_index, 1)
            done = 1.0 if self.ended else (self.play_index - 1 + min(self.tasks_in_play, 20) / 20) / total
            filled = max(0, min(BAR, round(done * BAR)))
            text = f"[{'#' * filled}{'-' * (BAR - filled)}] {self.status()}"
            width = shutil.get_terminal_size((120, 20)).columns
            self.out.write("\r" + text[: width - 1].ljust(width - 1))
            self._drawn = True
        elif line:
            self.out.write(f"[{self.elapsed():7.1f}s] {self.status()}\n")
        self.out.flush()

    def finish(self) -> None:
        if self.tty and self._drawn:
            self.out.write("\n")
            self.out.flush()
