# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""nixos-compose for the oar.nxc modules: build inputs, up-to-date decisions, argv, nxc's output.

Pure functions, shipped with the modules to the host that builds (which may be a reserved node
without the oar_nxc core), and unit-tested on output captured from the real nixos-compose 0.7.11
(tests/fixtures/nxc/).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import stat
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# the flavours of oar_nxc.formats.flavours (the core, where they are written; a unit test keeps this
# copy equal): the module runs on the builder, which may not have the core
FLAVOURS = ("docker", "g5k-image", "g5k-nfs-store", "g5k-ramdisk", "nspawn", "vm", "vm-ramdisk")
# nxc's composition file when nxc.json names none; the build is named after its stem
DEFAULT_COMPOSITION_FILE = "composition.nix"
# directories that hold outputs, not inputs, of a build (and VCS, caches, virtual environments)
EXCLUDE = ("build", "deploy", "artifact", "result", ".oar-nxc", ".git", ".hg", "__pycache__", ".venv", "venv",
           ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "node_modules", "dist")
TIMEOUT_RC = 124  # timeout(1)'s exit code when the time ran out
# a failure that is the input's fault (the core's errors.BAD_INPUT_SIGNAL; a unit test keeps them equal): the
# oar-nxc command line turns a result with oar_nxc_exit: bad_input into exit code 2
BAD_INPUT_SIGNAL = "bad_input"
MAX_TIMEOUT = 7 * 24 * 3600  # seconds: a step's timeout is 1 s to a week (Grid'5000's longest jobs)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def lines(text: str) -> list[str]:
    """Printable lines: ANSI codes removed, spinner frames (``\\r``) split, blanks dropped."""
    out: list[str] = []
    for raw in _ANSI.sub("", text or "").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if line:
            out.append(line)
    return out


def error_line(text: str) -> str:
    """The last ``Error:`` line, else the last line that mentions an error, else the last line."""
    found = lines(text)
    for line in reversed(found):
        if line.startswith("Error:"):
            return line
    for line in reversed(found):
        if "error" in line.lower():
            return line
    return found[-1] if found else "no output"


def quote(argv: Sequence[object]) -> str:
    return " ".join(shlex.quote(str(a)) for a in argv)


# bounds of the inputs' fingerprint: a source that is the whole system, /proc or a huge file is refused, named
MAX_INPUT_FILES = 200_000
MAX_INPUT_FILE_BYTES = 1 << 30  # 1 GiB: a bigger file (a sparse disk image) is no build input
MAX_INPUT_BYTES = 8 << 30
SYSTEM_ROOTS = ("/", "/proc", "/sys", "/dev", "/run", "/tmp", "/var", "/usr", "/etc", "/home", "/root", "/nix",  # noqa: S108
                "/nix/store")
PSEUDO_FILESYSTEMS = ("/proc", "/sys", "/dev")


class InputError(ValueError):
    """An input of the build that cannot be fingerprinted (the path is named)."""


def check_input_root(path: str, what: str = "build input") -> str:
    """PATH as an input root: a directory or a regular file, not a system directory nor under /proc, /sys, /dev."""
    full = os.path.realpath(path)
    if full in SYSTEM_ROOTS or any(full == p or full.startswith(p + os.sep) for p in PSEUDO_FILESYSTEMS):
        raise InputError(f"{what} {path} is {full}, a system directory: give the source tree itself")
    try:
        mode = os.stat(full).st_mode
    except OSError as exc:
        raise InputError(f"{what} {path}: {exc.strerror}") from None
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise InputError(f"{what} {path} is not a directory nor a regular file (a FIFO, a device or a socket)")
    return full


def file_digests(paths: Sequence[str], exclude: Iterable[str] = EXCLUDE) -> dict[str, str]:
    """Absolute path -> sha256 of the content, for every regular file under PATHS (symlinks, special files
    and EXCLUDE directories skipped), in a stable order. Bounded: InputError past MAX_INPUT_FILES files, a file
    over MAX_INPUT_FILE_BYTES or MAX_INPUT_BYTES in all, naming the path."""
    out: dict[str, str] = {}
    skip = set(exclude)
    total = 0
    for root_path in paths:
        root_path = os.path.abspath(root_path)
        check_input_root(root_path)
        if os.path.isfile(root_path):
            entries = [root_path]
        else:
            entries = []
            for directory, dirs, files in os.walk(root_path):
                dirs[:] = sorted(d for d in dirs if d not in skip)
                entries.extend(os.path.join(directory, name) for name in sorted(files))
                if len(entries) + len(out) > MAX_INPUT_FILES:
                    raise InputError(f"build input {root_path} holds more than {MAX_INPUT_FILES} files: give the "
                                     "source tree itself")
        for full in entries:
            try:
                info = os.lstat(full)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or full in out:
                continue  # symlinks and special files: not read (a FIFO would block)
            if info.st_size > MAX_INPUT_FILE_BYTES:
                raise InputError(f"build input {full} has {info.st_size} bytes, more than {MAX_INPUT_FILE_BYTES} "
                                 "(a disk image?): leave it out of the source tree")
            total += info.st_size
            if total > MAX_INPUT_BYTES:
                raise InputError(f"the build inputs under {root_path} hold more than {MAX_INPUT_BYTES} bytes")
            digest = hashlib.sha256()
            with open(full, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 16), b""):
                    digest.update(block)
            out[full] = digest.hexdigest()
    return out


def fingerprint(paths: Sequence[str], exclude: Iterable[str] = EXCLUDE, extra: Any = None,
                files: Mapping[str, str] | None = None) -> tuple[str, int]:
    """sha256 of every input file (its path relative to its root, and its content digest) and of
    the JSON of EXTRA -> (hex digest, files). Moving the roots keeps the digest."""
    files = file_digests(paths, exclude) if files is None else files
    roots = [os.path.abspath(p) for p in paths]
    digest = hashlib.sha256()
    for full in files:
        root = next((r for r in roots if full == r or full.startswith(r.rstrip(os.sep) + os.sep)), "")
        base = os.path.dirname(root) if os.path.isfile(root) else root
        digest.update(os.path.relpath(full, base).encode() + b"\0" + files[full].encode() + b"\0")
    digest.update(json.dumps(extra if extra is not None else {}, sort_keys=True).encode())
    return digest.hexdigest(), len(files)


def tree_digest(files: Mapping[str, str], root: str) -> str:
    """sha256 of the files under ROOT (relative paths and contents): a source tree's identity."""
    root = os.path.abspath(root)
    digest = hashlib.sha256()
    for full in sorted(files):
        if full == root or full.startswith(root.rstrip(os.sep) + os.sep):
            digest.update(os.path.relpath(full, root).encode() + b"\0" + files[full].encode() + b"\0")
    return digest.hexdigest()


def variant_sources(composition_dir: str, setup: str) -> tuple[dict[str, str], str]:
    """The ``build.<package path>.src`` paths nix reads from outside the flake for this setup
    variant (setup.toml's top-level ``[build]`` and the variant's, as nxc merges them; the
    variant ``[project] selected`` names when SETUP is empty) -> ({"build.nur.repos.kapack.oar.src":
    absolute path}, the variant). Relative paths are relative to the composition."""
    path = os.path.join(composition_dir, "setup.toml")
    try:
        import tomllib
    except ImportError:  # Python < 3.11 on the builder: no TOML reader, no source paths
        return {}, setup
    raw, why = read_bounded(path, SETUP_LIMIT)
    if raw is None:
        if why == "missing":
            if setup:
                raise ValueError(f"{path}: missing, so there is no setup variant '{setup}'")
            return {}, setup
        raise ValueError(f"{path}: {why}")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: cannot be read as TOML ({exc})") from None
    # as the core's setup.toml check (oar_nxc.formats.nxcsetup.check): every top-level key is a table
    for key, value in data.items():
        if not isinstance(value, dict):
            raise ValueError(f"{path}: key '{key}': must be a table ([section]), not a value")
    selected = (data.get("project") or {}).get("selected") if isinstance(data.get("project"), dict) else None
    if selected is not None and not isinstance(selected, str):
        raise ValueError(f"{path}: key 'project.selected': must be the name of a variant, not a "
                         f"{type(selected).__name__}")
    variant = setup or str(selected or "")
    variants = sorted(k for k, v in data.items() if k not in SETUP_SECTIONS and isinstance(v, dict))
    if variant and (variant in SETUP_SECTIONS or variant not in variants):
        raise ValueError(f"{path}: no setup variant '{variant}' (variants: {', '.join(variants) or 'none'}; "
                         f"{', '.join(SETUP_SECTIONS)} are sections, not variants)")
    found: dict[str, str] = {}

    def walk(prefix: str, table: Any) -> None:
        if not isinstance(table, dict):
            return
        for key, value in table.items():
            if key == "src":
                if not isinstance(value, str) or not value or "\0" in value:
                    raise ValueError(f"{path}: key '{prefix}src': must be a path, not {type(value).__name__} "
                                     f"{str(value)[:40]!r}")
                found[prefix + "src"] = os.path.normpath(os.path.join(composition_dir, os.path.expanduser(value)))
            elif isinstance(value, dict):
                walk(f"{prefix}{key}.", value)

    walk("build.", data.get("build"))  # the top level, then the variant's (nxc merges it last: it wins)
    if variant and isinstance(data.get(variant), dict):
        walk("build.", data[variant].get("build"))
    return found, variant


def changed_inputs(old: Mapping[str, str] | None, new: Mapping[str, str]) -> list[str]:
    """The input files added, removed or edited since the record OLD (sorted)."""
    if not isinstance(old, Mapping):
        return []
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


MAX_DEPTH = 32  # levels of nesting a value may have (the core's reading.JSON_MAX_DEPTH)


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether VALUE nests mappings and lists deeper than LIMIT levels (found without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def build_argv(nxc: str, flavour: str, setup: str = "", params: Mapping[str, Any] | None = None,
               extra_args: Sequence[object] = (), timeout: int = 7200) -> list[str]:
    """The nxc build command line, under timeout(1) (SIGKILL 30 s after SIGTERM)."""
    argv = ["timeout", "-k", "30", str(int(timeout)), nxc, "build", "-f", flavour]
    if setup:
        argv += ["-s", setup]
    for key, value in (params or {}).items():
        argv += ["-p", f"{key}={value}"]
    return argv + [str(a) for a in extra_args]


RECORD_LIMIT = 16 * 1024 * 1024  # bytes a JSON record of this project may have (as the core's "state record")


SETUP_LIMIT = 1024 * 1024  # bytes of a setup.toml (the core's reading.LIMITS["setup.toml"])
# setup.toml's sections that are no variant (the core's nxcsetup.SECTIONS; a unit test keeps them equal)
SETUP_SECTIONS = ("project", "params", "options", "override-params", "overrides", "build")


def read_bounded(path: str, limit: int) -> tuple[bytes | None, str]:
    """The bytes of the regular file PATH, at most LIMIT: (data, '') or (None, why not: 'missing', a special
    file, too large). A FIFO is opened without blocking and refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None, "missing"
    except OSError as exc:
        return None, f"{path}: {exc.strerror}"
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None, f"{path} is not a regular file"
        data = handle.read(limit + 1)
    if len(data) > limit:
        return None, f"{path} is larger than {limit} bytes"
    return data, ""


def read_json_object(path: str, limit: int = RECORD_LIMIT) -> tuple[dict[str, Any] | None, str]:
    """A JSON object of this project's at PATH, read as untrusted input: a regular file only (a FIFO is opened
    without blocking and refused), at most LIMIT bytes, strict UTF-8 JSON, an object at the top.
    (the object, '') or (None, why not); a missing file says 'missing'."""
    data, why = read_bounded(path, limit)
    if data is None:
        return None, why
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, f"{path} is not JSON ({' '.join(str(exc).split())[:120]})"
    except RecursionError:
        return None, f"{path} is JSON nested too deep"
    if not isinstance(value, dict):
        return None, f"{path} is not a JSON object"
    return value, ""


def composition_name(composition_dir: str) -> str:
    """nxc's name of the composition: the stem of nxc.json's ``composition`` file (as the oar_nxc
    core's ``composition.load`` reads it; a unit test keeps the two equal). An unreadable nxc.json
    counts as none here: the build itself reports it."""
    data, _why = read_json_object(os.path.join(composition_dir, "nxc.json"))
    name = data.get("composition") if data is not None else None
    file_name = os.path.basename(name) if isinstance(name, str) and name else DEFAULT_COMPOSITION_FILE
    return os.path.splitext(file_name)[0]


def build_paths(composition_dir: str, flavour: str) -> tuple[str, str]:
    """(the build result nxc links, the record of the last successful build) of a flavour."""
    build = os.path.join(composition_dir, "build")
    return (os.path.join(build, f"{composition_name(composition_dir)}::{flavour}"),
            os.path.join(build, f".oar-nxc-{flavour}.json"))


def read_record(path: str) -> tuple[dict[str, Any] | None, str]:
    """The JSON record at PATH -> (dict or None, why it is unusable or ''); an unusable one is rebuilt."""
    data, why = read_json_object(path)
    if why == "missing":
        return None, "no record of a successful build"
    if data is None:
        return None, f"the build record is unusable, so the build runs again: {why}"
    return data, ""


def build_decision(force: bool, result_exists: bool, record: Mapping[str, Any] | None, why_no_record: str,
                   digest: str, files: int, changed: Sequence[str] = ()) -> tuple[bool, str]:
    """Whether nxc build must run, and why (or why not)."""
    if force:
        return True, "forced (force=true)"
    if not result_exists:
        return True, "no build result yet"
    if record is None:
        return True, why_no_record
    if record.get("fingerprint") != digest:
        if changed:
            more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
            return True, f"rebuilt because {changed[0]} changed{more}"
        return True, "the build inputs changed since the last build"
    return False, f"up to date ({files} input files unchanged since the last build): nxc build skipped"


def failure(action: str, rc: int, stderr: str, stdout: str, argv: Sequence[object], timeout: int) -> str:
    """The one-line message of a failed nxc command."""
    head = f"nxc {action} timed out after {timeout} s" if rc == TIMEOUT_RC else f"nxc {action} failed (rc {rc})"
    return f"{head}: {error_line(stderr or stdout)} [{quote(argv)}]"
