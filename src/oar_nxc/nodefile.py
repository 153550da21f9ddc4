"""OAR nodefiles: ``$OAR_NODEFILE`` (one line per reserved core) and ``OAR.<id>.stdout``.

Both are read the same way: one host per line, blank lines, CRLF and surrounding
spaces tolerated. Hosts keep their first-seen order; the number of lines of a host
is its core count (1 for the already unique ``OAR.<id>.stdout``).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from oar_nxc.errors import SourceError
from oar_nxc.names import G5kName, host_name_problem, parse_g5k_name

_STDOUT_NAME_RE = re.compile(r"^OAR\.(?:.+\.)?(?P<id>\d+)\.stdout$")
_JOB_ID_RE = re.compile(r"^\d+$")


@dataclass(frozen=True, slots=True)
class Machine:
    """A reserved machine: its name as written in the nodefile and its core count."""

    name: str
    cores: int
    g5k: G5kName | None = None


@dataclass(frozen=True, slots=True)
class Nodefile:
    """A parsed nodefile."""

    path: str
    machines: tuple[Machine, ...]
    lines: int
    job_id: int | None = None

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.machines]


def decode(data: bytes, source: str) -> str:
    """Decode a text file strictly, naming the line of the first bad byte."""
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise SourceError(source, "binary data (NUL byte): not a text nodefile or deployment file", line=line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError(source, f"binary data: not valid UTF-8 text ({exc.reason})", line=line) from None


def parse_text(text: str, source: str, *, job_id: int | None = None) -> Nodefile:
    """Parse nodefile text. ``source`` names the file in error messages.

    Counting runs over the raw lines at C speed (``Counter`` keeps first-seen order);
    only the distinct lines are stripped and validated, so 320,000 per-core lines of
    10,000 hosts cost about as much as 10,000 lines.
    """
    raw_counts = Counter(text.split("\n"))
    counts: dict[str, int] = {}
    lines = 0
    for raw, count in raw_counts.items():
        name = raw.strip()
        if not name:
            continue
        lines += count
        if name in counts:
            counts[name] += count
            continue
        problem = host_name_problem(name)
        if problem is not None:
            raise SourceError(source, f"{problem}; a nodefile holds one host name or IPv4 address per line",
                              line=_first_line_of(text, raw))
        counts[name] = count
    if not counts:
        raise SourceError(source, "empty nodefile: no host name in it (is the OAR job started?)")
    machines = tuple(Machine(name, cores, parse_g5k_name(name)) for name, cores in counts.items())
    return Nodefile(path=source, machines=machines, lines=lines, job_id=job_id)


def _first_line_of(text: str, raw: str) -> int:
    for number, line in enumerate(text.split("\n"), start=1):
        if line == raw:
            return number
    return 0


def job_id_from_path(path: str) -> int | None:
    """The OAR job id a nodefile's name reveals: ``OAR.<id>.stdout`` or ``<runtime dir>/<id>``."""
    base = os.path.basename(path)
    match = _STDOUT_NAME_RE.match(base)
    if match:
        return int(match.group("id"))
    if _JOB_ID_RE.match(base):
        return int(base)
    return None


def job_id_from_value(value: object, source: str) -> int | None:
    """Validate a job id given as an option or environment variable."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not _JOB_ID_RE.match(text):
        raise SourceError(source, f"'{value}' is not an OAR job id (a positive integer is expected)")
    return int(text)


def load(path: str | os.PathLike[str], *, job_id: int | None = None) -> Nodefile:
    """Read and parse a nodefile. The id in the file name wins over ``job_id``."""
    source = os.fspath(path)
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        raise SourceError(source, f"cannot read nodefile: {exc.strerror or exc}") from None
    from_name = job_id_from_path(source)
    return parse_text(decode(data, source), source, job_id=from_name if from_name is not None else job_id)
