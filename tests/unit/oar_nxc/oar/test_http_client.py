"""oar_nxc.oar.http_client: the program run on the host, on its own (its requests are tested through
oar_nxc.oar.http_request, as the host runs it)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from oar_nxc.oar import http_client, http_request


def test_it_imports_the_standard_library_only() -> None:
    """It runs on the host with no oar_nxc installed there: nothing but the standard library."""
    tree = ast.parse(http_request.client_source())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
    assert http_request.client_source() == Path(http_client.__file__).read_text(encoding="utf-8")


@pytest.mark.parametrize(("stdin", "why"), [
    (b"", "not a request: Expecting value: line 1 column 1 (char 0)"),
    (b"[1, 2]", "not a request: a JSON object is expected"),
    (b'{"method": "GET", "url": "http://127.0.0.1:1/", "headers": [1]}',
     "not a request: headers: a JSON object is expected"),
    (b"[" * 100_000, "not a request: maximum recursion depth exceeded"),
    (b'{"method": "GET"}', "not a request: 'url'"),
    (b"{" * 100_000, "not a request: "),
])
def test_what_is_not_a_request_is_answered_as_such(stdin: bytes, why: str) -> None:
    done = subprocess.run([sys.executable, "-c", http_request.client_source()], input=stdin, capture_output=True,
                          timeout=30, check=False)
    assert done.returncode == 0 and done.stderr == b""
    answer = json.loads(done.stdout)
    assert (answer["status"], answer["body"], answer["truncated"]) == (-1, "", False)
    assert answer["error"].startswith(why)


def test_a_request_larger_than_it_reads_is_refused_unread() -> None:
    big = json.dumps({"method": "GET", "url": "http://127.0.0.1:1/", "body": "x" * http_client.REQUEST_LIMIT})
    done = subprocess.run([sys.executable, "-c", http_request.client_source()], input=big.encode(),
                          capture_output=True, timeout=30, check=False)
    assert json.loads(done.stdout)["error"].startswith("not a request: Unterminated string")
