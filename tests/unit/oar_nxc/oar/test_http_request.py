"""oar_nxc.oar.http_request and the program it runs on the host (oar_nxc.oar.http_client): each request
runs the real client as the host's shell would (``sh -c <command line>``, the request on stdin) against a
real HTTP server on this machine's loopback."""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from oar_nxc.oar import http_request
from oar_nxc.oar.http_request import Request
from oar_nxc.oar.remote import Output

PASSWORD = "s3cret 'quoted' $(id)"  # noqa: S105 (the test's own server)


class Handler(BaseHTTPRequestHandler):
    """OAR 2.5's API as the smoke check asks it, and the faults around it."""

    seen: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.seen.append({"method": "GET", "path": self.path})
        if self.path == "/oarapi/version.json":
            self._send(200, json.dumps({"oar_version": "2.5.9 (Canicule)", "api_version": "1.0.2"}).encode())
        elif self.path == "/oarapi/resources.json":  # a database that does not answer, as OAR 2.5 says it
            self._send(500, json.dumps({"code": 500, "title": "Internal error", "message": "DB connection error"})
                       .encode())
        elif self.path == "/html":
            self._send(401, b"<html><body>Authorization Required</body></html>", "text/html")
        elif self.path == "/moved":
            self._send(302, b"", Location="/oarapi/version.json")
        elif self.path == "/big":
            self._send(200, b'"' + b"x" * 2000 + b'"')
        elif self.path == "/trickle":  # each read answers in time, the whole never ends
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _unused in range(100):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)
        elif self.path == "/silent":
            time.sleep(3)
            self._send(200, b"{}")

    def do_POST(self) -> None:
        size = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(size) or b"null")
        self.seen.append({"method": "POST", "path": self.path, "body": body, "type": self.headers.get("Content-Type"),
                          "auth": self.headers.get("Authorization")})
        if self.path == "/moved":
            self._send(302, b"", Location="/oarapi/version.json")
        else:
            self._send(201, json.dumps({"id": 7, "status": "submitted"}).encode())


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone at its timeout or deadline is what the tests make; anything else is raised again."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def on_host(request: Request, pythons: list[str] | None = None) -> tuple[tuple[int, Any, str], str]:
    """The answer, as the host's shell runs the client, and the command line it ran."""
    line = http_request.command_line(pythons or [sys.executable], request)
    done = subprocess.run(["sh", "-c", line], input=http_request.stdin(request), capture_output=True, timeout=60,
                          check=False)
    return http_request.answer(Output(done.returncode, done.stdout.decode(), done.stderr.decode()), request), line


def test_a_get_answers_its_status_and_json(server: str) -> None:
    got, _line = on_host(Request("GET", f"{server}/oarapi/version.json"))
    assert got == (200, {"oar_version": "2.5.9 (Canicule)", "api_version": "1.0.2"}, "")


def test_a_post_sends_json_and_basic_authentication_with_the_password_on_stdin_only(server: str) -> None:
    body = {"resource": "/nodes=1,walltime=0:05:00", "command": "true", "type": ["timesharing=*,*"]}
    request = Request("POST", f"{server}/oarapi-priv/jobs.json", body=body, user="oartest", password=PASSWORD)
    got, line = on_host(request)
    assert got == (201, {"id": 7, "status": "submitted"}, "")
    assert Handler.seen[-1] == {"method": "POST", "path": "/oarapi-priv/jobs.json", "body": body,
                                "type": "application/json",
                                "auth": "Basic " + base64.b64encode(f"oartest:{PASSWORD}".encode()).decode()}
    assert PASSWORD not in line and "oartest" not in line  # nothing of the request on the command line
    assert PASSWORD in http_request.stdin(request).decode()


def test_the_hosts_python_path_and_site_packages_do_not_reach_the_client(server: str, tmp_path: Path) -> None:
    """A module on the host's PYTHONPATH or in a .pth file that shadows the standard library is not imported
    (python -S -E): the client is the standard library's."""
    (tmp_path / "json.py").write_text("raise SystemExit('the host json module was imported')\n")
    line = http_request.command_line([sys.executable], Request("GET", f"{server}/oarapi/version.json"))
    assert shlex.split(line)[2:5] == [sys.executable, "-S", "-E"]
    done = subprocess.run(["sh", "-c", line], input=http_request.stdin(Request("GET", f"{server}/oarapi/version.json")),
                          capture_output=True, timeout=60, check=False, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert (done.returncode, json.loads(done.stdout)["status"]) == (0, 200), done.stderr


def test_an_http_error_keeps_its_status_and_oars_json_message(server: str) -> None:
    got, _line = on_host(Request("GET", f"{server}/oarapi/resources.json"))
    assert got == (500, {"code": 500, "title": "Internal error", "message": "DB connection error"},
                   "HTTP Error 500: Internal Server Error")


def test_an_html_answer_is_its_status_and_no_json(server: str) -> None:
    assert on_host(Request("GET", f"{server}/html"))[0] == (401, None, "HTTP Error 401: Unauthorized")


def test_redirects_are_followed_for_get_only(server: str) -> None:
    version = {"oar_version": "2.5.9 (Canicule)", "api_version": "1.0.2"}
    assert on_host(Request("GET", f"{server}/moved"))[0] == (200, version, "")
    Handler.seen.clear()
    got, _line = on_host(Request("POST", f"{server}/moved", body={"a": 1}))
    assert got == (302, None, "HTTP Error 302: Found")
    assert [s["method"] for s in Handler.seen] == ["POST"]  # never re-sent, never turned into a GET


def test_nothing_listening_is_no_answer_as_urllib_says_it() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), Handler) as closed:
        port = closed.server_address[1]
    got, _line = on_host(Request("GET", f"http://127.0.0.1:{port}/oarapi/version.json"))
    assert got == (-1, None, "Request failed: <urlopen error [Errno 111] Connection refused>")


def test_a_server_that_does_not_answer_fails_at_the_socket_timeout(server: str) -> None:
    started = time.monotonic()
    got, _line = on_host(Request("GET", f"{server}/silent", timeout=0.5))
    assert got == (-1, None, "Request failed: timed out")
    assert time.monotonic() - started < 2.5


def test_a_request_that_never_ends_is_killed_at_its_deadline(server: str) -> None:
    started = time.monotonic()
    got, line = on_host(Request("GET", f"{server}/trickle", timeout=5, deadline=1))
    assert got == (-1, None, "Request failed: no answer within 1 s")
    assert shlex.split(line)[:2] == ["timeout", "1"]
    assert time.monotonic() - started < 3


def test_an_answer_larger_than_the_limit_is_cut_and_said(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_request, "BODY_LIMIT", 1000)
    got, _line = on_host(Request("GET", f"{server}/big"))
    assert got == (200, None, "the answer is larger than 1000 bytes")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "/oarapi/version.json"])
def test_only_http_and_https_urls_are_opened(url: str) -> None:
    assert on_host(Request("GET", url))[0] == (-1, None, f"Request failed: not an http or https URL: {url!r}")


def test_the_first_interpreter_the_host_has_runs_the_client(server: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    hostile = f"/nonexistent/python; touch {marker}"
    got, _line = on_host(Request("GET", f"{server}/oarapi/version.json"), [hostile, "$(touch x)", sys.executable])
    assert got[0] == 200
    assert not marker.exists() and not Path("x").exists()  # a path is a word, never shell code


def test_no_interpreter_is_said_naming_each_one_tried() -> None:
    got, _line = on_host(Request("GET", "http://127.0.0.1:1/"), ["/nonexistent/python3", "/nonexistent/python"])
    assert got == (-1, None, "Request failed: no Python on the host to make it (rc 127): no Python interpreter "
                             "(tried /nonexistent/python3, /nonexistent/python)")
    got, _line = on_host(Request("GET", "http://127.0.0.1:1/"), ["/nonexistent/python3"])
    assert got[0:2] == (-1, None)
    assert got[2].startswith("Request failed: no Python on the host to make it (rc 127): timeout: failed to run "
                             "command")


@pytest.mark.parametrize(("out", "error"), [
    (Output(0, "Traceback (most recent call last):\n", ""), "the request's program failed (rc 0): Traceback (most "
                                                            "recent call last):"),
    (Output(0, json.dumps({"status": "200"}), ""), "the request's program failed (rc 0): {\"status\": \"200\"}"),
    (Output(1, "", "Killed"), "the request's program failed (rc 1): Killed"),
    (Output(255, "", ""), "the request's program failed (rc 255): no output"),
])
def test_output_that_is_not_an_answer_is_no_answer_naming_what_was_printed(out: Output, error: str) -> None:
    assert http_request.answer(out, Request("GET", "http://h/")) == (-1, None, f"Request failed: {error}")


def test_an_answer_whose_body_is_not_json_keeps_its_status() -> None:
    out = Output(0, json.dumps({"status": 200, "body": "<html/>", "truncated": False, "error": ""}), "")
    assert http_request.answer(out, Request("GET", "http://h/")) == (
        200, None, "the answer is not JSON that can be read (invalid JSON: Expecting value (column 1))")


@pytest.mark.parametrize(("configured", "discovered", "expected"), [
    ("/run/current-system/sw/bin/python3", "/usr/bin/python3", ["/run/current-system/sw/bin/python3"]),
    ("auto_silent", "/usr/bin/python3.11", ["/usr/bin/python3.11"]),
    (None, None, ["python3.12", "/usr/bin/python3"]),
    ("auto", None, ["/usr/bin/python3"]),
])
def test_interpreters_as_ansible_chooses_a_modules(configured: str | None, discovered: str | None,
                                                   expected: list[str]) -> None:
    fallback = ["python3.12", "/usr/bin/python3"] if configured is None else ["/usr/bin/python3"]
    assert http_request.interpreters(configured, discovered, fallback) == expected
