"""What one inventory source asks for, resolved to files, and turned into an InventorySpec.

The inventory plugin only maps its options onto :class:`Request`; everything that
reads a format lives in :mod:`oar_nxc.nodefile` and :mod:`oar_nxc.deployment`.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from oar_nxc import deployment as deployment_format
from oar_nxc import nodefile as nodefile_format
from oar_nxc import oarjob, reading
from oar_nxc.detect import sniff
from oar_nxc.errors import ConfigError, OarNxcError, SourceError
from oar_nxc.inventory import NIXOS_PYTHON, InventorySpec, Options, add_job, describe
from oar_nxc.names import host_name_problem, parse_g5k_name
from oar_nxc.reading import excerpt

__all__ = ["InventorySpec", "OarNxcError", "Request", "check_config_file", "check_config_keys", "options_from",
           "sniff"]

INI_REFUSED = (
    "looks like an INI inventory, not an OAR nodefile (line {line}: {text}). This project's ansible.cfg "
    "leaves the 'ini' plugin out, so that a malformed nodefile is never read silently as an INI inventory: "
    "write this inventory in YAML"
)


def check_config_file(path: str) -> None:
    """A ``plugin: oar_nxc`` file must be a regular file within its size limit, before YAML reads it
    (checked on the open file, without reading it)."""
    with reading.open_regular(path, "configuration file"):
        pass


def check_config_keys(config: Mapping[str, Any], path: str, known: Iterable[str]) -> None:
    """Refuse unknown keys in a ``plugin: oar_nxc`` file, naming the key."""
    known_set = set(known)
    for key in config:
        if key not in known_set:
            raise SourceError(path, f"unknown option; known options: {', '.join(sorted(known_set))}", key=key)


def _ini_line(path: str) -> tuple[int, str]:
    with reading.open_regular(path, "nodefile") as handle:  # its first lines only
        text = handle.read(65536).decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            return number, excerpt(line.strip())
    return 1, "''"


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
MAX_NODES_DIGITS = 6
MAX_PATTERN = 512


def _kind(value: Any) -> str:
    """What a value is, in words (YAML values arrive as subclasses: Ansible tags them)."""
    for kind, words in ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string"),
                        (dict, "a mapping"), (list, "a list"), (tuple, "a list")):
        if isinstance(value, kind):
            return words
    return "a null" if value is None else f"a {type(value).__name__}"


class _Where:
    """Names where an option came from: ``<config>: key 'nodes'`` or ``$OAR_NXC_NODES``."""

    def __init__(self, source: str, origins: Mapping[str, str] | None) -> None:
        self.source, self.origins = source, origins or {}

    def error(self, key: str, message: str, *, index: int | None = None) -> SourceError:
        origin = self.origins.get(key, "")
        if origin.startswith(("$", "-")):  # an environment variable or a command-line option
            return SourceError(origin, message if index is None else f"item {index + 1}: {message}")
        return SourceError(self.source, message, key=key if index is None else f"{key}[{index}]")


def _nodes(value: Any, where: _Where) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise where.error("nodes", f"{value!r} is not a number of hosts (a positive integer is expected)"
                          if isinstance(value, bool) else
                          f"{_kind(value)} is not a number of hosts (a positive integer is expected)")
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]+", text, re.ASCII) or len(text) > MAX_NODES_DIGITS or int(text) < 1:
        raise where.error("nodes", f"{excerpt(str(value), 20)} is not a positive number of hosts")
    return int(text)


def _exclude(value: Any, where: _Where) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise where.error("exclude", f"{_kind(value)} is not a list of host patterns")
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise where.error("exclude", f"{_kind(item)} is not a host pattern (a string is expected)",
                              index=index)
        if len(item) > MAX_PATTERN or any(not c.isprintable() for c in item):
            raise where.error("exclude", f"{excerpt(item, 20)} is not a host pattern", index=index)
        if item.strip():
            out.append(item.strip())
    return tuple(out)


def _flag(key: str, value: Any, where: _Where, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise where.error(key, f"{excerpt(str(value), 20)} is not a boolean (true or false)")


def _text(key: str, value: Any, where: _Where) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or any(not c.isprintable() for c in value) or len(value) > 4096:
        raise where.error(key, "must be a path (a single line of text)")
    return value


LIVE_JOB = ("auto", "always", "never")


def _live(value: Any, where: _Where) -> str:
    if value is None or value == "":
        return "auto"
    if isinstance(value, bool):
        return "always" if value else "never"
    if isinstance(value, str) and value.strip().lower() in LIVE_JOB:
        return value.strip().lower()
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return "always" if value.strip().lower() in _TRUE else "never"
    raise where.error("live_job", f"{excerpt(str(value), 20)} is not one of {', '.join(LIVE_JOB)}")


def options_from(values: Mapping[str, Any], source: str, origins: Mapping[str, str] | None = None) -> Options:
    """The plugin's options, each strictly typed: an error names the configuration key (or the
    environment variable the value came from, per ORIGINS)."""
    where = _Where(source, origins)
    job_origin = (origins or {}).get("job_id", "")
    job_label = job_origin if job_origin.startswith(("$", "-")) else f"{source}: job_id (or $OAR_JOB_ID)"
    return Options(
        nodes=_nodes(values.get("nodes"), where),
        exclude=_exclude(values.get("exclude"), where),
        job_id=nodefile_format.job_id_from_value(values.get("job_id"), job_label),
        relax_host_key_checking=_flag("relax_host_key_checking", values.get("relax_host_key_checking"), where, True),
        private_key_file=_text("private_key_file", values.get("private_key_file"), where),
        python_interpreter=_text("python_interpreter", values.get("python_interpreter"), where) or NIXOS_PYTHON,
        live_job=_live(values.get("live_job"), where),
        properties_file=_text("properties_file", values.get("properties_file"), where),
    )


def _options(source: str, *, origins: Mapping[str, str] | None = None, **values: Any) -> Options:
    return options_from(values, source, origins)


@dataclass(frozen=True, slots=True)
class Request:
    """Resolved source files and options of one inventory source."""

    origin: str
    nodefile: str | None
    deployment: str | None
    options: Options = field(default_factory=Options)
    flavour: str | None = None

    @classmethod
    def for_file(cls, path: str, kind: str | None, *, flavour: str | None = None, **common: Any) -> Request:
        """A file given straight to ``-i``: a nodefile or a deployment file."""
        if kind == "special":
            reading.read_bytes(path, "nodefile")  # raises: names what the path is
        if kind == "executable":
            mode = os.stat(path).st_mode & 0o7777
            raise SourceError(path, f"is executable (mode {mode:04o}) but holds host names, not a script: Ansible's "
                                    f"script plugin would run it as an inventory script. Make it data again: "
                                    f"chmod a-x {shlex.quote(path)}")
        if kind == "ini":
            line, text = _ini_line(path)
            raise SourceError(path, INI_REFUSED.format(line=line, text=text), line=line)
        if kind not in ("nodefile", "deployment"):
            raise SourceError(path, "not an OAR nodefile, nxc deployment file or oar_nxc configuration")
        options = _options(path, **common)
        if kind == "nodefile":
            return cls(origin=path, nodefile=path, deployment=None, options=options)
        return cls(origin=path, nodefile=None, deployment=path, options=options, flavour=flavour)

    @classmethod
    def for_config(cls, path: str, *, nodefile: str | None, deployment: str | None, tag: str | None,
                   flavour: str | None = None, **common: Any) -> Request:
        """A ``plugin: oar_nxc`` YAML file; relative paths are relative to it."""
        base = os.path.dirname(os.path.abspath(path))
        nodefile_path = _resolve_file(path, base, "nodefile", nodefile)
        deployment_path = None
        if deployment:
            target = os.path.join(base, os.path.expanduser(deployment))
            if os.path.isdir(target):
                deployment_path = deployment_format.find(target, tag=tag)
            else:
                deployment_path = _resolve_file(path, base, "deployment", deployment)
        elif tag:
            raise SourceError(path, "'tag' needs 'deployment' (an nxc envdir)", key="tag")
        options = _options(path, **common)
        if nodefile_path is None and deployment_path is None and options.job_id is None:
            raise SourceError(path, "none of 'nodefile', 'deployment' and 'job_id' is set, and $OAR_NODEFILE and "
                                    "$OAR_JOB_ID are unset", key="nodefile")
        return cls(origin=path, nodefile=nodefile_path, deployment=deployment_path, options=options, flavour=flavour)

    def files(self) -> list[str]:
        return [p for p in (self.nodefile, self.deployment) if p is not None]

    def signature(self) -> list[Any]:
        """Changes whenever a source file or an option changes (for the inventory cache)."""
        parts: list[Any] = []
        for path in self.files():
            try:
                stat = os.stat(path)
                parts.append([path, stat.st_mtime_ns, stat.st_size])
            except OSError:
                parts.append([path, None, None])
        parts.append(repr((self.options, self.flavour)))
        return parts

    def job_id(self) -> int | None:
        if self.nodefile is not None:
            from_name = nodefile_format.job_id_from_path(self.nodefile)
            if from_name is not None:
                return from_name
        return self.options.job_id

    def read_job(self) -> tuple[oarjob.Job | None, str | None]:
        """The live job (per ``live_job``) and the properties file, or a note saying why not."""
        job_id, options = self.job_id(), self.options
        job, note = None, None
        if job_id is not None and options.live_job != "never":
            try:
                job = oarjob.query(job_id)
            except oarjob.Unavailable as exc:
                if options.live_job == "always" or self.nodefile is None:
                    raise SourceError(self.origin, f"OAR job {job_id} cannot be read: {exc}") from None
                note = f"OAR job {job_id} not read, going on from {self.nodefile} alone: {exc}"
        if options.properties_file:
            job = oarjob.with_properties_file(job, options.properties_file, job_id)
        return job, note

    def describe(self, *, live: bool = True) -> InventorySpec:
        """The inventory of the files; with ``live``, also what OAR knows of the job now (never cached)."""
        job, note = self.read_job() if live or self.nodefile is None else (None, None)
        nodefile = None
        if self.nodefile is not None:
            nodefile = nodefile_format.load(self.nodefile, job_id=self.options.job_id)
        elif job is not None and self.deployment is None:
            nodefile = _job_nodefile(job, self.origin)
        deployment = None
        if self.deployment is not None:
            deployment = deployment_format.load(self.deployment, flavour=self.flavour)
        try:
            spec = describe(nodefile, deployment, self.options)
        except ConfigError as exc:
            raise SourceError(self.origin, str(exc)) from None
        if live:
            self.add_live(spec, job, note)
        return spec

    def add_live(self, spec: InventorySpec, job: oarjob.Job | None = None, note: str | None = None,
                 *, read: bool = False) -> None:
        """Overlay the live job on ``spec`` (``read``: read it now)."""
        if read:
            job, note = self.read_job()
        if note:
            spec.notes.append(note)
        if job is not None and job.state:
            add_job(spec, job)


def _job_nodefile(job: oarjob.Job, origin: str) -> nodefile_format.Nodefile:
    """The job's machines as a host list (a ``job_id`` without a nodefile)."""
    if not job.machines:
        raise SourceError(origin, f"OAR job {job.job_id} is {job.state} and OAR names no machine of it: give its "
                                  "nodefile", key="job_id")
    machines = []
    for machine in job.machines:
        problem = host_name_problem(machine.name)
        if problem is not None:
            raise SourceError(origin, f"OAR job {job.job_id}: {problem}", key="job_id")
        machines.append(nodefile_format.Machine(machine.name, machine.cores or 0, parse_g5k_name(machine.name)))
    return nodefile_format.Nodefile(path="", machines=tuple(machines), lines=sum(m.cores for m in machines),
                                    job_id=job.job_id)


def _resolve_file(config: str, base: str, key: str, value: str | None) -> str | None:
    if not value:
        return None
    target = os.path.normpath(os.path.join(base, os.path.expanduser(value)))
    if not os.path.exists(target):
        raise SourceError(config, f"{key} file '{target}' does not exist", key=key)
    if not os.path.isfile(target):
        raise SourceError(config, f"{key} '{target}' is not a file", key=key)
    return target
