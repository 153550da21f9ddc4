"""Run one command over an ssh connection that is already open: a client of OpenSSH's ControlMaster socket,
speaking its multiplexing protocol (OpenSSH's PROTOCOL.mux, version 4) without starting an ``ssh`` process.

What ``ssh -o ControlPath=PATH host command`` does when a master listens on PATH, this does in the calling
process: hello, a new session for COMMAND with the caller's pipes as its stdin, stdout and stderr (passed as
file descriptors), then the command's exit status. An ``ssh`` client process costs 6 to 7 ms of the
controller's CPU before it says anything (loading its libraries and configuration); asking 128 deployed hosts
that way took 0.8 s of CPU on the testbed's 2 cores, against 0.05 s here (issue 28).

:class:`Unavailable` means no master took the session (no socket, a stale one, a master that refused or
does not speak version 4): the caller runs ``ssh`` itself, which opens or replaces the master. Once the
master has opened the session, every outcome is an answer: the command's status, 255 when the master closed
without one (the connection to the host went away), or None when LIMIT seconds passed. Bounded in time (one
deadline) and memory (MAX_PACKET, MAX_OUTPUT); never a shell, the command is one string the remote user's
shell runs, as ssh's own.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import struct
import time

VERSION = 4
HELLO = 0x00000001
NEW_SESSION = 0x10000002
PERMISSION_DENIED = 0x80000002
FAILURE = 0x80000003
EXIT_MESSAGE = 0x80000004
SESSION_OPENED = 0x80000006
NO_ESCAPE = 0xFFFFFFFF
MAX_PACKET = 256 * 1024  # a master's replies are a few bytes; anything larger is not a master
MAX_OUTPUT = 64 * 1024  # kept of each of stdout and stderr; the rest is read and dropped
REQUEST_ID = 1


class Unavailable(Exception):
    """No master took the session on this socket: run ssh itself."""


class _Closed(Exception):
    """The master closed the socket (at the end of a packet, or within one)."""


def _u32(value: int) -> bytes:
    return struct.pack(">I", value)


def _string(data: bytes) -> bytes:
    return _u32(len(data)) + data


def packet(*fields: bytes) -> bytes:
    body = b"".join(fields)
    return _u32(len(body)) + body


def new_session(command: str) -> bytes:
    """MUX_C_NEW_SESSION for COMMAND: no tty, no X11 or agent forwarding, no subsystem, no escape character,
    no terminal type, no environment."""
    return packet(_u32(NEW_SESSION), _u32(REQUEST_ID), _string(b""), _u32(0), _u32(0), _u32(0), _u32(0),
                  _u32(NO_ESCAPE), _string(b""), _string(command.encode()))


class _Reader:
    """Whole packets from the master's socket, each read before DEADLINE."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock, self.deadline, self.buffer = sock, deadline, b""

    def _fill(self, size: int) -> None:
        while len(self.buffer) < size:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.sock.settimeout(left)
            chunk = self.sock.recv(max(4096, size - len(self.buffer)))
            if not chunk:
                raise _Closed
            self.buffer += chunk

    def complete(self) -> bool:
        """Whether a whole packet is already buffered (select() will not say so)."""
        if len(self.buffer) < 4:
            return False
        return len(self.buffer) >= 4 + int(struct.unpack(">I", self.buffer[:4])[0])

    def packet(self) -> tuple[int, bytes]:
        """(The packet's type, the rest of its body)."""
        self._fill(4)
        (size,) = struct.unpack(">I", self.buffer[:4])
        if not 4 <= size <= MAX_PACKET:
            raise ValueError(f"a packet of {size} bytes")
        self._fill(4 + size)
        body, self.buffer = self.buffer[4:4 + size], self.buffer[4 + size:]
        return struct.unpack(">I", body[:4])[0], body[4:]


def _u32_at(body: bytes, index: int) -> int:
    if len(body) < 4 * (index + 1):
        raise ValueError("a truncated packet")
    return int(struct.unpack(">I", body[4 * index:4 * index + 4])[0])


def _refusal(body: bytes) -> str:
    """The message of a MUX_S_PERMISSION_DENIED or MUX_S_FAILURE (request id, string)."""
    if len(body) >= 8:
        size = _u32_at(body, 1)
        return body[8:8 + min(size, 300)].decode(errors="replace")
    return ""


def _open(path: str, command: str, deadline: float) -> tuple[socket.socket, _Reader, int, int, int]:
    """Connect, say hello and open the session; (socket, reader, session id, stdout's and stderr's read
    ends). Unavailable when no master takes it."""
    started = time.monotonic()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ends: list[int] = []
    try:
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        sock.connect(path)
        reader = _Reader(sock, deadline)
        # a peer that answered and closed before our hello: what it sent says why (read below)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(packet(_u32(HELLO), _u32(VERSION)))
        kind, body = reader.packet()
        if kind != HELLO or _u32_at(body, 0) != VERSION:
            raise Unavailable(f"{path}: not a version {VERSION} ssh master (type {kind:#x})")
        for _unused in range(2):
            ends += os.pipe()
        ends.append(os.open(os.devnull, os.O_RDONLY))
        out_r, out_w, err_r, err_w, stdin = ends
        sock.sendall(new_session(command))
        for fd in (stdin, out_w, err_w):  # one byte and one descriptor each, as ssh's mm_send_fd
            socket.send_fds(sock, [b"\0"], [fd])
        for fd in (stdin, out_w, err_w):  # the master holds its copies: the pipes' EOF comes from it
            os.close(fd)
            ends.remove(fd)
        kind, body = reader.packet()
        if kind in (PERMISSION_DENIED, FAILURE):
            raise Unavailable(f"{path}: the master refused the session: {_refusal(body)}")
        if kind != SESSION_OPENED or _u32_at(body, 0) != REQUEST_ID:
            raise Unavailable(f"{path}: unexpected reply {kind:#x} to a new session")
        return sock, reader, _u32_at(body, 1), out_r, err_r
    except BaseException as exc:
        for fd in ends:
            os.close(fd)
        sock.close()
        if isinstance(exc, TimeoutError):  # before OSError: it is one
            raise Unavailable(f"{path}: no reply within {deadline - started:.3g} s") from None
        if isinstance(exc, _Closed):
            raise Unavailable(f"{path}: the master closed the connection") from None
        if isinstance(exc, OSError):
            raise Unavailable(f"{path}: {exc.strerror or exc}") from None
        if isinstance(exc, ValueError):
            raise Unavailable(f"{path}: not an ssh master's reply ({exc})") from None
        raise


def run(path: str, command: str, limit: float) -> tuple[int | None, str, str]:
    """(exit status or None when LIMIT seconds passed, stdout, stderr) of COMMAND run through the master
    listening on PATH; Unavailable when none takes the session."""
    deadline = time.monotonic() + max(0.0, limit)
    sock, reader, session, out_r, err_r = _open(path, command, deadline)
    kept: dict[int, bytearray] = {out_r: bytearray(), err_r: bytearray()}
    status: int | None = None
    selector = selectors.DefaultSelector()
    try:
        selector.register(out_r, selectors.EVENT_READ)
        selector.register(err_r, selectors.EVENT_READ)
        selector.register(sock, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return None, "", f"no answer within {limit:g} s"
            for key, _unused in selector.select(left):
                if key.fileobj is sock:
                    try:
                        kind, body = reader.packet()
                        while True:
                            if kind == EXIT_MESSAGE and _u32_at(body, 0) == session:
                                status = _u32_at(body, 1)
                            # anything else (a tty allocation failure, a newer master's message) says nothing
                            if not reader.complete():
                                break
                            kind, body = reader.packet()
                    except (_Closed, TimeoutError, OSError, ValueError):
                        selector.unregister(sock)
                    continue
                fd = int(key.fd)
                chunk = os.read(fd, 65536)
                if not chunk:
                    selector.unregister(fd)
                    continue
                room = MAX_OUTPUT - len(kept[fd])
                if room > 0:
                    kept[fd] += chunk[:room]
    finally:
        selector.close()
        for fd in (out_r, err_r):
            os.close(fd)
        sock.close()
    out, err = kept[out_r].decode(errors="replace"), kept[err_r].decode(errors="replace")
    if status is None:  # the socket closed (the loop ends only then) without the command's status
        return 255, out, err or "the shared ssh connection closed without the command's exit status"
    return status, out, err
