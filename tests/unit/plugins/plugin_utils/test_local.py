"""plugin_utils/local.py: the modules whose decision runs in process on the controller's local connection.

The actions run as the task executor runs them (tests/unit/plugins/action/conftest.py: a real Task,
PlayContext and connection plugin). Where the module must not run, sending it fails the test."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from ansible.playbook.play_context import PlayContext
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible_collections.oar.nxc.plugins.plugin_utils.local import Finished, InProcess
from tests.unit.plugins.action.conftest import make_action

SENT = {"sent": "the module"}


@pytest.fixture
def module_sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the modules sent: the module path answers SENT instead of running."""
    sent: list[str] = []

    def send(self: NormalAction, tmp: Any = None, task_vars: Any = None) -> dict[str, Any]:
        sent.append(self._task.action)
        return dict(SENT)

    monkeypatch.setattr(NormalAction, "run", send)
    return sent


def fake_venv(root: Path, version: str) -> Path:
    nxc = root / "bin" / "nxc"
    nxc.parent.mkdir(parents=True)
    nxc.write_text(f"#!/bin/sh\necho 'nxc, version {version}'\n")
    nxc.chmod(nxc.stat().st_mode | stat.S_IXUSR)
    return root


def test_run_command_gives_rc_stdout_and_stderr_with_the_environment_update() -> None:
    shim = InProcess({}, check_mode=False)
    rc, out, err = shim.run_command(["sh", "-c", 'echo "$OAR_NXC_T"; echo e >&2; exit 3'],
                                    environ_update={"OAR_NXC_T": "x y"})
    assert (rc, out, err) == (3, "x y\n", "e\n")
    assert shim.run_command(["pwd"], cwd="/")[1] == "/\n"


def test_run_command_of_a_missing_command_is_rc_127_not_an_exception(tmp_path: Path) -> None:
    rc, out, err = InProcess({}, check_mode=False).run_command([str(tmp_path / "none")])
    assert (rc, out, err) == (127, "", f"{tmp_path / 'none'}: No such file or directory")


def test_exit_and_fail_end_the_decision_with_the_result_and_the_invocation() -> None:
    shim = InProcess({"a": 1}, check_mode=True)
    with pytest.raises(Finished) as done:
        shim.exit_json(changed=False, why="w")
    assert done.value.result == {"changed": False, "why": "w", "invocation": {"module_args": {"a": 1}}}
    with pytest.raises(Finished) as failed:
        shim.fail_json("bad", rc=2)
    assert failed.value.result == {"rc": 2, "failed": True, "msg": "bad", "invocation": {"module_args": {"a": 1}}}


def test_nxc_version_is_read_in_process_on_the_local_connection(tmp_path: Path, module_sent: list[str]) -> None:
    venv = fake_venv(tmp_path / "venv", "0.7.11")
    result = make_action("nxc_version", {"venv": str(venv), "version": "0.7.11"}).run(task_vars={})
    assert module_sent == []
    assert (result["changed"], result["install"], result["installed"], result["nxc"]) == (
        False, False, "0.7.11", str(venv / "bin/nxc"))
    assert result["plan"]["why"] == f"nixos-compose 0.7.11 in {venv}"
    assert result["invocation"]["module_args"] == {"venv": str(venv), "version": "0.7.11", "python": "python3",
                                                   "required": False}


def test_a_failed_in_process_decision_fails_the_task_with_the_module_s_message(
        tmp_path: Path, module_sent: list[str]) -> None:
    venv = fake_venv(tmp_path / "venv", "0.7.10")
    result = make_action("nxc_version", {"venv": str(venv), "version": "0.7.11", "required": True}).run(task_vars={})
    assert module_sent == []
    assert (result["failed"], result["msg"]) == (True, f"{venv}/bin/nxc --version gave 0.7.10, expected version 0.7.11")


def test_arguments_are_checked_against_the_module_s_own_spec(tmp_path: Path, module_sent: list[str]) -> None:
    from ansible.errors import AnsibleActionFail

    with pytest.raises(AnsibleActionFail, match="missing required arguments: version"):
        make_action("nxc_version", {"venv": str(tmp_path)}).run(task_vars={})
    assert module_sent == []


@pytest.fixture
def nix_without_conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A nix 2.18.1 first on PATH, and a HOME without nix.conf; the nix command."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "nix").write_text("#!/bin/sh\necho 'nix (Nix) 2.18.1'\n")
    (bindir / "nix").chmod(0o755)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return bindir / "nix"


def test_a_change_to_make_is_the_module_s(tmp_path: Path, nix_without_conf: Path, module_sent: list[str]) -> None:
    """nix.conf lacks the features: the decision returns, and the module (which writes it) is sent."""
    assert make_action("nix_setup", {}).run(task_vars={}) == SENT
    assert module_sent == ["oar.nxc.nix_setup"]
    assert not (tmp_path / "home").exists()  # the decision wrote nothing

    conf = tmp_path / "home/.config/nix/nix.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("experimental-features = nix-command flakes\n")
    result = make_action("nix_setup", {}).run(task_vars={})
    assert module_sent == ["oar.nxc.nix_setup"]  # no second sending: nothing to change
    assert (result["changed"], result["install"], result["nix"], result["version"]) == (
        False, False, str(nix_without_conf), "nix (Nix) 2.18.1")


def test_the_dry_run_of_a_change_is_decided_in_process(tmp_path: Path, nix_without_conf: Path,
                                                       module_sent: list[str]) -> None:
    result = make_action("nix_setup", {}, check_mode=True).run(task_vars={})
    assert module_sent == []
    assert result["changed"] is True and not (tmp_path / "home").exists()


@pytest.mark.parametrize("how", ["become", "environment", "async", "ssh"])
def test_the_module_runs_when_the_task_would_not_run_it_here_as_is(
        how: str, tmp_path: Path, module_sent: list[str]) -> None:
    venv = fake_venv(tmp_path / "venv", "0.7.11")
    play_context = PlayContext()
    play_context.become = how == "become"
    action = make_action("nxc_version", {"venv": str(venv), "version": "0.7.11"}, play_context=play_context,
                         connection="ssh" if how == "ssh" else "local")
    if how == "environment":
        action._task.environment = [{}, {"PATH": "/opt/bin"}]
    if how == "async":
        action._task.async_val = 10
    assert action.in_process() is False
    assert action.run(task_vars={}) == SENT
    assert module_sent == ["oar.nxc.nxc_version"]
