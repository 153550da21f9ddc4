"""oar.nxc.sshd_probe waits for a real TCP port's SSH banner from the controller, bounded by its timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from ansible.errors import AnsibleActionFail
from tests.unit.plugins.action.conftest import RunAction


@pytest.fixture
def banner_port() -> Iterator[int]:
    """A listener on 127.0.0.1 that greets each connection as sshd does."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _unused = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    server.close()


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return int(s.getsockname()[1])


def test_a_port_that_greets_answers(action: RunAction, banner_port: int) -> None:
    result = action("sshd_probe", {"host": "127.0.0.1", "port": banner_port, "timeout": 5})
    assert (result["changed"], result["answered"], result["address"], result["port"]) == (
        False, True, "127.0.0.1", banner_port)
    assert result.get("failed") is not True and 0 <= result["elapsed"] < 5


def test_a_closed_port_fails_after_the_timeout_naming_the_error(action: RunAction) -> None:
    port = closed_port()
    start = time.monotonic()
    result = action("sshd_probe", {"host": "127.0.0.1", "port": port, "timeout": 1})
    took = time.monotonic() - start
    assert (result["failed"], result["answered"], result["error"]) == (True, False, "connection refused")
    assert result["msg"] == f"127.0.0.1:{port}: no ssh banner within 1 s: connection refused"
    assert 0.5 <= took < 3, took  # asked again until the next try would pass the timeout


def test_the_probe_runs_in_check_mode_too(action: RunAction, banner_port: int) -> None:
    result = action("sshd_probe", {"host": "127.0.0.1", "port": banner_port, "timeout": 5}, check_mode=True)
    assert result["answered"] is True


@pytest.mark.parametrize("port", [0, 65536, -22])
def test_a_port_out_of_range_is_refused(action: RunAction, port: int) -> None:
    result = action("sshd_probe", {"host": "127.0.0.1", "port": port, "timeout": 1})
    assert (result["failed"], result["msg"]) == (True, f"port: {port} is not a TCP port (1-65535)")


def test_the_host_is_required(action: RunAction) -> None:
    with pytest.raises(AnsibleActionFail, match="host"):
        action("sshd_probe", {"port": 22})
