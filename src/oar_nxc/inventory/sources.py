"""What one inventory source asks for, resolved to files, and turned into an InventorySpec.

The inventory plugin only maps its options onto :class:`Request`; everything that
reads a format lives in :mod:`oar_nxc.formats.nodefile` and :mod:`oar_nxc.formats.deployment`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from oar_nxc.errors import ConfigError, OarNxcError, SourceError
from oar_nxc.formats import deployment as deployment_format
from oar_nxc.formats import nodefile as nodefile_format
from oar_nxc.formats import reading
from oar_nxc.formats.detect import sniff
from oar_nxc.formats.names import machine_name_problem, parse_g5k_name
from oar_nxc.formats.reading import excerpt
from oar_nxc.inventory import known
from oar_nxc.inventory.spec import (
    ALL_MACHINES_GROUP,
    NIXOS_PYTHON,
    InventorySpec,
    Options,
    add_job,
    add_machines,
    describe,
)
from oar_nxc.oar import jobs as oarjob
from oar_nxc.oar.frontend import Frontend, FrontendError

__all__ = ["InventorySpec", "OarNxcError", "Request", "check_config_file", "check_config_keys", "options_from",
           "sniff"]

INI_REFUSED = (
    "looks like an INI inventory, not an OAR nodefile (line {line}: {text}). This project's ansible.cfg "
    "leaves the 'ini' plugin out, so that a malformed nodefile is never read silently as an INI inventory: "
    "write this inventory in YAML"
)


def check_config_file(path: str) -> Any:
    """A ``plugin: oar_nxc`` file must be a regular file within its size limit, strict UTF-8, and YAML without a
    key given twice at any level (Ansible's own YAML reader only warns, and keeps the last): checked before
    Ansible reads it, each problem naming the file, the line and the key. Its data (tags read as their text)."""
    import yaml

    text = reading.decode(reading.read_bytes(path, "configuration file"), path)
    try:
        return yaml.load(text, Loader=_StrictYaml)  # noqa: S506 (a SafeLoader that refuses duplicate keys)
    except _DuplicateKey as exc:
        raise SourceError(path, f"key '{exc.key}' is given twice (lines {exc.first} and {exc.second}): the second "
                                "would silently replace the first", line=exc.second) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SourceError(path, f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                          line=mark.line + 1 if mark is not None else None) from None


class _DuplicateKey(Exception):
    def __init__(self, key: str, first: int, second: int) -> None:
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


def _strict_yaml_loader() -> type:
    import yaml

    class Strict(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: dict[Any, int] = {}
            for key_node, _value in node.value:
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                if isinstance(key, (str, int, float, bool)) and key in seen:
                    raise _DuplicateKey(str(key)[:60], seen[key], line)
                if isinstance(key, (str, int, float, bool)):
                    seen[key] = line
            return dict(super().construct_mapping(node, deep=deep))

    # Ansible's tags (!unsafe, !vault) read as their text: only the keys matter here
    Strict.add_multi_constructor("!", lambda loader, _suffix, node: loader.construct_scalar(node)
                                 if isinstance(node, yaml.ScalarNode) else None)
    return Strict


_StrictYaml = _strict_yaml_loader()


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


# the options every source kind takes (the plugin's, and oar-nxc inventory's for a configuration file)
COMMON_OPTIONS = ("job_id", "nodes", "exclude", "relax_host_key_checking", "private_key_file", "python_interpreter",
                  "live_job", "properties_file", "frontend", "frontend_user", "frontend_port",
                  "frontend_private_key_file", "frontend_known_hosts_file", "frontend_proxy_jump")
# the options of a configuration file only
CONFIG_OPTIONS = ("plugin", "nodefile", "deployment", "tag", "flavour")
# the names its plugin: key may give
PLUGIN_NAMES = ("oar.nxc.oar_nxc", "oar_nxc")
# the environment variable of each option that has one (the plugin's documentation names the same)
OPTION_ENV = {"nodefile": "OAR_NODEFILE", "job_id": "OAR_JOB_ID", "live_job": "OAR_NXC_LIVE_JOB",
              "properties_file": "OAR_RESOURCE_PROPERTIES_FILE", "nodes": "OAR_NXC_NODES",
              "exclude": "OAR_NXC_EXCLUDE", "relax_host_key_checking": "OAR_NXC_RELAX_HOST_KEY_CHECKING",
              "private_key_file": "OAR_NXC_PRIVATE_KEY_FILE", "frontend": "OAR_NXC_FRONTEND",
              "frontend_user": "OAR_NXC_FRONTEND_USER", "frontend_port": "OAR_NXC_FRONTEND_PORT",
              "frontend_private_key_file": "OAR_NXC_FRONTEND_PRIVATE_KEY_FILE",
              "frontend_known_hosts_file": "OAR_NXC_FRONTEND_KNOWN_HOSTS_FILE",
              "frontend_proxy_jump": "OAR_NXC_FRONTEND_PROXY_JUMP"}

FRONTEND_KEYS = ("frontend", "frontend_user", "frontend_port", "frontend_private_key_file",
                 "frontend_known_hosts_file", "frontend_proxy_jump")


def _frontend(values: Mapping[str, Any], where: _Where) -> Frontend | None:
    """The frontend that OAR's commands run on over ssh (``frontend`` and its ``frontend_*`` settings)."""
    text = {key: _text(key, values.get(key), where) for key in FRONTEND_KEYS if key != "frontend_port"}
    host = text.pop("frontend")
    given = [key for key in FRONTEND_KEYS if key != "frontend" and values.get(key) not in (None, "")]
    if host is None:
        if given:
            raise where.error(given[0], "is set, and frontend is not: name the frontend host too")
        return None
    port_value = values.get("frontend_port")
    port = None
    if port_value not in (None, ""):
        digits = str(port_value).strip()
        if isinstance(port_value, bool) or not re.fullmatch(r"[0-9]{1,5}", digits, re.ASCII):
            raise where.error("frontend_port", f"{excerpt(str(port_value), 20)} is not a TCP port (1-65535)")
        port = int(digits)
    try:
        return Frontend.checked(host, user=text["frontend_user"], port=port,
                                private_key_file=text["frontend_private_key_file"],
                                known_hosts_file=text["frontend_known_hosts_file"],
                                proxy_jump=text["frontend_proxy_jump"])
    except FrontendError as exc:
        raise where.error(exc.key, str(exc)) from None


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
        frontend=_frontend(values, where),
    )


def _options(source: str, *, origins: Mapping[str, str] | None = None, **values: Any) -> Options:
    return options_from(values, source, origins)


# The plugin's refusals, as a machine-readable signal: when this environment variable names a file, each
# refusal is appended to it as one JSON line {"source", "message"} (the oar-nxc CLI sets it, and reads
# its exit code from there, never from the text Ansible prints)
REFUSALS_ENV = "OAR_NXC_REFUSALS"


def record_refusal(source: str, message: str) -> None:
    """Append one refusal to the file of ``$OAR_NXC_REFUSALS``, when set (nothing else is written)."""
    target = os.environ.get(REFUSALS_ENV)
    if not target:
        return
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"source": source, "message": message}) + "\n")


MAX_SOURCES = 64  # nodefiles or job ids in one configuration (one per site, for a multi-site experiment)


def _many(key: str, value: Any, where: _Where) -> list[Any]:
    """A value or a list of values (``nodefile: [a, b]``, ``job_id: [1, 2]``)."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise where.error(key, "an empty list: give at least one")
        if len(value) > MAX_SOURCES:
            raise where.error(key, f"{len(value)} items: at most {MAX_SOURCES}")
        return list(value)
    return [] if value is None or value == "" else [value]


@dataclass(frozen=True, slots=True)
class Request:
    """Resolved source files and options of one inventory source: nodefiles (several for a
    multi-site experiment, one job each), job ids without a nodefile (their machines come from
    OAR), a deployment file."""

    origin: str
    nodefiles: tuple[str, ...]
    deployment: str | None
    options: Options = field(default_factory=Options)
    flavour: str | None = None
    job_ids: tuple[int, ...] = ()  # jobs given by id alone

    @property
    def nodefile(self) -> str | None:
        return self.nodefiles[0] if self.nodefiles else None

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
            return cls(origin=path, nodefiles=(path,), deployment=None, options=options)
        return cls(origin=path, nodefiles=(), deployment=path, options=options, flavour=flavour)

    @classmethod
    def for_config(cls, path: str, *, nodefile: Any, deployment: str | None, tag: str | None,
                   flavour: str | None = None, **common: Any) -> Request:
        """A ``plugin: oar_nxc`` YAML file; relative paths are relative to it. ``nodefile`` and ``job_id``
        may be lists (one job per site); each nodefile's job is the id in its name."""
        base = os.path.dirname(os.path.abspath(path))
        where = _Where(path, common.get("origins"))
        given = common.get("properties_file")
        if isinstance(given, str) and given and "properties_file" not in (common.get("origins") or {}):
            # the configuration's own key: relative to the configuration, as its nodefile and deployment
            common = {**common, "properties_file": os.path.normpath(os.path.join(base, os.path.expanduser(given)))}
        nodefiles = _many("nodefile", nodefile, where)
        job_values = _many("job_id", common.get("job_id"), where)
        several = len(nodefiles) > 1 or len(job_values) > 1
        paths = []
        for index, item in enumerate(nodefiles):
            if not isinstance(item, str):
                raise where.error("nodefile", f"{_kind(item)} is not a path", index=index if several else None)
            resolved = _resolve_file(path, base, "nodefile", item)
            if resolved is not None:
                paths.append(resolved)
        if len(set(paths)) != len(paths):
            twice = next(p for p in paths if paths.count(p) > 1)
            raise where.error("nodefile", f"'{twice}' is listed twice")
        job_ids: tuple[int, ...] = ()
        if not several:
            common = {**common, "job_id": job_values[0] if job_values else None}
        else:
            if len(nodefiles) > 1 and job_values:
                raise where.error("job_id", "with several nodefiles, each job's id comes from its file's name "
                                            "(OAR.<id>.stdout, /var/lib/oar/<id>): list here only jobs without a "
                                            "nodefile")
            ids = [nodefile_format.job_id_from_value(v, f"{path}: key 'job_id[{i}]'") for i, v in enumerate(job_values)]
            job_ids = tuple(i for i in ids if i is not None)
            if len(set(job_ids)) != len(job_ids):
                raise where.error("job_id", f"job {next(i for i in job_ids if job_ids.count(i) > 1)} is listed twice")
            common = {**common, "job_id": None}
            if len(paths) > 1:
                unnamed = [p for p in paths if nodefile_format.job_id_from_path(p) is None]
                if unnamed:
                    raise where.error("nodefile", f"'{unnamed[0]}' does not carry its job id in its name "
                                                  "(OAR.<id>.stdout or <OAR runtime dir>/<id>): with several "
                                                  "nodefiles, each must")
                by_job: dict[int, str] = {}
                for nodefile_path in paths:
                    job = nodefile_format.job_id_from_path(nodefile_path)
                    if job is not None and job in by_job:
                        raise where.error("nodefile", f"'{by_job[job]}' and '{nodefile_path}' are both the nodefile "
                                                      f"of OAR job {job}: give one file per job")
                    if job is not None:
                        by_job[job] = nodefile_path
                clash = sorted(set(by_job) & set(job_ids))
                if clash:
                    raise where.error("job_id", f"job {clash[0]} is also the job of '{by_job[clash[0]]}'")
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
        if not paths and deployment_path is None and options.job_id is None and not job_ids:
            raise SourceError(path, "none of 'nodefile', 'deployment' and 'job_id' is set, and $OAR_NODEFILE and "
                                    "$OAR_JOB_ID are unset", key="nodefile")
        if not paths and options.job_id is not None and not job_ids:  # one job, by id alone
            job_ids, options = (options.job_id,), dataclasses.replace(options, job_id=None)
        return cls(origin=path, nodefiles=tuple(paths), deployment=deployment_path, options=options,
                   flavour=flavour, job_ids=job_ids)

    def files(self) -> list[str]:
        return [*self.nodefiles, *([self.deployment] if self.deployment else [])]

    def signature(self) -> list[Any]:
        """Changes whenever a source file or an option changes (for the inventory cache)."""
        parts: list[Any] = []
        for path in self.files():
            try:
                stat = os.stat(path)
                parts.append([path, stat.st_mtime_ns, stat.st_size])
            except OSError:
                parts.append([path, None, None])
        parts.append(repr((self.options, self.flavour, self.job_ids)))
        return parts

    def _file_job_id(self, path: str) -> int | None:
        from_name = nodefile_format.job_id_from_path(path)
        return from_name if from_name is not None else self.options.job_id

    def read_jobs(self) -> tuple[list[oarjob.Job], list[str]]:
        """The live jobs (per ``live_job``) of the nodefiles and of the jobs given by id, and notes
        saying why one could not be read; a job given by id alone must be read."""
        options = self.options
        jobs: list[oarjob.Job] = []
        notes: list[str] = []
        wanted = [(self._file_job_id(p), p) for p in self.nodefiles] + [(j, None) for j in self.job_ids]
        for job_id, path in wanted:
            if job_id is None:
                continue
            if path is None and options.live_job == "never":
                raise SourceError(self.origin, f"OAR job {job_id} is given by id alone, and live_job is never: give "
                                               "its nodefile, or let the plugin ask OAR", key="job_id")
            if options.live_job == "never":
                continue
            try:
                jobs.append(oarjob.query(job_id, run=options.frontend.run) if options.frontend else
                            oarjob.query(job_id))
            except oarjob.Unavailable as exc:
                if options.live_job == "always" or path is None:
                    raise SourceError(self.origin, f"OAR job {job_id} cannot be read: {exc}") from None
                notes.append(f"OAR job {job_id} not read, going on from {path} alone: {exc}")
        if options.properties_file:
            if len(wanted) > 1:
                raise SourceError(self.origin, "properties_file ($OAR_RESOURCE_PROPERTIES_FILE) belongs to one job, "
                                               "and this source has several", key="properties_file")
            job_id = wanted[0][0] if wanted else None
            found = oarjob.with_properties_file(jobs[0] if jobs else None, options.properties_file, job_id)
            jobs = [found]
        return jobs, notes

    def describe(self, *, live: bool = True) -> InventorySpec:
        """The inventory of the files; with ``live``, also what OAR knows of the jobs now (never cached).
        Jobs given by id alone are always read: their machines come from OAR."""
        jobs, notes = self.read_jobs() if live or self.job_ids else ([], [])
        nodefiles = [nodefile_format.load(p, job_id=self.options.job_id if len(self.nodefiles) == 1 else None)
                     for p in self.nodefiles]
        by_id = {job.job_id: job for job in jobs}
        nodefiles += [_job_nodefile(by_id[j], self.origin) for j in self.job_ids if j in by_id]
        deployment = None
        if self.deployment is not None:
            deployment = deployment_format.load(self.deployment, flavour=self.flavour)
        try:
            spec = describe(nodefiles or None, deployment, self.options)
        except ConfigError as exc:
            raise SourceError(self.origin, str(exc)) from None
        if live:
            self.add_live(spec, jobs, notes)
        return spec

    def add_live(self, spec: InventorySpec, jobs: list[oarjob.Job] | None = None, notes: list[str] | None = None,
                 *, read: bool = False) -> None:
        """Overlay the live jobs on ``spec`` (``read``: read them now)."""
        if read:
            jobs, notes = self.read_jobs()
        spec.notes.extend(notes or [])
        for job in jobs or []:
            if job.state:
                add_job(spec, job)
            elif job.machines:  # a properties file, without OAR to read the job from: its machines all the same
                add_machines(spec, job)


_JOB_GROUP = re.compile(r"oar_job_([0-9]+)")


def add_known(spec: InventorySpec, *, deployment: str | None = None) -> list[str]:
    """Add to ``spec`` the deployed hosts nxc start recorded for each of its OAR jobs (oar_nxc.inventory.known),
    as recorded, each with ``nxc_deployed_record`` (the record's path). Not for a source that names its DEPLOYMENT
    file (that file gives the deployed hosts). Returns why a record found was not used: a record is a cache, it
    never fails the inventory."""
    if deployment is not None:
        return []
    unused: list[str] = []
    for group in list(spec.groups):
        found = _JOB_GROUP.fullmatch(group)
        machines = [h for h in spec.groups[group] if h in spec.groups.get(ALL_MACHINES_GROUP, ())]
        if found is None or not machines:
            continue
        job_id = int(found.group(1))
        path = known.record_path(job_id)
        record = known.read(path)
        if record is None:
            continue
        identity = known.job_identity(spec.group_vars.get(group, {}).get("oar_job"),
                                      spec.hosts[machines[0]].get("oar_nodefile"))
        why = known.usable(record, job_id, machines, identity)
        if why is None:
            clash = [h["name"] for h in record["hosts"] if h["name"] in spec.hosts or h["name"] in spec.groups or
                     any(g in spec.hosts for g in h["groups"])]
            why = f"host {clash[0]} clashes with a name of this inventory" if clash else None
        if why is not None:
            unused.append(f"{path}: the deployed hosts recorded for OAR job {job_id} are not used: {why}")
            continue
        for index, host in enumerate(record["hosts"]):
            spec.add(host["name"], {**host["vars"], known.RECORD_VAR: path}, host["groups"],
                     origin=(path, None, f"hosts[{index}]"))
    return unused


def _job_nodefile(job: oarjob.Job, origin: str) -> nodefile_format.Nodefile:
    """The job's machines as a host list (a ``job_id`` without a nodefile)."""
    if not job.machines:
        raise SourceError(origin, f"OAR job {job.job_id} is {job.state} and OAR names no machine of it: give its "
                                  "nodefile", key="job_id")
    machines = []
    for machine in job.machines:
        problem = machine_name_problem(machine.name)
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
