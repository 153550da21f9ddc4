"""Facts the collection and the Python package both state agree: one version, one ansible-core range."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import oar_nxc
from tests.conftest import REPO


def clauses(spec: str) -> set[tuple[str, tuple[int, ...]]]:
    """'>=2.19,<2.22' and '>=2.19.0,<2.22.0' -> the same set of (operator, release)."""
    out = set()
    for s in SpecifierSet(spec):
        release = tuple(int(p) for p in s.version.split("."))
        while len(release) > 1 and release[-1] == 0:
            release = release[:-1]
        out.add((s.operator, release))
    return out


def test_one_version_for_the_collection_and_the_package() -> None:
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert (galaxy["namespace"], galaxy["name"]) == ("oar", "nxc")
    assert galaxy["version"] == project["version"]
    assert oar_nxc.__version__ == project["version"]
    # the version is the changelog's latest release (changelogs/changelog.yaml, antsibull-changelog's)
    releases = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text())["releases"]
    assert max(releases, key=Version) == project["version"]
    assert f"## v{project['version'].replace('.', chr(92) + '.')}\n" in (REPO / "CHANGELOG.md").read_text()
    # every plugin and module was added in a released version, and that release lists it (or in the next)
    sources = sorted([*(REPO / "plugins").rglob("*.py"), *(REPO / "plugins").rglob("*.yml")])
    added = [(p, m) for p in sources for m in re.findall(r'version_added: "?([0-9.]+)"?', p.read_text())]
    latest = max(releases, key=Version)
    pending = [p for p in (REPO / "changelogs" / "fragments").iterdir() if p.suffix in (".yml", ".yaml")]
    unreleased = {m for _unused, m in added if m not in releases}
    # the next release's additions: a version above the latest release, with its changes in fragments
    assert all(Version(m) > Version(latest) for m in unreleased) and (pending or not unreleased), unreleased
    assert len(unreleased) <= 1, unreleased
    assert len(added) > 20 and {m for _unused, m in added} - unreleased <= set(releases), added
    for path, version in added:
        if version in unreleased:
            continue
        listed = [entry["name"] for entry in releases[version].get("modules", [])] if path.parent.name == "modules" \
            else [entry["name"] for entry in releases[version].get("plugins", {}).get(path.parent.name, [])]
        assert path.stem in listed, (str(path), version)


def test_the_ansible_core_range_is_the_same_in_runtime_yml_and_pyproject() -> None:
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["requires_ansible"]
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    (core,) = [d for d in dependencies if d.startswith("ansible-core")]
    assert clauses(core.removeprefix("ansible-core")) == clauses(runtime) == {(">=", (2, 19)), ("<", (2, 22))}


def test_the_license_file_matches_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License\n")
    assert yaml.safe_load((REPO / "galaxy.yml").read_text())["license"] == ["MIT"]


def test_the_cli_passes_the_checkouts_inventory_settings() -> None:
    """oar-nxc gives ansible-playbook the [inventory] settings of the checkout's ansible.cfg, whatever
    the caller's ansible.cfg says: the two must not drift apart."""
    import configparser

    from oar_nxc import api

    cfg = configparser.ConfigParser()
    cfg.read(REPO / "ansible.cfg")
    settings = api.ANSIBLE_SETTINGS
    assert settings["ANSIBLE_INVENTORY_ENABLED"].split(",") == [
        p.strip() for p in cfg.get("inventory", "enable_plugins").split(",")]
    assert settings["ANSIBLE_INVENTORY_UNPARSED_FAILED"].lower() == cfg.get("inventory", "unparsed_is_failed")
    assert settings["ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED"].lower() == cfg.get("inventory",
                                                                                   "any_unparsed_is_failed")
    assert settings["ANSIBLE_YAML_FILENAME_EXT"].split(",") == [
        e.strip() for e in cfg.get("inventory_plugin_yaml", "yaml_valid_extensions").split(",")]
