"""Run the project's playbooks from the repository root and read what they did.

Results come from tests/callback/record.py (per play, task and host) beside the default output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import BIN, REPO, clean_env

TESTBED_VARS = REPO / "tests" / "testbed" / "testbed-vars.yml"
TESTBED_JOBS = "/run/oar-testbed/jobs/"


@dataclass
class Run:
    rc: int
    seconds: float
    result: dict[str, Any] | None  # the record callback's document
    stdout: str
    stderr: str
    argv: list[str]
    started: float = 0.0  # epoch seconds when ansible-playbook was started

    def startup(self) -> float:
        """Seconds from starting ansible-playbook to its first play (Ansible's start-up, inventory included)."""
        plays = (self.result or {}).get("plays", [])
        first = plays[0]["play"].get("started") if plays else None
        return float(first) - self.started if first else 0.0

    def plays(self) -> list[str]:
        return [p["play"]["name"] for p in (self.result or {}).get("plays", [])]

    def changed_in(self, play_name: str) -> list[str]:
        """``task @ host`` for every changed result of the play."""
        out = []
        for play in (self.result or {}).get("plays", []):
            if play["play"]["name"] != play_name:
                continue
            for task in play["tasks"]:
                for host, res in task["hosts"].items():
                    items = res.get("results") if isinstance(res.get("results"), list) else [res]
                    if any(isinstance(i, dict) and i.get("changed") for i in items):
                        out.append(f"{task['task']['name']} @ {host}")
        return out

    def failures(self) -> list[str]:
        out = []
        for play in (self.result or {}).get("plays", []):
            for task in play["tasks"]:
                for host, res in task["hosts"].items():
                    if res.get("failed") or res.get("unreachable"):
                        out.append(f"{task['task']['name']} @ {host}: {res.get('msg', '')}")
        return out

    def explain(self) -> str:
        return f"rc {self.rc} for {' '.join(self.argv)}\n" + "\n".join(self.failures()) + self.stderr[-3000:]


def playbook(name: str, *args: str, inventory: str | None = None, json_output: bool = True,
             testbed: bool = True, compositions: Path | None = None, timeout: float = 900,
             env: dict[str, str] | None = None, wrap: list[str] | None = None) -> Run:
    """Run playbook NAME from the repository root; WRAP, when given, runs before the argv (bench/rusage.py)."""
    argv = [*(wrap or []), str(BIN / "ansible-playbook"), name]
    if inventory:
        argv += ["-i", inventory]
    if testbed:
        argv += ["-e", f"@{TESTBED_VARS}"]
    if compositions:
        argv += ["-e", f"oar_nxc_compositions_dir={compositions}"]
    argv += list(args)
    with tempfile.NamedTemporaryFile(suffix=".json") as record:
        extra = {"ANSIBLE_CALLBACK_PLUGINS": str(REPO / "tests" / "callback"), "ANSIBLE_CALLBACKS_ENABLED": "record",
                 "OAR_NXC_RECORD": record.name} if json_output else {}
        if inventory and inventory.startswith(TESTBED_JOBS):  # a real reservation: OAR knows its job
            extra["OAR_NXC_LIVE_JOB"] = "auto"
        start, started = time.monotonic(), time.time()
        proc = subprocess.run(argv, cwd=REPO, env=clean_env(**extra, **(env or {})), capture_output=True, text=True,
                              timeout=timeout, check=False)
        seconds = time.monotonic() - start
        text = Path(record.name).read_text()
        result = json.loads(text) if json_output and text.strip() else None
    return Run(proc.returncode, seconds, result, proc.stdout, proc.stderr, argv, started)


def copy_compositions(target: Path) -> Path:
    """A private copy of compositions/ (nxc writes build/, deploy/, artifact/ into it)."""
    dest = target / "compositions"
    shutil.copytree(REPO / "compositions", dest, ignore=shutil.ignore_patterns("build", "deploy", "artifact",
                                                                               ".oar-nxc"))
    return dest


def netns_state(machine: str) -> dict[str, str]:
    area = Path("/etc/netns") / machine / "nxc"
    return {name: (area / name).read_text().strip() for name in ("role", "hostname", "ip_addr")
            if (area / name).exists()}


def clear_jobs() -> None:
    """A clean OAR: no job left by an earlier run."""
    from tests.testbed import oar_testbed as tb

    for job in oar_jobs():
        tb.as_user(f"oardel {int(job)}")


def oar_jobs(states: tuple[str, ...] = ("Running", "Waiting", "Launching", "toLaunch")) -> dict[str, str]:
    out = subprocess.run(["oarstat", "-J"], capture_output=True, text=True, check=True, timeout=30).stdout
    data = json.loads(out or "{}")
    return {job: info["state"] for job, info in data.items() if info["state"] in states}


@contextmanager
def user_key_on_the_nodes() -> Iterator[Path]:
    """The testbed user's ssh key (made if it has none), authorized for root on the nodes as Grid'5000's job
    script pushes a user's key; the key and the nodes' authorized keys as they were, after."""
    from tests.testbed import oar_testbed as tb

    home = tb.HOME / ".ssh"
    key = home / "id_ed25519"
    made_key = not key.exists()
    if made_key:
        subprocess.run(["su", "-", tb.USER, "-c",
                        "mkdir -p ~/.ssh && ssh-keygen -q -t ed25519 -N '' -f ~/.ssh/id_ed25519"],
                       check=True, timeout=30)
    authorized = tb.STATE / "authorized_keys"
    before = authorized.read_bytes()
    authorized.write_bytes(before + key.with_suffix(".pub").read_bytes())
    try:
        yield key
    finally:
        authorized.write_bytes(before)
        if made_key:
            shutil.rmtree(home, ignore_errors=True)


def user_vars(path: Path, key: Path) -> Path:
    """A vars file (0600) with the testbed's REST API password and the user's key, as a user keeps them."""
    from tests.testbed import oar_testbed as tb

    path.write_text(f"oar_nxc_smoke_api_password: {(tb.STATE / 'api-password').read_text().strip()}\n"
                    f"oar_nxc_private_key: {key}\noar_nxc_public_key: {key}.pub\n")
    path.chmod(0o600)
    return path
