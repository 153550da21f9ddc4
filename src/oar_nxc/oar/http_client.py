"""One HTTP request, made by a small program on the host that reaches the URL (OAR's REST API may
listen on the deployment's private network only): this file's source is that program.

It is run there as ``<python> -c <this source>`` over the host's connection (see
:mod:`oar_nxc.oar.http_request`, its controller side), reads the request as one JSON object on
stdin and prints the answer as one JSON object on stdout. The request's password comes on stdin,
never on a command line. It imports the standard library only, and runs on the Python 3.8 that
ansible-core asks of a managed host.

The request: ``method``, ``url``, ``headers``, ``body`` (sent as JSON when not null), ``user`` and
``password`` (basic authentication when ``user`` is not null), ``timeout`` (seconds, for each
socket operation) and ``limit`` (bytes of the answer's body kept). The answer: ``status`` (the HTTP
status; -1 when nothing answered), ``body`` (text, at most ``limit`` bytes of it), ``truncated``,
``error`` (``HTTP Error <code>: <reason>`` or ``Request failed: <why>``; empty on success).
Redirects are followed for GET and HEAD only, as ``ansible.builtin.uri`` does by default, at most 5, and
the credentials only ever go to the origin (scheme, host, port) of the URL given. An answer that breaks
HTTP (a bad status line; a header line over 64 KiB or more than 100 headers, the limits of
``http.client``) is a ``Request failed`` error like any other, never an exception.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPException, HTTPMessage
from typing import IO, Any

REQUEST_LIMIT = 1 << 20  # bytes of the request read from stdin
SCHEMES = ("http://", "https://")
DEFAULT_PORTS = {"http": 80, "https": 443}
CREDENTIALS = ("authorization", "cookie", "proxy-authorization")


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of URL, the port made explicit: what credentials are bound to."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # not a port: matches no origin
    return scheme, (parts.hostname or "").lower(), port if port is not None else DEFAULT_PORTS.get(scheme)


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect for GET and HEAD only: a POST is never re-sent elsewhere, or turned into a GET. The
    credentials (``Authorization``) go to the origin the request was given only: a redirect to another
    scheme, host or port is followed without them."""

    max_redirections = 5

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage,
                         newurl: str) -> urllib.request.Request | None:
        if req.get_method() not in ("GET", "HEAD"):
            return None
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin(newurl) != origin(req.full_url):
            for name in [k for k in new.headers if k.lower() in CREDENTIALS]:
                del new.headers[name]
            for name in [k for k in new.unredirected_hdrs if k.lower() in CREDENTIALS]:
                del new.unredirected_hdrs[name]
        return new


def ask(request: dict[str, Any]) -> dict[str, Any]:
    """The answer to REQUEST (see the module's documentation)."""
    given = request.get("headers") or {}
    if not isinstance(given, dict):
        raise TypeError("headers: a JSON object is expected")
    headers = {str(k): str(v) for k, v in given.items()}
    data = None
    if request.get("body") is not None:
        data = json.dumps(request["body"]).encode()
        headers.setdefault("Content-Type", "application/json")
    if request.get("user") is not None:
        pair = f"{request['user']}:{request.get('password') or ''}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    url = str(request["url"])
    limit = int(request["limit"])  # the controller's (oar_nxc.oar.http_request), as the timeout
    if not url.lower().startswith(SCHEMES):  # never file: or another scheme that reads the host's own files
        return {"status": -1, "body": "", "truncated": False,
                "error": f"Request failed: not an http or https URL: {url[:200]!r}"}
    opener = urllib.request.build_opener(_SafeRedirects)
    req = urllib.request.Request(url, data=data, headers=headers, method=str(request["method"]))  # noqa: S310 (checked)
    status, raw, error = -1, b"", ""
    try:
        with opener.open(req, timeout=float(request["timeout"])) as response:
            status, raw = response.status, response.read(limit + 1)
            declared = str(response.headers.get("Content-Length") or "")
            if declared.isascii() and declared.isdigit() and len(raw) < min(int(declared), limit + 1):
                return {"status": status, "body": "", "truncated": False,
                        "error": f"Request failed: the answer ended after {len(raw)} of its {int(declared)} bytes"}
    except urllib.error.HTTPError as exc:  # an answer all the same: its status and body
        status, error = exc.code, f"HTTP Error {exc.code}: {exc.reason}"
        try:
            raw = exc.read(limit + 1)
        except (OSError, HTTPException):
            raw = b""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"Request failed: {exc}"
    except HTTPException as exc:  # the answer broke HTTP: a bad status line, a header line over 64 KiB, 100 headers
        error = f"Request failed: not an HTTP answer ({type(exc).__name__}: {str(exc)[:200]})"
    return {"status": status, "body": raw[:limit].decode("utf-8", "replace"), "truncated": len(raw) > limit,
            "error": error}


def main() -> None:
    try:
        request = json.loads(sys.stdin.read(REQUEST_LIMIT))
        if not isinstance(request, dict):
            raise TypeError("a JSON object is expected")
        answer = ask(request)
    except (ValueError, KeyError, TypeError, RecursionError) as exc:  # not a request: say so, as an answer
        answer = {"status": -1, "body": "", "truncated": False, "error": f"not a request: {exc}"}
    sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
