"""Every bad input: ansible-inventory and ansible-playbook exit non-zero and name the file and line or key."""

from __future__ import annotations

import os
import time
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
    "reserved-all": "{p}:2: 'all' is a name Ansible reserves (all, ungrouped, localhost)",
    "reserved-ungrouped": "{p}:3: 'ungrouped' is a name Ansible reserves (all, ungrouped, localhost)",
    "group-clash": "{p}:2: host 'oar_nodes' has the name of one of this inventory's groups",
    "comments-only": "{p}:1: '#…' is not a valid host name or IPv4 address (forbidden character ' ', '#')",
    "dupkeys/composition::g5k-nfs-store.json": "{p}: refused JSON: duplicate key '10.0.0.1'",
    "vmm/composition::vmm.json": "{p}: the file name says flavour 'vmm', which nxc does not have",
}
# the sources the plugin surely owns stop the run (no other plugin re-reads them): exit 1, the
# error printed once by Ansible; an INI-looking file is left to the ini plugin (off here): Ansible's
# own "failed to parse" path, also exit 1
ANSIBLE_RC = 1


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", sorted(CASES))
def test_ansible_inventory_fails_clearly(name: str) -> None:
    path = BAD / name
    result = run([str(BIN / "ansible-inventory"), "-i", str(path), "--list"])
    assert result.returncode == ANSIBLE_RC
    assert one_line(CASES[name].format(p=path)) in one_line(result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("name", sorted(CASES))
def test_ansible_playbook_fails_clearly(name: str) -> None:
    path = BAD / name
    result = run([str(BIN / "ansible-playbook"), "playbooks/preflight.yml", "-i", str(path)])
    assert result.returncode == ANSIBLE_RC
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
    # the checks run once, on the first host of the play (all:localhost), and so does the validation of the
    # settings (the oar.nxc.oar_nxc role's argument spec): the include, the validation, the mark that the
    # settings were checked (later plays check them no more), the checks; the import only loads the defaults
    # (the settings entry point has no task: none skipped, on no host); no other host runs a task (at 128
    # machines, 128 validations cost seconds)
    assert "dahu-12.grenoble.grid5000.fr : ok=4    changed=0    unreachable=0    failed=0    skipped=0" in result.stdout
    assert [line.split()[0] for line in result.stdout.splitlines() if " : ok=" in line] == [
        "dahu-12.grenoble.grid5000.fr"]


def test_an_invalid_job_id_in_the_environment_is_named() -> None:
    result = run([str(BIN / "ansible-inventory"), "-i", str(FIXTURES / "nodefiles/g5k-two-clusters"), "--list"],
                 env=clean_env(OAR_JOB_ID="12a"))
    assert result.returncode != 0
    assert "oar_nxc: $OAR_JOB_ID: '12a' is not an OAR job id" in one_line(result.stderr)


# nodefiles only: the CLI takes --nodefile (deployment files are the plugin's, above)
CLI_CASES = {name: message for name, message in CASES.items() if "/" not in name and "::" not in name
             and not name.endswith(".yml")}


@pytest.mark.parametrize("command", ["inventory", "plan"])
@pytest.mark.parametrize("name", sorted(CLI_CASES))
def test_the_cli_names_the_first_error_with_exit_2(command: str, name: str, tmp_path: Path) -> None:
    path = BAD / name
    argv = [str(BIN / "oar-nxc"), "inventory", str(path)] if command == "inventory" else \
        [str(BIN / "oar-nxc"), "plan", "--nodefile", str(path), "--run-dir", str(tmp_path / "r")]
    result = run(argv, cwd=tmp_path, env=clean_env(ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections")))
    assert result.returncode == 2, result.stdout + result.stderr
    message = one_line(CLI_CASES[name].format(p=path))
    assert one_line(result.stderr).startswith(f"oar-nxc: {message}"), result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def special_and_generated(tmp: Path) -> dict[str, tuple[str, str]]:
    """Inputs made at test time (a FIFO, a device, an executable nodefile, a 10 MB line, a nodefile
    named *.yml, very deep JSON): path -> (message, what --list gives)."""
    fifo = tmp / "OAR.12.stdout"
    os.mkfifo(fifo)
    executable = tmp / "nodes"
    executable.write_text("node1\nnode2\n")
    executable.chmod(0o755)
    long_line = tmp / "long"
    long_line.write_bytes(b"node1\n" + b"x" * 10_000_000 + b"\n")
    deep = tmp / "composition::vm.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    return {
        str(fifo): f"{fifo}: is a FIFO (named pipe), not a regular file: give the nodefile itself",
        "/dev/zero": "/dev/zero: is a character device, not a regular file: give the nodefile itself",
        str(executable): f"{executable}: is executable (mode 0755) but holds host names, not a script",
        str(long_line): f"{long_line}:2: a line longer than 1024 bytes: not a nodefile",
        str(deep): f"{deep}: refused JSON: nested deeper than 32 levels",
    }


def test_special_and_generated_inputs_fail_fast_and_clearly(tmp_path: Path) -> None:
    for path, message in special_and_generated(tmp_path).items():
        started = time.monotonic()
        inv = run([str(BIN / "ansible-inventory"), "-i", path, "--list"], timeout=60)
        play = run([str(BIN / "ansible-playbook"), "playbooks/preflight.yml", "-i", path], timeout=60)
        for result in (inv, play):
            assert result.returncode == ANSIBLE_RC, (path, result.stdout, result.stderr)
            assert message in one_line(result.stderr), (path, result.stderr)
            assert "Traceback" not in result.stdout + result.stderr
            assert "PLAY [" not in result.stdout
        cli = run([str(BIN / "oar-nxc"), "inventory", path], cwd=tmp_path, timeout=60)
        assert cli.returncode == 2, (path, cli.stderr)
        assert one_line(cli.stderr).startswith(f"oar-nxc: {message}"), (path, cli.stderr)
        assert "Traceback" not in cli.stdout + cli.stderr
        elapsed = time.monotonic() - started
        assert elapsed < 30, (path, elapsed)
    assert not (tmp_path / "ran").exists()


def test_an_executable_nodefile_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    nodefile = tmp_path / "nodes"
    # valid host names on every line, and a shell would still run `touch` if executed
    nodefile.write_text(f"node1\ntouch\n{marker.name}\n")
    nodefile.chmod(0o755)
    result = run([str(BIN / "ansible-inventory"), "-i", str(nodefile), "--list"])
    assert result.returncode == ANSIBLE_RC
    assert "is executable (mode 0755) but holds host names" in one_line(result.stderr)
    assert result.stdout == ""
    assert not marker.exists()


def test_the_cli_names_an_extension_other_plugins_own(tmp_path: Path) -> None:
    nodefile = tmp_path / "nodes.yml"
    nodefile.write_text("node1\nnode2\n")
    result = run([str(BIN / "oar-nxc"), "inventory", str(nodefile)], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"oar-nxc: {nodefile}: the oar_nxc plugin does not read this file, so Ansible "
                                    "would hand it to its yaml, toml or script plugin")


@pytest.mark.parametrize(("env", "message"), [
    ({"OAR_JOB_ID": "0"}, "$OAR_JOB_ID: '0' is not an OAR job id"),
    ({"OAR_JOB_ID": "7" * 5000}, "$OAR_JOB_ID: '77777777777777777777…' is not an OAR job id"),
    ({"OAR_JOB_ID": "\u0661\u0662"}, "$OAR_JOB_ID: '\u0661\u0662' is not an OAR job id"),
    ({"OAR_NXC_NODES": "0"}, "$OAR_NXC_NODES: '0' is not a positive number of hosts"),
    ({"OAR_NXC_EXCLUDE": "*"}, "exclude ['*'] leaves none of the 4 hosts: nothing to deploy on"),
])
def test_environment_values_are_named(env: dict[str, str], message: str) -> None:
    result = run([str(BIN / "ansible-inventory"), "-i", str(FIXTURES / "nodefiles/g5k-two-clusters"), "--list"],
                 env=clean_env(**env))
    assert result.returncode == ANSIBLE_RC
    assert message in one_line(result.stderr)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("config", "message"), [
    ("nodes: true", "key 'nodes': True is not a number of hosts (a positive integer is expected)"),
    ("exclude: [1, 2]", "key 'exclude[0]': an integer is not a host pattern (a string is expected)"),
    ("exclude: ['*']", "exclude ['*'] leaves none of the 4 hosts: nothing to deploy on"),
])
def test_config_values_are_strict(tmp_path: Path, config: str, message: str) -> None:
    path = tmp_path / "inv.oar_nxc.yml"
    path.write_text(f"plugin: oar.nxc.oar_nxc\nnodefile: {FIXTURES / 'nodefiles/g5k-two-clusters'}\n{config}\n")
    result = run([str(BIN / "ansible-inventory"), "-i", str(path), "--list"])
    assert result.returncode == ANSIBLE_RC
    assert f"oar_nxc: {path}: {message}" in one_line(result.stderr)


@pytest.mark.parametrize(("args", "message"), [
    (["--nodes", "0"], "oar-nxc: --nodes: '0' is not a positive number of hosts"),
    (["--exclude", "*"], "oar-nxc: " + str(FIXTURES / "nodefiles/g5k-two-clusters") + ": exclude ['*'] leaves none of "
                         "the 4 hosts: nothing to deploy on"),
])
def test_the_cli_checks_the_selection_before_ansible(tmp_path: Path, args: list[str], message: str) -> None:
    result = run([str(BIN / "oar-nxc"), "plan", "--nodefile", str(FIXTURES / "nodefiles/g5k-two-clusters"), *args,
                  "--run-dir", str(tmp_path / "r")], cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result.stderr) == message
    assert not (tmp_path / "r").exists()  # nothing ran
