# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Nix for the oar.nxc modules: its version, the install command of each method, nix.conf.

Pure functions, shipped with M(oar.nxc.nix_setup) to the host that gets nix, and unit-tested on
the output of Debian's nix-bin (tests/unit/plugins/module_utils/test_nix.py).
"""

from __future__ import annotations

import os
import pwd
import re
import shlex

METHODS = ("package", "official", "nxc-helper")
# where the non-package methods put nix, searched before $PATH
USER_BIN_DIRS = (".local/bin", ".nix-profile/bin")  # under the home directory


def home() -> str:
    """The user's home directory: $HOME, else the password database's."""
    return os.environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir


_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
_FEATURES = re.compile(r"^\s*experimental-features\s*=")


def version(text: str) -> tuple[int, int, int] | None:
    """``nix (Nix) 2.18.1`` -> (2, 18, 1); None when the text holds no version."""
    match = _VERSION.search(text or "")
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def at_least(found: tuple[int, int, int] | None, minimum: str) -> bool:
    wanted = version(minimum)
    if wanted is None:
        raise ValueError(f"min_version: {minimum!r} is not a version")
    return found is not None and found >= wanted


def install_command(method: str, package: str, url: str, daemon: bool, nxc: str) -> str:
    """The command a method runs, as ``oar-nxc plan`` shows it."""
    if method == "package":
        return f"apt-get install {shlex.quote(package)}"
    if method == "official":
        return f"sh <(curl {shlex.quote(url)}) {'--daemon' if daemon else '--no-daemon'}"
    if method == "nxc-helper":
        return f"{shlex.quote(nxc)} helper install-nix"
    raise ValueError(f"method: {method!r} is not one of {', '.join(METHODS)}")


def with_features(conf: str, features: list[str]) -> str:
    """nix.conf text with exactly one ``experimental-features`` line listing FEATURES (in place of the
    first such line, else appended); every other line kept."""
    line = f"experimental-features = {' '.join(features)}"
    out: list[str] = []
    done = False
    for raw in conf.splitlines():
        if _FEATURES.match(raw):
            if not done:
                out.append(line)
                done = True
            continue
        out.append(raw)
    if not done:
        out.append(line)
    return "\n".join(out) + "\n"
