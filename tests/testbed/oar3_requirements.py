"""Print the pip requirements of an OAR 3 checkout, one a line, from its own pyproject.toml.

    python3 tests/testbed/oar3_requirements.py <checkout>/pyproject.toml > requirements.txt
    python3 tests/testbed/oar3_requirements.py --lock <checkout>/poetry.lock > constraints.txt

Used by the testbed (tests/testbed/oar3.sh) to install OAR 3's Python dependencies from PyPI into
the testbed's own virtual environment. OAR 3 declares them in ``[tool.poetry.dependencies]``
(its setup.py lists an older, unpinned set); this turns Poetry's constraints into PEP 508 ones:
``^1.2.3`` is ``>=1.2.3,<2.0.0``, ``~1.2`` is ``~=1.2``, extras are kept. The one substitution:
``psycopg2`` (a C build against libpq) becomes ``psycopg2-binary`` with the same versions, so the
testbed needs no PostgreSQL headers. ``--lock`` prints the versions the checkout's poetry.lock
pins (``name==version``), as a pip constraints file: without it, pip takes the newest release
allowed, and SQLAlchemy 2.1 (newer than OAR 3's lock, 2.0.29) defaults ``postgresql://`` to
psycopg 3, which OAR 3 does not depend on. Exit 2 with the file and key named when the file is not an
OAR 3 pyproject.toml.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

SUBSTITUTES = {"psycopg2": "psycopg2-binary"}


class RequirementsError(ValueError):
    """The pyproject.toml does not declare OAR 3's dependencies as expected."""


def caret(version: str) -> str:
    """Poetry's ``^X.Y.Z``: at least that version, below the next bump of its first non-zero part."""
    parts = [int(p) for p in version.split(".")]
    first = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
    upper = parts[: first + 1]
    upper[-1] += 1
    upper += [0] * (len(parts) - len(upper))
    return f">={version},<{'.'.join(map(str, upper))}"


def constraint(spec: str) -> str:
    out = []
    for part in (p.strip() for p in spec.split(",")):
        if part.startswith("^"):
            out.append(caret(part[1:]))
        elif part.startswith("~") and not part.startswith("~="):
            out.append("~=" + part[1:])
        elif part == "*":
            continue
        else:
            out.append(part)
    return ",".join(out)


def requirements(pyproject: Path) -> list[str]:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RequirementsError(f"{pyproject}: {exc}") from None
    deps = data.get("tool", {}).get("poetry", {}).get("dependencies")
    if not isinstance(deps, dict) or not deps:
        raise RequirementsError(f"{pyproject}: no [tool.poetry.dependencies] table (is this an OAR 3 checkout?)")
    lines = []
    for name, spec in deps.items():
        if name == "python":
            continue
        extras: list[str] = []
        if isinstance(spec, dict):
            extras = list(spec.get("extras", []))
            spec = spec.get("version")
        if not isinstance(spec, str):
            raise RequirementsError(f"{pyproject}: tool.poetry.dependencies.{name}: no version constraint")
        name = SUBSTITUTES.get(name, name)
        lines.append(name + (f"[{','.join(extras)}]" if extras else "") + constraint(spec))
    return lines


def pins(lock: Path) -> list[str]:
    """``name==version`` for every package of a poetry.lock."""
    try:
        data = tomllib.loads(lock.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RequirementsError(f"{lock}: {exc}") from None
    packages = data.get("package")
    if not isinstance(packages, list):
        raise RequirementsError(f"{lock}: no [[package]] entries (is this a poetry.lock?)")
    lines = []
    for index, package in enumerate(packages):
        if not isinstance(package, dict) or not isinstance(package.get("name"), str) \
                or not isinstance(package.get("version"), str):
            raise RequirementsError(f"{lock}: package[{index}]: no name or version")
        lines.append(f"{SUBSTITUTES.get(package['name'], package['name'])}=={package['version']}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--lock":
        read, path = pins, argv[1]
    elif len(argv) == 1 and not argv[0].startswith("-"):
        read, path = requirements, argv[0]
    else:
        print("usage: oar3_requirements.py <checkout>/pyproject.toml | --lock <checkout>/poetry.lock", file=sys.stderr)
        return 2
    try:
        print("\n".join(read(Path(path))))
    except RequirementsError as exc:
        print(f"oar3_requirements: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
