"""OAR nodefiles: ``$OAR_NODEFILE`` (one line per reserved core) and ``OAR.<id>.stdout``.

Both are read the same way: one host per line, blank lines, CRLF and surrounding
spaces tolerated. Hosts keep their first-seen order; the number of lines of a host
is its core count (1 for the already unique ``OAR.<id>.stdout``).

The file is streamed (:func:`oar_nxc.formats.reading.chunks`): memory grows with the distinct
hosts, not with the lines, and a line longer than :data:`MAX_LINE` bytes, a NUL byte or
bytes that are not UTF-8 stop the read at once, naming the line.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from oar_nxc.errors import SourceError
from oar_nxc.formats import reading
from oar_nxc.formats.names import G5kName, machine_name_problem, parse_g5k_name

_STDOUT_NAME_RE = re.compile(r"OAR\.(?:.+\.)?(?P<id>[0-9]+)\.stdout", re.ASCII)
_JOB_ID_RE = re.compile(r"[0-9]+", re.ASCII)
MAX_JOB_ID_DIGITS = 12
MAX_LINE = 1024  # bytes; a host name is at most 253


@dataclass(frozen=True, slots=True)
class Machine:
    """A reserved machine: its name as written in the nodefile and its core count."""

    name: str
    cores: int
    g5k: G5kName | None = None
    line: int = field(default=0, compare=False)  # the first line that names it


@dataclass(frozen=True, slots=True)
class Nodefile:
    """A parsed nodefile."""

    path: str
    machines: tuple[Machine, ...]
    lines: int
    job_id: int | None = None
    # $OAR_NODEFILE has a line per core; OAR.<id>.stdout (and a job's host list) one per host
    per_core: bool = True

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.machines]


class _Counter:
    """Per-host line counts over chunks of raw bytes."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.names: dict[str, list[int]] = {}  # name -> [count, first line]
        self.raw: dict[bytes, str | None] = {}  # raw line -> its name (None: blank)
        self.lines = 0  # lines seen so far
        self.carry = b""

    def _name(self, raw: bytes, line: int) -> str | None:
        text = reading.decode(raw, self.source, first_line=line)
        name = text.strip()
        if not name:
            return None
        problem = machine_name_problem(name)
        if problem is not None:
            raise SourceError(self.source, f"{problem}; a nodefile holds one host name or IPv4 address per line",
                              line=line)
        return name

    def feed(self, parts: list[bytes]) -> None:
        # Counter keeps first-seen order, so each new line's first index lies after the previous
        # one's: searching from there keeps the scan linear in the chunk
        start = 0
        for raw, count in Counter(parts).items():
            if raw not in self.raw:
                start = parts.index(raw, start)
                line = self.lines + start + 1
                name = self._name(raw, line)
                self.raw[raw] = name
                if name is not None and name not in self.names:
                    self.names[name] = [0, line]
            name = self.raw[raw]
            if name is not None:
                self.names[name][0] += count
        self.lines += len(parts)

    def chunk(self, data: bytes) -> None:
        if b"\x00" in data:
            at = data.index(b"\x00")
            raise SourceError(self.source, "binary data (NUL byte): not a text nodefile or deployment file",
                              line=self.lines + (self.carry + data[:at]).count(b"\n") + 1)
        parts = (self.carry + data).split(b"\n")
        self.carry = parts.pop()
        if len(self.carry) > MAX_LINE:
            raise SourceError(self.source, f"a line longer than {MAX_LINE} bytes: not a nodefile",
                              line=self.lines + len(parts) + 1)
        if any(len(p) > MAX_LINE for p in parts):
            long = next(i for i, p in enumerate(parts) if len(p) > MAX_LINE)
            raise SourceError(self.source, f"a line longer than {MAX_LINE} bytes: not a nodefile",
                              line=self.lines + long + 1)
        self.feed(parts)

    def end(self) -> None:
        if self.carry:
            self.feed([self.carry])
            self.carry = b""


def parse_chunks(chunks: Iterable[bytes], source: str, *, job_id: int | None = None) -> Nodefile:
    """Parse a nodefile given as chunks of bytes. ``source`` names the file in error messages.

    Counting runs over the raw lines at C speed (``Counter`` keeps first-seen order); only the
    distinct lines are decoded and validated, so 320,000 per-core lines of 10,000 hosts cost
    about as much as 10,000 lines.
    """
    counter = _Counter(source)
    for chunk in chunks:
        counter.chunk(chunk)
    counter.end()
    if not counter.names:
        raise SourceError(source, "empty nodefile: no host name in it (is the OAR job started?)")
    lines = sum(count for count, _unused in counter.names.values())
    machines = tuple(Machine(name, count, parse_g5k_name(name), first)
                     for name, (count, first) in counter.names.items())
    return Nodefile(path=source, machines=machines, lines=lines, job_id=job_id)


def parse_bytes(data: bytes, source: str, *, job_id: int | None = None) -> Nodefile:
    return parse_chunks([data], source, job_id=job_id)


def parse_text(text: str, source: str, *, job_id: int | None = None) -> Nodefile:
    """Parse nodefile text."""
    return parse_chunks([text.encode("utf-8", errors="surrogateescape")], source, job_id=job_id)


def job_id_from_path(path: str) -> int | None:
    """The OAR job id a nodefile's name reveals: ``OAR.<id>.stdout`` or ``<runtime dir>/<id>``."""
    base = os.path.basename(path)
    match = _STDOUT_NAME_RE.fullmatch(base)
    text = match.group("id") if match else base if _JOB_ID_RE.fullmatch(base) else None
    if text is None or len(text) > MAX_JOB_ID_DIGITS or int(text) == 0:
        return None
    return int(text)


def job_id_from_value(value: object, source: str) -> int | None:
    """Validate a job id given as an option or environment variable: ASCII digits, positive, bounded."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SourceError(source, f"a {type(value).__name__} is not an OAR job id (a positive integer is expected)")
    text = str(value).strip()
    if not _JOB_ID_RE.fullmatch(text) or len(text) > MAX_JOB_ID_DIGITS or int(text) == 0:
        raise SourceError(source, f"{reading.excerpt(str(value), 20)} is not an OAR job id (a positive integer of "
                                  f"at most {MAX_JOB_ID_DIGITS} digits is expected)")
    return int(text)


def load(path: str | os.PathLike[str], *, job_id: int | None = None) -> Nodefile:
    """Read and parse a nodefile, streamed. The id in the file name wins over ``job_id``."""
    source = os.fspath(path)
    from_name = job_id_from_path(source)
    parsed = parse_chunks(reading.chunks(source, "nodefile"), source,
                          job_id=from_name if from_name is not None else job_id)
    if _STDOUT_NAME_RE.fullmatch(os.path.basename(source)):
        return dataclasses.replace(parsed, per_core=False)
    return parsed
