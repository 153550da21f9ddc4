"""Every bad input: ansible-inventory and ansible-playbook exit non-zero and name the file and line or key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BIN, FIXTURES, REPO, clean_env, run

BAD = FIXTURES / "bad"
CASES = {
    "empty": "{p}: empty nodefile: no host name in it",
    "binary": "{p}:1: binary data (NUL byte): not a text nodefile or deployment file",
    "space": "{p}:3: 'dahu 3' is not a valid host name or IPv4 address (forbidden character ' ')",
    "semicolon": "{p}:2: 'node2;reboot' is not a valid host name or IPv4 address (forbidden character ';')",
    "dollar": "{p}:2: '$(reboot)' is not a valid host name or IPv4 address (forbidden character '$', '(', ')')",
    "backquote": "{p}:3: '`id`' is not a valid host name or IPv4 address (forbidden character '`')",
    "pipe": "{p}:1: 'node1|cat' is not a valid host name or IPv4 address (forbidden character '|')",
    "composition::g5k-ramdisk.json": "{p}: key 'deployment': missing 'deployment' map: not an nxc deployment file",
    "norole/composition::g5k-nfs-store.json":
        "{p}: key 'deployment.10.16.0.8.role': missing 'role' in deployment entry",
    "missing.oar_nxc.yml": "{p}: key 'nodefile': nodefile file '" + str(BAD / "does-not-exist/OAR.42.stdout")
                           + "' does not exist",
    "ini-like": "{p}:1: looks like an INI inventory, not an OAR nodefile (line 1: '[nodes]')",
}


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", sorted(CASES))
def test_ansible_inventory_fails_clearly(name: str) -> None:
    path = BAD / name
    result = run([str(BIN / "ansible-inventory"), "-i", str(path), "--list"])
    assert result.returncode != 0
    assert one_line(CASES[name].format(p=path)) in one_line(result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("name", sorted(CASES))
def test_ansible_playbook_fails_clearly(name: str) -> None:
    path = BAD / name
    result = run([str(BIN / "ansible-playbook"), "playbooks/preflight.yml", "-i", str(path)])
    assert result.returncode != 0
    assert one_line(CASES[name].format(p=path)) in one_line(result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert "PLAY [" not in result.stdout  # nothing ran


def test_outside_the_repository_the_preflight_play_refuses(tmp_path: Path) -> None:
    """The collection is found but the plugin is not enabled, so `ini` reads the nodefile: the
    preflight play must say so."""
    result = run([str(BIN / "ansible-playbook"), "oar.nxc.preflight", "-i",
                  str(FIXTURES / "nodefiles/g5k-two-clusters")], cwd=tmp_path,
                 env=clean_env(ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections")))
    assert result.returncode == 2
    assert ("These hosts carry none of the oar_nxc plugin's variables (oar_cores, nxc_role): "
            "dahu-12.grenoble.grid5000.fr, dahu-3.grenoble.grid5000.fr") in result.stdout
    assert ("The inventory was not read by oar.nxc.oar_nxc. Enable the plugin in the ansible.cfg in use "
            "([inventory] enable_plugins = oar.nxc.oar_nxc, auto, yaml)") in one_line(result.stdout)


def test_from_the_repository_the_preflight_play_passes() -> None:
    result = run([str(BIN / "ansible-playbook"), "playbooks/preflight.yml", "-i",
                  str(FIXTURES / "nodefiles/g5k-two-clusters")])
    assert result.returncode == 0, result.stdout + result.stderr
    # the checks run once, on the first host of the play (all:localhost)
    assert "dahu-12.grenoble.grid5000.fr : ok=1    changed=0    unreachable=0    failed=0    skipped=0" in result.stdout


def test_an_invalid_job_id_in_the_environment_is_named() -> None:
    result = run([str(BIN / "ansible-inventory"), "-i", str(FIXTURES / "nodefiles/g5k-two-clusters"), "--list"],
                 env=clean_env(OAR_JOB_ID="12a"))
    assert result.returncode != 0
    assert "job_id (or $OAR_JOB_ID): '12a' is not an OAR job id" in one_line(result.stderr)
