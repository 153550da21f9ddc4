"""plugins/module_utils/nix.py: versions as Debian's nix-bin prints them, install commands, nix.conf."""

from __future__ import annotations

import pytest
from ansible_collections.oar.nxc.plugins.module_utils import nix

DEBIAN = "nix (Nix) 2.8.0\n"  # `nix --version` of Debian 12's nix-bin, the testbed's nix


def test_version_of_real_output() -> None:
    assert nix.version(DEBIAN) == (2, 8, 0)
    assert nix.version("nix (Nix) 2.24") == (2, 24, 0)
    assert nix.version("sh: 1: nix: not found") is None


@pytest.mark.parametrize(("found", "minimum", "ok"), [
    ((2, 8, 0), "2.4", True), ((2, 3, 16), "2.4", False), (None, "2.4", False), ((2, 4, 0), "2.4.0", True)])
def test_at_least(found: tuple[int, int, int] | None, minimum: str, ok: bool) -> None:
    assert nix.at_least(found, minimum) is ok


def test_at_least_refuses_a_bad_minimum() -> None:
    with pytest.raises(ValueError, match="min_version: 'new' is not a version"):
        nix.at_least((2, 8, 0), "new")


def test_install_commands() -> None:
    assert nix.install_command("package", "nix-bin", "", False, "nxc") == "apt-get install nix-bin"
    assert nix.install_command("official", "", "https://example.invalid/install", True, "nxc") == (
        "sh <(curl https://example.invalid/install) --daemon")
    assert nix.install_command("nxc-helper", "", "", False, "/opt/my venv/bin/nxc") == (
        "'/opt/my venv/bin/nxc' helper install-nix")
    with pytest.raises(ValueError, match="method: 'brew' is not one of package, official, nxc-helper"):
        nix.install_command("brew", "", "", False, "nxc")


def test_with_features_keeps_other_lines_and_is_idempotent() -> None:
    conf = "substituters = https://cache.example.invalid\n  experimental-features = nix-command\nsandbox = false\n" \
           "experimental-features = ca-derivations\n"
    once = nix.with_features(conf, ["nix-command", "flakes"])
    assert once == ("substituters = https://cache.example.invalid\nexperimental-features = nix-command flakes\n"
                    "sandbox = false\n")
    assert nix.with_features(once, ["nix-command", "flakes"]) == once
    assert nix.with_features("", ["flakes"]) == "experimental-features = flakes\n"
