"""A composition's ``setup.toml``: read it, check it against what nxc knows, resolve a variant.

The rules are those of nixos-compose 0.7.11 (``nixos_compose/setup.py`` and
``nix/setup.nix``):

* top-level tables ``project`` (only ``selected``), ``params``, ``options``,
  ``override-params``, ``overrides`` and ``build``; any other table is a *variant*;
* ``options``: ``nix-flags``, ``composition-file``, ``composition-flavour``, ``flavour``,
  ``kernel-params``; inside a variant nxc only reads ``nix-flags``, ``composition-file``
  and ``kernel-params``, so anything else there would be silently ignored: an error here;
* a variant holds ``params``, ``options``, ``build`` and ``overrides``;
* ``build.<pkg>.<op>`` and ``build.nur.repos.<repo>.<pkg>.<op>`` with op in
  ``src``, ``deps``, ``args``, ``attrs``;
* the selected variant is merged recursively over the top level, then ``override-params``
  over ``params``.
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any

from oar_nxc.errors import SourceError

SECTIONS = ("project", "params", "options", "override-params", "overrides", "build")
PROJECT_KEYS = ("selected",)
OPTION_KEYS = ("nix-flags", "composition-file", "composition-flavour", "flavour", "kernel-params")
VARIANT_OPTION_KEYS = ("nix-flags", "composition-file", "kernel-params")
VARIANT_KEYS = ("params", "options", "build", "overrides")
BUILD_OPS = ("src", "deps", "args", "attrs")


def parse_text(text: str, source: str) -> dict[str, Any]:
    """Parse and check a setup.toml text; errors name ``source``, the line or the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column \d+\)", str(exc))  # 3.11: no exc.lineno
        line = int(where.group(1)) if where else None
        message = str(exc).split(" (at ", maxsplit=1)[0]
        raise SourceError(source, f"not valid TOML: {message}", line=line) from None
    check(data, source)
    return data


def load(path: str | Path) -> dict[str, Any]:
    """setup.toml, read as any input (a regular file within its limit, strict UTF-8), then parsed and checked."""
    from oar_nxc.formats import reading

    source = str(path)
    return parse_text(reading.decode(reading.read_bytes(source, "setup.toml"), source), source)


def variants(data: dict[str, Any]) -> list[str]:
    return sorted(key for key in data if key not in SECTIONS)


def check(data: dict[str, Any], source: str) -> None:
    """Raise SourceError on the first key nxc would not understand or would ignore."""
    for key, value in data.items():
        if not isinstance(value, dict):
            raise SourceError(source, "must be a table ([section]), not a value", key=key)
        if key == "project":
            _only(value, PROJECT_KEYS, source, "project")
        elif key == "options":
            _only(value, OPTION_KEYS, source, "options")
        elif key == "build":
            _check_build(value, source, "build")
        elif key in ("params", "override-params", "overrides"):
            continue
        else:
            _check_variant(key, value, source)
    selected = data.get("project", {}).get("selected")
    if selected is not None and (selected in SECTIONS or selected not in data):
        raise SourceError(source, f"names the variant '{selected}', which is not defined", key="project.selected")


def _check_variant(name: str, value: dict[str, Any], source: str) -> None:
    for key, sub in value.items():
        path = f"{name}.{key}"
        if key not in VARIANT_KEYS:
            raise SourceError(source, f"unknown in a setup variant (nxc knows {', '.join(VARIANT_KEYS)})", key=path)
        if not isinstance(sub, dict):
            raise SourceError(source, "must be a table", key=path)
        if key == "options":
            extra = [k for k in sub if k not in VARIANT_OPTION_KEYS]
            if extra:
                raise SourceError(
                    source,
                    f"nxc ignores this option in a variant (it reads {', '.join(VARIANT_OPTION_KEYS)} there; "
                    "give the flavour with -f / nxc_build_flavour)",
                    key=f"{path}.{extra[0]}",
                )
        elif key == "build":
            _check_build(sub, source, path)


def _check_build(build: dict[str, Any], source: str, path: str) -> None:
    for pkg, ops in build.items():
        if pkg == "nur":
            repos = ops.get("repos") if isinstance(ops, dict) else None
            if not isinstance(repos, dict) or set(ops) != {"repos"}:
                raise SourceError(source, "must hold only repos.<repo>.<package>", key=f"{path}.nur")
            for repo, pkgs in repos.items():
                if not isinstance(pkgs, dict):
                    raise SourceError(source, "must be a table of packages", key=f"{path}.nur.repos.{repo}")
                for name, pkg_ops in pkgs.items():
                    _check_ops(pkg_ops, source, f"{path}.nur.repos.{repo}.{name}")
        else:
            _check_ops(ops, source, f"{path}.{pkg}")


def _check_ops(ops: Any, source: str, path: str) -> None:
    if not isinstance(ops, dict):
        raise SourceError(source, f"must be a table of {', '.join(BUILD_OPS)}", key=path)
    _only(ops, BUILD_OPS, source, path)


def _only(table: dict[str, Any], allowed: tuple[str, ...], source: str, path: str) -> None:
    for key in table:
        if key not in allowed:
            raise SourceError(source, f"unknown to nxc (known: {', '.join(allowed)})", key=f"{path}.{key}")


def resolve(data: dict[str, Any], variant: str | None = None, params: dict[str, Any] | None = None,
            *, source: str = "setup.toml") -> dict[str, Any]:
    """The ``setup`` a composition receives: variant merged over the top level, then params.

    ``variant`` None keeps ``project.selected`` (as ``nix build`` would see the file);
    ``params`` are ``nxc build -p`` values (they become ``[override-params]``).
    """
    data = copy.deepcopy(data)
    if params is not None:
        data["override-params"] = dict(params)
    selected = variant if variant is not None else data.get("project", {}).get("selected", "")
    if selected:
        if selected in SECTIONS or selected not in data:
            known = ", ".join(variants(data)) or "none"
            raise SourceError(source, f"no setup variant '{selected}' (variants: {known})")
        merged = _merge(data, data[selected])
    else:
        merged = _merge(data, {"project": {"selected": ""}})
    merged.setdefault("project", {})["selected"] = selected or ""
    if "override-params" in merged and "params" in merged:  # as nix/setup.nix: only with [params]
        merged["params"] = {**merged.get("params", {}), **merged["override-params"]}
    return merged


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
