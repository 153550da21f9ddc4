"""What one inventory source asks for, resolved to files, and turned into an InventorySpec.

The inventory plugin only maps its options onto :class:`Request`; everything that
reads a format lives in :mod:`oar_nxc.nodefile` and :mod:`oar_nxc.deployment`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from oar_nxc import deployment as deployment_format
from oar_nxc import nodefile as nodefile_format
from oar_nxc.detect import sniff
from oar_nxc.errors import ConfigError, OarNxcError, SourceError
from oar_nxc.inventory import NIXOS_PYTHON, InventorySpec, Options, describe

__all__ = ["InventorySpec", "OarNxcError", "Request", "check_config_keys", "sniff"]

INI_REFUSED = (
    "looks like an INI inventory, not an OAR nodefile (line {line}: {text!r}). This project's ansible.cfg "
    "leaves the 'ini' plugin out, so that a malformed nodefile is never read silently as an INI inventory: "
    "write this inventory in YAML"
)


def check_config_keys(config: Mapping[str, Any], path: str, known: Iterable[str]) -> None:
    """Refuse unknown keys in a ``plugin: oar_nxc`` file, naming the key."""
    known_set = set(known)
    for key in config:
        if key not in known_set:
            raise SourceError(path, f"unknown option; known options: {', '.join(sorted(known_set))}", key=key)


def _ini_line(path: str) -> tuple[int, str]:
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                return number, line.strip()
    return 1, ""


def _options(source: str, *, job_id: Any, nodes: Any, exclude: Any, relax_host_key_checking: Any,
             private_key_file: Any, python_interpreter: Any) -> Options:
    exclude_list = [exclude] if isinstance(exclude, str) else list(exclude or [])
    return Options(
        nodes=None if nodes in (None, "") else int(nodes),
        exclude=tuple(p.strip() for p in exclude_list if p and p.strip()),
        job_id=nodefile_format.job_id_from_value(job_id, f"{source}: job_id (or $OAR_JOB_ID)"),
        relax_host_key_checking=True if relax_host_key_checking is None else bool(relax_host_key_checking),
        private_key_file=private_key_file or None,
        python_interpreter=python_interpreter or NIXOS_PYTHON,
    )


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
        if nodefile_path is None and deployment_path is None:
            raise SourceError(path, "neither 'nodefile' nor 'deployment' is set, and $OAR_NODEFILE is unset",
                              key="nodefile")
        return cls(origin=path, nodefile=nodefile_path, deployment=deployment_path,
                   options=_options(path, **common), flavour=flavour)

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

    def describe(self) -> InventorySpec:
        nodefile = None
        if self.nodefile is not None:
            nodefile = nodefile_format.load(self.nodefile, job_id=self.options.job_id)
        deployment = None
        if self.deployment is not None:
            deployment = deployment_format.load(self.deployment, flavour=self.flavour)
        try:
            return describe(nodefile, deployment, self.options)
        except ConfigError as exc:
            raise SourceError(self.origin, str(exc)) from None


def _resolve_file(config: str, base: str, key: str, value: str | None) -> str | None:
    if not value:
        return None
    target = os.path.normpath(os.path.join(base, os.path.expanduser(value)))
    if not os.path.exists(target):
        raise SourceError(config, f"{key} file '{target}' does not exist", key=key)
    if not os.path.isfile(target):
        raise SourceError(config, f"{key} '{target}' is not a file", key=key)
    return target
