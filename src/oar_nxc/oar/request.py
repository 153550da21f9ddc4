"""What an OAR job asks for, checked before anything is submitted, and the ``oarsub`` that asks it.

One request serves the three faces of a job the project submits: the reservation of
``oar.nxc.oar_job`` (``oarsub -l ... COMMAND``), the batch job of ``oar-nxc submit`` (the same
options as ``#OAR`` directives of its script), and their check-mode plans (the exact command).

A bad value is refused here, naming its key (``oar_nxc_job.walltime``), before OAR sees it:

* ``nodes``: a positive integer (``-l nodes=N``); or ``resources``: OAR's resource hierarchy
  (``{cluster='dahu'}/nodes=4``, ``/cluster=1/nodes=2``), without the walltime;
* ``walltime``: ``H[:MM[:SS]]`` (``2:0`` is 2 h, as ``oarsub`` reads it) or seconds;
* ``types``: job types (``-t``): ``deploy``, ``night``, ``timesharing=*,*``, ``inner=42``...;
* ``queue``, ``project``, ``name``: words; ``properties`` (``-p``): an SQL expression on one line;
* ``cluster``: a cluster name, added to the properties as ``cluster='NAME'`` (one CI job per cluster);
* ``reservation`` (``-r``): ``YYYY-MM-DD HH:MM[:SS]``;
* ``command``: what the job runs (a reservation holds its machines with ``sleep``).

Every value goes to ``oarsub`` as its own argument (an argv list): none is ever read by a shell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from oar_nxc.errors import ConfigError

DEFAULT_NAME = "oar-nxc"
DEFAULT_WALLTIME = "1:00:00"
HOLD_COMMAND = "sleep infinity"  # a reservation holds its machines until it is released or its walltime ends
MAX_TEXT = 1000  # characters of one value
MAX_NODES = 100_000
KEYS = ("nodes", "resources", "walltime", "types", "queue", "project", "properties", "cluster", "reservation",
        "name", "command", "directory")
_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}", re.ASCII)
_TYPE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(=[A-Za-z0-9_*,.:/+-]+)?", re.ASCII)
_WALLTIME_RE = re.compile(r"([0-9]{1,6})(?::([0-9]{1,2}))?(?::([0-9]{1,2}))?", re.ASCII)
# the last level of a resource hierarchy: nodes=4, core=ALL, host=BEST
_LEVEL_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=([0-9]{1,9}|ALL|BEST)", re.ASCII)
_RESERVATION_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


@dataclass(frozen=True, slots=True)
class JobRequest:
    resources: str  # -l without the walltime: nodes=4
    walltime: str = DEFAULT_WALLTIME  # H:MM:SS
    types: tuple[str, ...] = ()
    queue: str = ""
    project: str = ""
    properties: str = ""
    reservation: str = ""
    name: str = DEFAULT_NAME
    command: str = HOLD_COMMAND
    directory: str = ""  # oarsub -d: the job's working directory ('' = the submitter's home)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def walltime_seconds(self) -> int:
        return walltime_seconds(self.walltime)

    @property
    def resource_request(self) -> str:
        return f"{self.resources},walltime={self.walltime}"

    def options(self) -> list[str]:
        """The ``oarsub`` options of this request, in the order ``#OAR`` directives list them too."""
        args = ["--name", self.name, "-l", self.resource_request]  # OAR 3 has no -n
        for kind in self.types:
            args += ["-t", kind]
        if self.queue:
            args += ["-q", self.queue]
        if self.project:
            args += ["--project", self.project]
        if self.properties:
            args += ["-p", self.properties]
        if self.reservation:
            args += ["-r", self.reservation]
        if self.directory:
            args += ["-d", self.directory]
        return args

    def argv(self) -> list[str]:
        """``oarsub OPTIONS COMMAND``: a reservation (no ``-r``) or an advance reservation."""
        return ["oarsub", *self.options(), self.command]

    def with_types(self, types: tuple[str, ...] | list[str], where: str = "job_types") -> JobRequest:
        """This request with ``types`` added (each once, the request's own first), each checked as an OAR job
        type (:func:`job_types`, naming WHERE)."""
        return replace(self, types=tuple(dict.fromkeys([*self.types, *job_types(list(types), where)])))


def walltime_seconds(text: str) -> int:
    match = _WALLTIME_RE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _kind(value: Any) -> str:
    """What a value is, in words (Ansible hands over its own str and dict subclasses)."""
    for kind, name in ((bool, "boolean"), (str, "string"), (int, "integer"), (float, "float"), (Mapping, "mapping"),
                       (list, "list"), (tuple, "list")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _name(key: str, where: str) -> str:
    return f"{where}.{key}" if where else key


def _text(values: Mapping[str, Any], key: str, where: str, *, pattern: re.Pattern[str] | None = None,
          what: str = "") -> str:
    value = values.get(key)
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{_name(key, where)}: a {_kind(value)} is not a string")
    if len(value) > MAX_TEXT:
        raise ConfigError(f"{_name(key, where)}: {len(value)} characters (at most {MAX_TEXT})")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ConfigError(f"{_name(key, where)}: holds a control character (a newline?): {value[:60]!r}")
    if pattern is not None and not pattern.fullmatch(value):
        raise ConfigError(f"{_name(key, where)}: {value[:60]!r} is not {what}")
    return value


def _walltime(value: Any, where: str) -> str:
    key = _name("walltime", where)
    if value is None or value == "":
        return DEFAULT_WALLTIME
    if isinstance(value, bool):
        raise ConfigError(f"{key}: a boolean is not a walltime (H:MM:SS, e.g. 1:00:00)")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str):
        try:
            seconds = walltime_seconds(value.strip())
        except ValueError:
            raise ConfigError(f"{key}: {value[:40]!r} is not a walltime: H[:MM[:SS]] (1:00:00, 2:0 is 2 hours) "
                              "or seconds") from None
        parts = value.strip().split(":")
        if any(int(p) >= 60 for p in parts[1:]):
            raise ConfigError(f"{key}: {value!r}: minutes and seconds go up to 59")
    else:
        raise ConfigError(f"{key}: a {_kind(value)} is not a walltime (H:MM:SS, e.g. 1:00:00)")
    if seconds <= 0:
        raise ConfigError(f"{key}: {value!r} is no time at all: a job needs a walltime above 0")
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _resources(values: Mapping[str, Any], where: str) -> str:
    nodes, resources = values.get("nodes"), values.get("resources")
    if nodes not in (None, "") and resources not in (None, ""):
        raise ConfigError(f"{_name('nodes', where)} and {_name('resources', where)}: give one of them (nodes=N is "
                          "resources: nodes=N)")
    if resources not in (None, ""):
        text = _text(values, "resources", where)
        last = text.rsplit("/", 1)[-1].strip()
        if "walltime" in text:
            raise ConfigError(f"{_name('resources', where)}: {text!r}: give the walltime as "
                              f"{_name('walltime', where)}, not in the resources")
        if not _LEVEL_RE.fullmatch(last) or text.count("{") != text.count("}"):
            raise ConfigError(f"{_name('resources', where)}: {text!r} is not an OAR resource request: "
                              "[{SQL}]/level=N/... ending in level=N, e.g. nodes=4 or {cluster='dahu'}/nodes=2")
        return text
    if nodes in (None, ""):
        raise ConfigError(f"{_name('nodes', where)}: missing: how many machines to reserve (or "
                          f"{_name('resources', where)})")
    if isinstance(nodes, bool) or not isinstance(nodes, (int, str)) or not str(nodes).strip().isdigit():
        raise ConfigError(f"{_name('nodes', where)}: {str(nodes)[:40]!r} is not a number of machines")
    count = int(str(nodes).strip())
    if not 1 <= count <= MAX_NODES:
        raise ConfigError(f"{_name('nodes', where)}: {count} machines: between 1 and {MAX_NODES}")
    return f"nodes={count}"


def _types(value: Any, where: str) -> tuple[str, ...]:
    return job_types(value, _name("types", where))


def job_types(value: Any, key: str) -> tuple[str, ...]:
    """OAR job types (``-t``): a name, or ``name=value`` (``timesharing=*,*``, ``inner=42``); never a value a shell
    or oarsub could read otherwise (``;``, a space, a leading ``-``). ConfigError names KEY and the item."""
    if value is None or value == "":
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ConfigError(f"{key}: a {_kind(value)} is not a list of job types")
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, str) or not _TYPE_RE.fullmatch(item):
            raise ConfigError(f"{key}[{index}]: {str(item)[:60]!r} is not an OAR job type (deploy, night, exotic, "
                              "timesharing=*,*, inner=42...)")
        out.append(item)
    return tuple(dict.fromkeys(out))


def _reservation(values: Mapping[str, Any], where: str) -> str:
    text = _text(values, "reservation", where)
    if not text:
        return ""
    for form in _RESERVATION_FORMATS:
        try:
            datetime.strptime(text, form)
            return text
        except ValueError:
            continue
    raise ConfigError(f"{_name('reservation', where)}: {text!r} is not a start time: YYYY-MM-DD HH:MM[:SS]")


def from_mapping(values: Any, where: str = "oar_nxc_job") -> JobRequest:
    """The request of a mapping (``oar_nxc_job``); an unknown key or bad value names itself."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"{where}: a {_kind(values)} is not a mapping of {', '.join(KEYS)}")
    unknown = sorted(str(k) for k in values if k not in KEYS)
    if unknown:
        raise ConfigError(f"{_name(unknown[0], where)}: unknown key; the keys are {', '.join(KEYS)}")
    name = _text(values, "name", where, pattern=_WORD_RE, what="a job name (letters, digits, . _ + -)") or DEFAULT_NAME
    command = _text(values, "command", where) or HOLD_COMMAND
    directory = _text(values, "directory", where)
    if directory and not directory.startswith("/"):
        raise ConfigError(f"{_name('directory', where)}: {directory!r} is not an absolute path")
    properties = _text(values, "properties", where)
    cluster = _text(values, "cluster", where, pattern=_WORD_RE, what="a cluster name (letters, digits, . _ + -)")
    if cluster:
        properties = f"cluster='{cluster}'" + (f" AND ({properties})" if properties else "")
    return JobRequest(
        resources=_resources(values, where), walltime=_walltime(values.get("walltime"), where),
        types=_types(values.get("types"), where),
        queue=_text(values, "queue", where, pattern=_WORD_RE, what="a queue name"),
        project=_text(values, "project", where, pattern=_WORD_RE, what="a project name"),
        properties=properties, reservation=_reservation(values, where),
        name=name, command=command, directory=directory)
