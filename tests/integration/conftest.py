"""Fixtures of the integration tests that run on the local OAR testbed (root only)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from tests.conftest import REPO
from tests.testbed import oar_testbed as tb

SCRIPT = REPO / "tests" / "testbed" / "testbed.sh"


def run_testbed(action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), action], capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "TESTBED_NODES": "4"})


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    was_up = (tb.STATE / "nodes").exists()
    result = run_testbed("up")
    assert result.returncode == 0, result.stdout + result.stderr
    yield
    if not was_up:
        run_testbed("down")


def ssh(host: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ssh", "-o", "BatchMode=yes", "-i", str(tb.STATE / "id_ed25519"), "-o",
                           f"UserKnownHostsFile={tb.STATE / 'known_hosts'}", f"root@{host}", command],
                          capture_output=True, text=True, timeout=30, check=False)
