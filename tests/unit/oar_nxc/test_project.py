"""The project directory and the plays of a playbook."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import REPO

from oar_nxc import project
from oar_nxc.errors import ConfigError


def test_project_dir_is_the_checkout() -> None:
    assert project.project_dir() == REPO


def test_override_must_be_a_project(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OAR_NXC_PROJECT", str(tmp_path))
    assert project.project_dir() == REPO  # not a project: the next candidate wins
    monkeypatch.setattr(project, "__file__", str(tmp_path / "x.py"))
    with pytest.raises(ConfigError, match=r"cannot find the oar-nxc project"):
        project.project_dir()


def test_plays_follow_imports() -> None:
    assert project.plays(REPO / "deploy.yml") == [
        "Check the controller and the inventory", "Install nixos-compose and nix", "Build the composition",
        "Start the composition with nxc", "Smoke-test OAR on the deployed composition"]
    assert project.plays(REPO / "redeploy.yml") == [
        "Check the controller and the inventory", "Start the composition with nxc",
        "Smoke-test OAR on the deployed composition"]
