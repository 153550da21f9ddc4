"""The supported ansible-core versions beyond the project's own (2.19 on Debian's Python 3.11):
2.20 on Python 3.12 and 2.21 on Python 3.13, each in a fresh virtual environment made from the
non-editable wheel. Each runs the inventory plugin on every golden fixture and deploy.yml --check."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO, unwrap
from tests.integration.packaging import MATRIX, build_wheel, check, make_venv, python, venv_env
from tests.integration.pipeline import TESTBED_VARS
from tests.integration.test_inventory_golden import CASES, normalise
from tests.integration.test_sanity import assert_clean, assert_units_pass, sanity, units
from tests.unit.oar_nxc.test_collection import SMOKE_PLAYS, START_PLAYS


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module", params=MATRIX, ids=[f"py{p}-core{c}" for p, c in MATRIX])
def venv(request: pytest.FixtureRequest, wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    minor, core = request.param
    base = tmp_path_factory.mktemp(f"venv-{core}")
    bin_dir = make_venv(base / "venv", python(minor), str(wheel), f"ansible-core=={core}.*")
    (base / "core").write_text(core)
    yield bin_dir
    shutil.rmtree(base, ignore_errors=True)


def test_the_venv_has_that_ansible_core_and_the_installed_core(venv: Path) -> None:
    version = check([str(venv / "ansible"), "--version"], env=venv_env(venv)).splitlines()[0]
    assert version.startswith(f"ansible [core {(venv.parent.parent / 'core').read_text()}.")
    where = check([str(venv / "python"), "-c", "import oar_nxc; print(oar_nxc.__file__)"], env=venv_env(venv))
    assert where.startswith(str(venv.parent / "lib")), where  # the wheel, not this checkout's src/


def test_ansible_test_sanity_is_clean(venv: Path, tmp_path: Path) -> None:
    minor = {core: minor for minor, core in MATRIX}[(venv.parent.parent / "core").read_text()]
    assert_clean(sanity(venv / "ansible-test", minor, tmp_path))


def test_ansible_test_units_pass(venv: Path, tmp_path: Path) -> None:
    minor = {core: minor for minor, core in MATRIX}[(venv.parent.parent / "core").read_text()]
    assert_units_pass(units(venv / "ansible-test", minor, tmp_path))


@pytest.mark.parametrize("case", sorted(CASES))
def test_inventory_plugin_gives_the_golden_inventory(venv: Path, case: str) -> None:
    out = check([str(venv / "ansible-inventory"), "-i", str(FIXTURES / CASES[case]), "--list"], env=venv_env(venv))
    expected = json.loads((FIXTURES / "expected" / f"{case}.json").read_text())
    assert normalise(unwrap(json.loads(out))) == expected


def test_deploy_check_runs_every_step_and_changes_nothing(venv: Path, tmp_path: Path) -> None:
    compositions = tmp_path / "compositions"
    shutil.copytree(REPO / "compositions", compositions,
                    ignore=shutil.ignore_patterns("build", "deploy", "artifact", ".oar-nxc"))
    before = sorted(str(p.relative_to(compositions)) for p in compositions.rglob("*"))
    out = check([str(venv / "ansible-playbook"), "deploy.yml", "--check", "-i", str(FIXTURES / "nodefiles/testbed/2"),
                 "-e", f"@{TESTBED_VARS}", "-e", f"oar_nxc_compositions_dir={compositions}",
                 "-e", '{"oar_nxc_roles": {"node": 1}}'], env=venv_env(venv))
    for play in ("Check the controller and the inventory", "Install nixos-compose and nix", "Build the composition",
                 *START_PLAYS, *SMOKE_PLAYS):
        assert f"PLAY [{play}]" in out
    assert "TASK [Check ansible-core, the inventory, the flavour and its collections]" in out
    # the build module would run (check mode: changed, nothing built); nxc start's step is shown
    assert ("TASK [oar.nxc.nxc_build : Build the composition with nxc (-f g5k-nfs-store)] ***\n"
            "changed: [localhost]") in out
    assert ("TASK [oar.nxc.nxc_deploy : Start the composition with nxc (-f g5k-nfs-store)] ***\n"
            "changed: [localhost]") in out
    assert "oarnode1                   : ok=" in out and "failed=0" in out
    assert sorted(str(p.relative_to(compositions)) for p in compositions.rglob("*")) == before


ADDED = """\
- name: Add a deployed host as nxc_start's hosts are added
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Add the host
      oar.nxc.nxc_add_host:
        name: node7
        groups: [nxc_nodes, role_node]
        host_vars: {nxc_role: node, ansible_host: 10.0.0.7, oar_machine: dahu-7}

- name: Read it in the next play, over its group
  hosts: role_node
  gather_facts: false
  tasks:
    - name: Show what the play sees
      ansible.builtin.debug:
        msg: "seen {{ inventory_hostname }} {{ nxc_role }} {{ ansible_host }} {{ oar_machine }} {{ groups.nxc_nodes }}"
"""


def test_hosts_added_by_the_action_reach_the_next_play(venv: Path, tmp_path: Path) -> None:
    """oar.nxc.nxc_add_host: ansible-core 2.21 no longer reads add_host from an action's result (its
    strategy ignores it); the action adds the host itself there."""
    play = tmp_path / "added.yml"
    play.write_text(ADDED)
    out = check([str(venv / "ansible-playbook"), str(play), "-i", "localhost,"], env=venv_env(venv))
    assert "    msg: seen node7 node 10.0.0.7 dahu-7 ['node7']\n" in out, out[-2000:]
    assert "skipping: no hosts matched" not in out
