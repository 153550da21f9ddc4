"""The REST client against hostile answers: credentials go to the origin they were given only, and an answer that
breaks HTTP or JSON is a named error, never an exception that escapes (the real client, run as the host runs it,
against servers on the loopback)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oar_nxc.oar.http_request import Request
from tests.unit.oar_nxc.oar.test_http_request import Server, on_host

PASSWORD = "s3cret"  # noqa: S105 (the test's own servers)
AUTH = "Basic " + base64.b64encode(f"oartest:{PASSWORD}".encode()).decode()


class Recorder(BaseHTTPRequestHandler):
    """Answers 200 {} and keeps the Authorization header it was sent; /go redirects to ?to=URL."""

    seen: ClassVar[list[tuple[int, str, str | None]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.seen.append((self.server.server_address[1], self.path, self.headers.get("Authorization")))
        if self.path.startswith("/go?to="):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/go?to="))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@pytest.fixture
def two_servers() -> Iterator[tuple[str, str]]:
    servers = [Server(("127.0.0.1", 0), Recorder) for _unused in range(2)]
    for httpd in servers:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    Recorder.seen.clear()
    try:
        yield tuple(f"http://127.0.0.1:{s.server_address[1]}" for s in servers)  # type: ignore[misc]
    finally:
        for httpd in servers:
            httpd.shutdown()
            httpd.server_close()


def test_a_redirect_to_another_origin_does_not_carry_the_password(two_servers: tuple[str, str]) -> None:
    api, elsewhere = two_servers
    got, _line = on_host(Request("GET", f"{api}/go?to={elsewhere}/steal", user="oartest", password=PASSWORD))
    assert got == (200, {}, "")
    api_port, other_port = (int(u.rsplit(":", 1)[1]) for u in two_servers)
    assert Recorder.seen == [(api_port, f"/go?to={elsewhere}/steal", AUTH), (other_port, "/steal", None)]


def test_a_redirect_within_the_origin_keeps_the_password(two_servers: tuple[str, str]) -> None:
    api, _elsewhere = two_servers
    got, _line = on_host(Request("GET", f"{api}/go?to=/oarapi/jobs.json", user="oartest", password=PASSWORD))
    assert got == (200, {}, "")
    port = int(api.rsplit(":", 1)[1])
    assert Recorder.seen == [(port, "/go?to=/oarapi/jobs.json", AUTH), (port, "/oarapi/jobs.json", AUTH)]


def test_a_redirect_to_the_same_host_on_another_port_or_scheme_does_not_carry_it(two_servers: tuple[str, str]) -> None:
    api, _elsewhere = two_servers
    other = api.replace("127.0.0.1", "localhost")  # the same server by another name: another origin all the same
    got, _line = on_host(Request("GET", f"{api}/go?to={other}/x", user="oartest", password=PASSWORD))
    assert got == (200, {}, "")
    assert [auth for _port, _path, auth in Recorder.seen] == [AUTH, None]


@contextmanager
def raw_server(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server on the loopback that reads a request and writes ANSWER's bytes, whatever HTTP says."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _addr = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                    answer(conn)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


ANSWERS: dict[str, bytes] = {
    "an invalid status line": b"HELLO THERE\r\n\r\n",
    "a 70,000-byte header": b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\nContent-Length: 2\r\n\r\n{}",
    "150 headers": b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150))
                   + b"Content-Length: 2\r\n\r\n{}",
    "a truncated body": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}",
}


@pytest.mark.parametrize("case", sorted(ANSWERS))
def test_an_answer_that_breaks_http_is_a_named_request_failure(case: str) -> None:
    with raw_server(lambda conn: conn.sendall(ANSWERS[case])) as url:
        began = time.monotonic()
        status, body, error = on_host(Request("GET", f"{url}/oarapi/version.json", timeout=5))[0]
        assert time.monotonic() - began < 15
    assert body is None
    assert error.startswith("Request failed: "), error
    assert "Traceback" not in error and len(error) < 400
    if case == "a truncated body":
        assert (status, error) == (200, "Request failed: the answer ended after 2 of its 100 bytes")
    else:
        assert status == -1
        assert {"an invalid status line": "BadStatusLine", "a 70,000-byte header": "LineTooLong",
                "150 headers": "HTTPException"}[case] in error


def test_a_body_nested_200000_deep_is_an_error_not_a_recursion() -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    with raw_server(lambda conn: conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
                                              + body)) as url:
        got = on_host(Request("GET", f"{url}/oarapi/resources.json", timeout=5))[0]
    assert got == (200, None, "the answer is not JSON that can be read (refused JSON: nested deeper than 32 levels)")


def test_the_clients_own_answer_is_read_bounded() -> None:
    from oar_nxc.oar import http_request
    from oar_nxc.oar.remote import Output

    deep = "[" * 100_000 + "]" * 100_000
    status, body, error = http_request.answer(Output(0, deep, ""), Request("GET", "http://h/"))
    assert (status, body) == (-1, None)
    assert error.startswith("Request failed: the request's program failed (rc 0)")
    assert json.dumps({"status": 200}) != deep  # the answer's shape, not its depth, decides


@pytest.fixture(scope="module")
def any_answer() -> Iterator[tuple[str, list[bytes]]]:
    """A raw server whose answer is the last bytes put in the list it yields."""
    answers: list[bytes] = [b""]
    with raw_server(lambda conn: conn.sendall(answers[-1])) as url:
        yield url, answers


HEAD = st.sampled_from([b"HTTP/1.1 200 OK\r\n", b"HTTP/1.0 302 Found\r\nLocation: /x\r\n", b"HTTP/1.1 500 E\r\n",
                        b"", b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n"])


@settings(max_examples=40, deadline=None)
@given(head=HEAD, rest=st.binary(max_size=300))
def test_whatever_the_server_answers_the_client_answers_a_status_and_a_named_error(
        any_answer: tuple[str, list[bytes]], head: bytes, rest: bytes) -> None:
    url, answers = any_answer
    answers.append(head + rest)
    status, _body, error = on_host(Request("GET", f"{url}/oarapi/version.json", timeout=2,
                                           user="oartest", password=PASSWORD))[0]
    assert isinstance(status, int) and isinstance(error, str)
    assert "Traceback" not in error
    assert status != -1 or error.startswith("Request failed: ")
