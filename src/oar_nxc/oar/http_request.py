"""An HTTP request made on a host the caller reaches (OAR's REST API on the submit host), from the
controller's side: the command line that runs :mod:`oar_nxc.oar.http_client` there, the request
it reads on stdin, and the answer read back from what it printed.

One request costs one command over the host's connection and a Python start-up there, against an
Ansible module run (``ansible.builtin.uri``: its payload built, sent and unpacked, and Ansible's
module code imported) for each request before. The transport is the caller's (the oar.nxc.oar_smoke
action runs the line over the submit host's connection); nothing here runs a command.
"""

from __future__ import annotations

import json
import math
import shlex
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from oar_nxc.errors import SourceError
from oar_nxc.formats import reading
from oar_nxc.oar.remote import Output

TIMEOUT = 20  # seconds: each socket operation of a request
# the client imports the standard library only: without the site module (-S: no site-packages, no .pth files; 80
# of the 170 ms a Python took to start on the testbed) and without PYTHON* variables (-E: the host's PYTHONPATH)
FLAGS = ("-S", "-E")
BODY_LIMIT = 4 << 20  # bytes of an answer's body kept (OAR's resources.json of a whole Grid'5000 cluster is far less)
FALLBACK_PYTHON = "/usr/bin/python3"  # ansible-core's own last resort when its discovery finds none
# the exit statuses of `timeout` (coreutils) and of a shell that finds no program
TIMED_OUT, NOT_FOUND = 124, 127


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # sent as JSON when not None
    user: str | None = None  # basic authentication when not None
    password: str | None = None
    timeout: float = TIMEOUT
    deadline: int | None = None  # seconds for the whole request on the host; None: from the timeout (limit)


def limit(request: Request) -> int:
    """Seconds the whole request may take on the host (the client is killed then): its own deadline, or a
    connection and a read, each bounded by the timeout, and the client's start-up."""
    return request.deadline if request.deadline is not None else math.ceil(2 * request.timeout + 5)


@cache
def client_source() -> str:
    """The program run on the host: the source of oar_nxc.oar.http_client, read from the package once."""
    return Path(__file__).with_name("http_client.py").read_text(encoding="utf-8")


def interpreters(configured: str | None, discovered: str | None, fallback: list[str]) -> list[str]:
    """The Python interpreters to try on the host, in order, as ansible-core chooses a module's: the host's
    ``ansible_python_interpreter`` (or ``interpreter_python``) when it is a path, else the one Ansible
    discovered there, else the first of FALLBACK (``interpreter_python_fallback``) the host has."""
    if configured and not configured.startswith("auto"):
        return [configured]
    if discovered:
        return [discovered]
    return list(dict.fromkeys([*fallback, FALLBACK_PYTHON]))


def command_line(pythons: list[str], request: Request) -> str:
    """The shell command line that runs the client for REQUEST with the first of PYTHONS the host has,
    killed after the request's time limit. Every word is quoted: no interpreter path reaches the shell
    as code, and the request itself goes on stdin (:func:`stdin`)."""
    run = ["timeout", str(max(1, limit(request)))]
    source = client_source()
    if len(pythons) == 1:
        return shlex.join([*run, pythons[0], *FLAGS, "-c", source])
    tried = ", ".join(pythons)
    return (f"for p in {shlex.join(pythons)}; do if command -v \"$p\" >/dev/null 2>&1; then "
            f"exec {shlex.join(run)} \"$p\" {shlex.join(FLAGS)} -c {shlex.quote(source)}; fi; done; "
            f"echo {shlex.quote(f'no Python interpreter (tried {tried})')} >&2; exit {NOT_FOUND}")


def stdin(request: Request) -> bytes:
    """What the client reads: the request, the password included (never on a command line)."""
    return json.dumps({"method": request.method, "url": request.url, "headers": request.headers,
                       "body": request.body, "user": request.user, "password": request.password,
                       "timeout": request.timeout, "limit": BODY_LIMIT}).encode()


def answer(out: Output, request: Request) -> tuple[int, Any, str]:
    """(HTTP status, -1 when nothing answered; the body's JSON or None; the error) from what the client
    printed, or why it printed nothing readable."""
    try:
        got = reading.loads_json(out.stdout, "the request's program") if out.rc == 0 else None
    except SourceError:
        got = None
    if not isinstance(got, dict) or not isinstance(got.get("status"), int):
        return -1, None, _no_answer(out, request)
    status, body, error = got["status"], str(got.get("body") or ""), str(got.get("error") or "")
    if got.get("truncated"):
        return status, None, f"{error + '; ' if error else ''}the answer is larger than {BODY_LIMIT} bytes"
    try:
        return status, reading.loads_json(body, "the answer") if body.strip() else None, error
    except SourceError as exc:  # not JSON, nested too deep, a duplicate key: never a traceback
        return status, None, error or f"the answer is not JSON that can be read ({exc.reason})"


def _no_answer(out: Output, request: Request) -> str:
    said = " ".join((out.stderr or out.stdout).split())[:300] or "no output"
    if out.rc == TIMED_OUT:
        return f"Request failed: no answer within {limit(request)} s"
    if out.rc == NOT_FOUND:
        return f"Request failed: no Python on the host to make it (rc {out.rc}): {said}"
    return f"Request failed: the request's program failed (rc {out.rc}): {said}"
