"""oar_nxc.sshmux against a peer that plays a ControlMaster's side of the protocol on a real Unix socket, the
stdio descriptors passed for real: the faults a real master never shows (a wrong version, a refusal, a
hostile length, a hang, a flood). A real OpenSSH master on the testbed: tests/integration/test_testbed.py."""

from __future__ import annotations

import os
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from oar_nxc import sshmux

Behaviour = Callable[[socket.socket], None]


def u32(value: int) -> bytes:
    return struct.pack(">I", value)


def read_packet(conn: socket.socket) -> bytes:
    size = struct.unpack(">I", conn.recv(4, socket.MSG_WAITALL))[0]
    return conn.recv(size, socket.MSG_WAITALL)


def hello(conn: socket.socket, version: int = 4) -> None:
    assert read_packet(conn) == u32(sshmux.HELLO) + u32(4)
    conn.sendall(sshmux.packet(u32(sshmux.HELLO), u32(version)))


def session(conn: socket.socket) -> tuple[bytes, list[int]]:
    """The new-session request and the three descriptors that follow it."""
    request = read_packet(conn)
    fds = []
    for _unused in range(3):
        _data, received, _flags, _addr = socket.recv_fds(conn, 1, 1)
        fds += received
    return request, fds


def opened(conn: socket.socket) -> list[int]:
    hello(conn)
    _request, fds = session(conn)
    conn.sendall(sshmux.packet(u32(sshmux.SESSION_OPENED), u32(sshmux.REQUEST_ID), u32(7)))
    return fds


@pytest.fixture
def master() -> Iterator[Callable[[Behaviour], str]]:
    """A socket path whose peer plays BEHAVIOUR for one connection."""
    short = tempfile.mkdtemp(dir="/tmp", prefix="mux")  # pytest's tmp_path is too deep for a socket
    threads: list[threading.Thread] = []
    listeners: list[socket.socket] = []

    def start(behaviour: Behaviour) -> str:
        path = os.path.join(short, f"m{len(listeners)}")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(1)
        listeners.append(listener)

        def serve() -> None:
            conn, _addr = listener.accept()
            with conn:
                behaviour(conn)
        threads.append(threading.Thread(target=serve, daemon=True))
        threads[-1].start()
        return path

    yield start
    for listener in listeners:
        listener.close()
    for thread in threads:
        thread.join(5)
    for name in os.listdir(short):
        os.unlink(os.path.join(short, name))
    os.rmdir(short)


def test_the_command_runs_with_its_output_on_the_passed_descriptors_and_its_exit_status(master) -> None:
    seen: list[bytes] = []

    def behaviour(conn: socket.socket) -> None:
        hello(conn)
        request, (stdin, out, err) = session(conn)
        seen.append(request)
        seen.append(os.read(stdin, 10))  # the caller's stdin is /dev/null
        conn.sendall(sshmux.packet(u32(sshmux.SESSION_OPENED), u32(sshmux.REQUEST_ID), u32(7)))
        os.write(out, b"node\n")
        os.write(err, b"a warning\n")
        for fd in (stdin, out, err):
            os.close(fd)
        conn.sendall(sshmux.packet(u32(sshmux.EXIT_MESSAGE), u32(7), u32(3)))
    assert sshmux.run(master(behaviour), "cat /etc/nxc/role", 5) == (3, "node\n", "a warning\n")
    assert seen == [sshmux.new_session("cat /etc/nxc/role")[4:], b""]
    # no tty, X11, agent or subsystem, no escape character, no terminal, then the command
    assert seen[0] == (u32(sshmux.NEW_SESSION) + u32(1) + u32(0) + u32(0) + u32(0) + u32(0) + u32(0)
                       + u32(0xFFFFFFFF) + u32(0) + u32(17) + b"cat /etc/nxc/role")


@pytest.mark.parametrize(("behaviour", "said"), [
    (lambda conn: conn.sendall(sshmux.packet(u32(sshmux.HELLO), u32(3))), "not a version 4 ssh master (type 0x1)"),
    (lambda conn: conn.sendall(sshmux.packet(u32(0x80000001), u32(4))), "not a version 4 ssh master"),
    (lambda conn: conn.sendall(u32(1 << 31) + b"xxxx"), "not an ssh master's reply (a packet of 2147483648 bytes)"),
    (lambda conn: conn.sendall(u32(2) + b"xx"), "not an ssh master's reply (a packet of 2 bytes)"),
    (lambda conn: (read_packet(conn), conn.close()), "the master closed the connection"),
    (lambda conn: (hello(conn), session(conn), conn.sendall(sshmux.packet(
        u32(sshmux.PERMISSION_DENIED), u32(1), u32(14) + b"not permitted"))),
     "the master refused the session: not permitted"),
    (lambda conn: (hello(conn), session(conn), conn.sendall(sshmux.packet(u32(sshmux.SESSION_OPENED), u32(9),
                                                                          u32(7)))),
     "unexpected reply 0x80000006 to a new session"),
])
def test_a_socket_without_a_usable_master_is_unavailable_and_the_caller_runs_ssh(master, behaviour, said) -> None:
    path = master(behaviour)
    with pytest.raises(sshmux.Unavailable) as error:
        sshmux.run(path, "true", 5)
    assert str(error.value).startswith(f"{path}: ")
    assert said in str(error.value)


def test_no_socket_or_a_stale_one_is_unavailable_at_once(master) -> None:
    path = master(lambda conn: (read_packet(conn), conn.close()))
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale_path = str(Path(path).with_name("stale"))
    stale.bind(stale_path)  # bound, never listening: as the socket of a master that was killed
    stale.close()
    started = time.monotonic()
    for missing, said in ((str(Path(path).with_name("none")), "No such file or directory"),
                          (stale_path, "Connection refused")):
        with pytest.raises(sshmux.Unavailable, match=said):
            sshmux.run(missing, "true", 5)
    assert time.monotonic() - started < 1
    with pytest.raises(sshmux.Unavailable, match="the master closed the connection"):
        sshmux.run(path, "true", 0.5)


def test_a_master_that_never_says_hello_is_bounded_by_the_limit(master) -> None:
    gate = threading.Event()
    path = master(lambda conn: gate.wait(5))
    started = time.monotonic()
    with pytest.raises(sshmux.Unavailable, match=r"no reply within 0\.5 s"):
        sshmux.run(path, "true", 0.5)
    gate.set()
    assert time.monotonic() - started < 2


def test_a_session_without_an_exit_status_is_ssh_s_own_failure_255(master) -> None:
    def behaviour(conn: socket.socket) -> None:
        for fd in opened(conn):
            os.close(fd)
    assert sshmux.run(master(behaviour), "true", 5) == (
        255, "", "the shared ssh connection closed without the command's exit status")


def test_a_session_that_hangs_is_no_answer_within_the_limit(master) -> None:
    gate = threading.Event()

    def behaviour(conn: socket.socket) -> None:
        fds = opened(conn)
        gate.wait(5)
        for fd in fds:
            os.close(fd)
    started = time.monotonic()
    assert sshmux.run(master(behaviour), "sleep 60", 0.5) == (None, "", "no answer within 0.5 s")
    assert time.monotonic() - started < 2
    gate.set()


def test_a_flood_of_output_is_kept_to_its_bound_and_the_status_still_read(master) -> None:
    def behaviour(conn: socket.socket) -> None:
        stdin, out, err = opened(conn)
        for _unused in range(16):
            os.write(out, b"x" * 65536)
        for fd in (stdin, out, err):
            os.close(fd)
        conn.sendall(sshmux.packet(u32(sshmux.EXIT_MESSAGE), u32(7), u32(0)))
    rc, out, err = sshmux.run(master(behaviour), "cat /dev/zero", 10)
    assert (rc, len(out), out[:3], err) == (0, sshmux.MAX_OUTPUT, "xxx", "")


def test_an_exit_message_for_another_session_is_not_this_command_s_status(master) -> None:
    def behaviour(conn: socket.socket) -> None:
        fds = opened(conn)
        conn.sendall(sshmux.packet(u32(sshmux.EXIT_MESSAGE), u32(8), u32(0)) + sshmux.packet(u32(0x80000008), u32(7)))
        for fd in fds:
            os.close(fd)
    assert sshmux.run(master(behaviour), "true", 5)[0] == 255


def test_a_peer_that_answered_and_closed_before_the_hello_is_judged_by_its_answer(master, monkeypatch) -> None:
    """The peer's answer is read even when our hello finds the socket closed (EPIPE): the CI's loaded machine
    once ran the peer's whole answer and close before the client's hello."""
    closed = threading.Event()

    def answer_and_close(conn: socket.socket) -> None:
        conn.sendall(sshmux.packet(u32(sshmux.HELLO), u32(3)))
        conn.close()
        closed.set()

    path = master(answer_and_close)

    class AfterTheClose(socket.socket):  # the client's sends wait for the peer's close (the peer's are its own)
        def sendall(self, data: Any, *args: Any) -> None:
            if threading.current_thread() is threading.main_thread():
                assert closed.wait(5)
            super().sendall(data, *args)

    monkeypatch.setattr(sshmux.socket, "socket", AfterTheClose)
    with pytest.raises(sshmux.Unavailable) as error:
        sshmux.run(path, "true", 5)
    assert str(error.value) == f"{path}: not a version 4 ssh master (type 0x1)"
