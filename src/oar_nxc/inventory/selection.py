"""Choosing a subset of the reserved machines, and writing nxc machine files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from typing import TypeVar

from oar_nxc.errors import ConfigError

T = TypeVar("T")


def matches(name: str, patterns: Iterable[str]) -> bool:
    """True when ``name`` matches one of the shell-style ``patterns`` (case-sensitive)."""
    return any(fnmatchcase(name, pattern) for pattern in patterns)


def select(items: Sequence[T], names: Sequence[str], *, nodes: int | None = None,
           exclude: Sequence[str] = ()) -> list[T]:
    """Drop the items whose name matches ``exclude``, then keep the first ``nodes``.

    ``names[i]`` is the name of ``items[i]``. Asking for more nodes than remain is an error.
    """
    if nodes is not None and nodes < 1:
        raise ConfigError(f"nodes: {nodes} is not a positive number of hosts")
    kept = [item for item, name in zip(items, names, strict=True) if not matches(name, exclude)]
    if not kept and items:
        asked = f" (nodes: {nodes})" if nodes is not None else ""
        raise ConfigError(f"exclude {list(exclude)} leaves none of the {len(items)} hosts{asked}: nothing to "
                          "deploy on")
    if nodes is not None:
        if nodes > len(kept):
            after = f" after exclude {list(exclude)}" if exclude else ""
            raise ConfigError(f"nodes: {nodes} hosts requested but only {len(kept)} available{after}")
        kept = kept[:nodes]
    return kept


def machine_file(names: Iterable[str]) -> str:
    """The text of an nxc machine file: one unique name per line, order kept."""
    unique = list(dict.fromkeys(names))
    return "".join(f"{name}\n" for name in unique)
