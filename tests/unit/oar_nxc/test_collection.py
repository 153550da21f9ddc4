"""Where the oar.nxc collection is found (as ansible-core searches) and the plays of its playbooks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from oar_nxc import collection
from oar_nxc.errors import ConfigError
from tests.conftest import REPO

HOME = os.path.expanduser("~")


def make_collection(root: Path) -> Path:
    path = root / "ansible_collections" / "oar" / "nxc"
    path.mkdir(parents=True)
    (path / "MANIFEST.json").write_text("{}")
    return path


def test_the_checkout_is_the_collection() -> None:
    found = collection.locate(REPO, {}, [])
    assert found == REPO / "collections" / "ansible_collections" / "oar" / "nxc"
    assert found.resolve() == REPO


def test_environment_comes_before_ansible_cfg(tmp_path: Path) -> None:
    installed = make_collection(tmp_path / "installed")
    env = {"ANSIBLE_COLLECTIONS_PATH": f"{tmp_path / 'empty'}{os.pathsep}{tmp_path / 'installed'}"}
    assert collection.locate(REPO, env, []) == installed
    assert collection.search_paths(REPO, env, ["/py"]) == [tmp_path / "empty", tmp_path / "installed", Path("/py")]


def test_collections_path_of_ansible_cfg_is_relative_to_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "ansible.cfg").write_text("[defaults]\ncollections_path = ./colls:~/more\n")
    installed = make_collection(project / "colls")
    assert collection.search_paths(project, {}, []) == [project / "colls", Path(HOME) / "more"]
    assert collection.locate(project, {}, []) == installed
    # ANSIBLE_CONFIG wins over ./ansible.cfg; a path ending in ansible_collections is accepted too
    other = tmp_path / "other.cfg"
    other.write_text(f"[defaults]\ncollections_paths = {project / 'colls' / 'ansible_collections'}\n")
    assert collection.locate(tmp_path, {"ANSIBLE_CONFIG": str(other)}, []) == installed


def test_default_paths_then_python_path(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    installed = make_collection(site)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert collection.search_paths(empty, {}, [str(site)]) == [
        Path(HOME) / ".ansible/collections", Path("/usr/share/ansible/collections"), site]
    assert collection.locate(empty, {}, [str(site)]) == installed


def test_world_writable_cwd_config_is_ignored(tmp_path: Path) -> None:
    project = tmp_path / "shared"
    project.mkdir()
    (project / "ansible.cfg").write_text("[defaults]\ncollections_path = colls\n")
    project.chmod(0o777)
    assert collection.config_file(project, {}) != project / "ansible.cfg"


def test_not_found_names_the_paths(tmp_path: Path) -> None:
    env = {"ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "nowhere")}
    with pytest.raises(ConfigError) as err:
        collection.locate(tmp_path, env, [])
    assert str(err.value) == (
        f"the oar.nxc collection is not installed where Ansible looks (searched: {tmp_path / 'nowhere'}). "
        "Install it (ansible-galaxy collection install oar-nxc-<version>.tar.gz) or set ANSIBLE_COLLECTIONS_PATH "
        "or collections_path in ansible.cfg; from an oar-nxc checkout, run oar-nxc in its root directory")


def test_a_broken_ansible_cfg_is_named(tmp_path: Path) -> None:
    (tmp_path / "ansible.cfg").write_text("no section header\n")
    with pytest.raises(ConfigError, match=r"ansible.cfg: cannot read it: "):
        collection.search_paths(tmp_path, {}, [])


START_PLAYS = ["Start the composition with nxc", "Check that every deployed host reports its role",
               "Start again when the recorded deployment does not answer",
               "Wait for every host of the new deployment to report its role"]
SMOKE_PLAYS = ["Load the current deployment into the inventory", "Smoke-test OAR on the deployed composition",
               "Check that the OAR job still holds the machines"]


def test_plays_follow_fqcn_imports() -> None:
    assert collection.plays(REPO, "oar.nxc.deploy") == [
        "Check the controller and the inventory", "Install nixos-compose and nix", "Build the composition",
        *START_PLAYS, *SMOKE_PLAYS]
    assert collection.plays(REPO, "redeploy") == ["Check the controller and the inventory", *START_PLAYS,
                                                  *SMOKE_PLAYS]


def test_plays_of_a_missing_playbook() -> None:
    with pytest.raises(ConfigError, match=r"playbooks/nope.yml: cannot read the playbook: "):
        collection.plays(REPO, "oar.nxc.nope")
