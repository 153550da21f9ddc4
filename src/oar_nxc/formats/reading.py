"""Reading what the project is given, bounded: regular files only, size limits, strict JSON, safe quotes.

Every input file (nodefile, ``OAR.<id>.stdout``, deployment file, ``plugin: oar_nxc`` config,
``setup.toml``) goes through here, whichever face reads it (plugin, CLI, API, playbooks):

* only regular files are read; a FIFO, a device, a directory or a socket is named as such (a FIFO
  is opened without blocking, so it never hangs the reader);
* each kind of file has a size limit (:data:`LIMITS`), named in the error; nodefiles are streamed
  in chunks (memory grows with the distinct hosts, not with the lines), the others are read whole;
* JSON is read strictly: duplicate keys, nesting deeper than :data:`JSON_MAX_DEPTH`, integers of
  more than :data:`JSON_MAX_INT_DIGITS` digits and NaN/Infinity are errors that name the key;
* an error quotes at most a short, printable excerpt of the input (:func:`excerpt`), never a whole
  line: a secret file given by mistake does not end up in logs.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from typing import Any

from oar_nxc.errors import SourceError

MIB = 1024 * 1024
# bytes; a nodefile is streamed, so its limit bounds time, not memory
LIMITS: dict[str, int] = {
    "nodefile": 2048 * MIB,
    "deployment file": 64 * MIB,
    "configuration file": 1 * MIB,
    "resource properties file": 256 * MIB,
    "setup.toml": 1 * MIB,
    "run summary": 16 * MIB,
    "composition README": 1 * MIB,
    # the project's own state: build and deployment records, job records, nxc.json, the smoke report
    "state record": 16 * MIB,
    "composition file": 4 * MIB,
    # a job record (job.json): a job id, its machines and what the guard did
    "job record": 1 * MIB,
}
CHUNK = 1 * MIB
JSON_MAX_DEPTH = 32
JSON_MAX_INT_DIGITS = 18
EXCERPT = 40  # characters of input an error message may quote

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


_ESCAPES = {"'": "\\'", "\\": "\\\\"}


def human(size: int) -> str:
    return f"{size // MIB} MiB" if size >= MIB and size % MIB == 0 else f"{size} bytes"


def excerpt(text: str | bytes, limit: int = EXCERPT) -> str:
    """At most LIMIT characters of TEXT, quoted, non-printable characters escaped, cut with an ellipsis."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    shown = "".join(_ESCAPES.get(c, c) if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                    for c in text[:limit])
    return f"'{shown}{'…' if len(text) > limit else ''}'"


def _not_regular(source: str, mode: int, what: str) -> SourceError:
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return SourceError(source, f"is {kind}, not a regular file: give the {what} itself")


def open_regular(source: str, what: str) -> Any:
    """Open SOURCE for reading in binary, refusing anything but a regular file within the limit of WHAT."""
    try:  # stat first: a socket cannot even be opened
        if not stat.S_ISREG(mode := os.stat(source).st_mode):
            raise _not_regular(source, mode, what)
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise SourceError(source, f"cannot read {what}: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte in the path: no such file can exist
        raise SourceError(excerpt(source, 200), f"cannot read {what}: a NUL byte in its path") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(source, info.st_mode, what)
        limit = LIMITS.get(what, LIMITS["configuration file"])
        if info.st_size > limit:
            raise SourceError(source, f"{info.st_size} bytes: larger than the {human(limit)} limit for a {what}")
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_bytes(source: str, what: str) -> bytes:
    """The whole file, at most its kind's limit (checked again while reading: a file may grow)."""
    limit = LIMITS.get(what, LIMITS["configuration file"])
    with open_regular(source, what) as handle:
        data: bytes = handle.read(limit + 1)
    if len(data) > limit:
        raise SourceError(source, f"larger than the {human(limit)} limit for a {what}")
    return data


def chunks(source: str, what: str, size: int = CHUNK) -> Iterator[bytes]:
    """The file in chunks of SIZE bytes, at most its kind's limit."""
    limit = LIMITS.get(what, LIMITS["configuration file"])
    total = 0
    with open_regular(source, what) as handle:
        while True:
            chunk = handle.read(size)
            if not chunk:
                return
            total += len(chunk)
            if total > limit:
                raise SourceError(source, f"larger than the {human(limit)} limit for a {what}")
            yield chunk


def decode(data: bytes, source: str, first_line: int = 1) -> str:
    """Strict UTF-8 without NUL bytes, naming the line of the first bad byte."""
    if b"\x00" in data:
        line = first_line + data.count(b"\n", 0, data.index(b"\x00"))
        raise SourceError(source, "binary data (NUL byte): not a text nodefile or deployment file", line=line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        raise SourceError(source, f"binary data: not valid UTF-8 text ({exc.reason})", line=line) from None


# --- strict JSON -----------------------------------------------------------------------------

class _JsonRefusal(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _JsonRefusal(f"duplicate key {excerpt(key)}: the second one would silently replace the first")
        out[key] = value
    return out


class _Refused:
    """A value refused while parsing, kept in place so that the key that holds it can be named."""

    def __init__(self, why: str) -> None:
        self.why = why


def _int(text: str) -> int | _Refused:
    digits = text.lstrip("-")
    if len(digits) > JSON_MAX_INT_DIGITS:
        return _Refused(f"an integer of {len(digits)} digits (at most {JSON_MAX_INT_DIGITS})")
    return int(text)


def _constant(name: str) -> _Refused:
    return _Refused(f"{name} is not JSON")


def _find(data: Any) -> tuple[str | None, tuple[str, _Refused] | None]:
    """(the key path of the first value nested too deep, or None; (key path, refusal) of a refused value)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    refused: tuple[str, _Refused] | None = None
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, _Refused) and refused is None:
            refused = (path or "(top level)", value)
        if isinstance(value, (dict, list)):
            if depth > JSON_MAX_DEPTH:
                return path or "(top level)", refused
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((child, f"{path}.{key}" if path else str(key), depth + 1) for key, child in items)
    return None, refused


def loads_json(text: str, source: str) -> Any:
    """JSON text -> data, refusing duplicate keys, deep nesting, huge integers and NaN/Infinity."""
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise SourceError(source, f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from None
    except _JsonRefusal as exc:
        raise SourceError(source, f"refused JSON: {exc}") from None
    except RecursionError:
        raise SourceError(source, f"refused JSON: nested deeper than {JSON_MAX_DEPTH} levels") from None
    deep, refused = _find(data)
    if deep is not None:
        raise SourceError(source, f"refused JSON: nested deeper than {JSON_MAX_DEPTH} levels", key=deep)
    if refused is not None:
        raise SourceError(source, f"refused JSON: {refused[1].why}", key=refused[0])
    return data


def check_nesting(data: Any, source: str) -> None:
    """DATA (already parsed: variables, parameters) nested no deeper than a JSON input may be, found without
    recursion; SourceError names SOURCE and the key path of the first value too deep."""
    deep, _unused = _find(data)
    if deep is not None:
        raise SourceError(source, f"nested deeper than {JSON_MAX_DEPTH} levels", key=deep)


_SHAPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean",
           type(None): "null"}


def load_record(source: str, what: str = "state record") -> dict[str, Any]:
    """A JSON object the project wrote itself (a build, deployment or job record, nxc.json, a report), read as
    strictly as any input: a regular file within its limit, strict UTF-8 and JSON, an object at the top.
    SourceError names the file and what is wrong; the caller decides to rebuild or ignore it."""
    data = loads_json(decode(read_bytes(source, what), source), source)
    if not isinstance(data, dict):
        raise SourceError(source, f"is {_SHAPES.get(type(data), 'not an object')} where a JSON object is expected")
    return data
