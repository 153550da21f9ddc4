# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Controller checks of the oar.nxc preflight: the ansible-core range, the collections a flavour
needs. Used by the oar.nxc.preflight action and the filters of the same names."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path

try:  # the oar_nxc_exit values oar-nxc turns into exit codes, as the core writes them (oar_nxc.errors)
    from oar_nxc.plugin_api import errors as _errors
except ImportError:  # the core is missing: every action that sends them refuses first (core.require)
    BAD_INPUT = RESERVATION = UNREACHABLE = "core missing"
else:
    BAD_INPUT = _errors.BAD_INPUT_SIGNAL
    RESERVATION = _errors.RESERVATION_SIGNAL
    UNREACHABLE = _errors.UNREACHABLE_SIGNAL

# this collection's meta/runtime.yml (plugins/plugin_utils/checks.py -> the collection root)
RUNTIME = Path(__file__).resolve().parents[2] / "meta" / "runtime.yml"


class CheckError(Exception):
    """A check that cannot be made (an unreadable runtime.yml)."""


def ansible_unsupported(version: str, runtime: str | None = None) -> str:
    """'' when meta/runtime.yml's requires_ansible admits ansible-core VERSION, else why not."""
    import yaml
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    path = Path(runtime) if runtime else RUNTIME
    try:
        spec = str((yaml.safe_load(path.read_text()) or {})["requires_ansible"])
        ok = Version(str(version).split()[0]) in SpecifierSet(spec)
    except (OSError, KeyError, TypeError, yaml.YAMLError, InvalidSpecifier, InvalidVersion) as exc:
        raise CheckError(f"cannot check ansible-core {version} against {path}: {exc}") from None
    if ok:
        return ""
    return f"ansible-core {version} is not supported by oar.nxc: it requires ansible-core {spec} ({path})"


def missing_collections(names: Iterable[str]) -> list[str]:
    """Collection names (namespace.name) -> those this Ansible cannot load."""
    out = []
    for name in names:
        try:
            found = importlib.util.find_spec(f"ansible_collections.{name}") is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(str(name))
    return out
