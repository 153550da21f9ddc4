"""Shared test helpers: the repository root, a clean environment, and CLI runners."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.testbed import oar_testbed as tb

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
BIN = Path(sys.executable).parent
# where the playbooks copy the shipped compositions (oar_nxc_work_dir) during the tests, instead of
# the user's ~/.local/share/oar-nxc/work; removed at the end of the session
WORK_DIR = Path(tempfile.mkdtemp(prefix="oar-nxc-test-work-"))
# whoever imports this module without running its session hooks (ansible-test units imports it as a plain
# module beside its own copy, the bench imports it) made a WORK_DIR too: it goes when that process ends
atexit.register(shutil.rmtree, WORK_DIR, True)
# where nxc_start records each OAR job's deployed hosts (oar_nxc.inventory.known), instead of the user's
# ~/.local/state/oar-nxc: XDG_STATE_HOME of every command the tests run and of the test process itself
STATE_DIR = WORK_DIR / "state"
# what the real tools leave in /tmp during the tests: nxc's vm flavour its VMs' state directories
# (/tmp/vm-state-<host>, /tmp/shared-xchg), Ansible the payload of a module its timeout killed, the deployment fixtures'
# generator its fixed work directory (tests/fixtures/deployments/generate.py); those that were not there
# before the session are removed at its end
LEFT_IN_TMP = ("vm-state-*", "shared-xchg", "ansible_oar.nxc.*_payload_*", "oar-nxc-fixtures")
BEFORE_IN_TMP = {p for pattern in LEFT_IN_TMP for p in Path(tempfile.gettempdir()).glob(pattern)}
# the testbed's logs (tests/testbed/testbed.sh, TESTBED_LOG): kept after a failed session, for its post-mortem;
# removed after a passing one that found neither them nor a testbed up, and left it down
TESTBED_UP = tb.STATE / "nodes"
TESTBED_LOG_BEFORE = tb.LOG.exists() or TESTBED_UP.exists()


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that would change what Ansible or the plugin reads."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "OAR_")) and k not in ("PYTHONPATH",)}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    # the fixtures' job ids are not jobs of this machine's OAR (the testbed's): tests that read a
    # live job (a testbed reservation) ask for it
    env["OAR_NXC_LIVE_JOB"] = "never"
    env["OAR_NXC_WORK_DIR"] = str(WORK_DIR)
    env["XDG_STATE_HOME"] = str(STATE_DIR)
    env.update(extra)
    return env


def run(argv: list[str], *, cwd: Path = REPO, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env or clean_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)


def unwrap(value: Any) -> Any:
    """Drop ansible-core 2.19's ``{"__ansible_unsafe": ...}`` wrappers from --list output."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return unwrap(value["__ansible_unsafe"])
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def inventory_list(source: Path | str, *, cwd: Path = REPO, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``ansible-inventory -i SOURCE --list`` from ``cwd``, parsed and unwrapped."""
    result = run([str(BIN / "ansible-inventory"), "-i", str(source), "--list"], cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return unwrap(json.loads(result.stdout))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OAR_* or ANSIBLE_* variable of the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith(("ANSIBLE_", "OAR_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_STATE_HOME", str(STATE_DIR))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    for pattern in LEFT_IN_TMP:
        for path in Path(tempfile.gettempdir()).glob(pattern):
            if path not in BEFORE_IN_TMP and path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
    if exitstatus == 0 and not TESTBED_LOG_BEFORE and not TESTBED_UP.exists() and tb.LOG.is_dir() \
            and not tb.LOG.is_symlink():
        shutil.rmtree(tb.LOG, ignore_errors=True)
