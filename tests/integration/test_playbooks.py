"""Every playbook passes --syntax-check, and the root ones are the one-line wrappers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import BIN, REPO, clean_env, run

ROOT = ["build.yml", "deploy.yml", "install_nix.yml", "redeploy.yml", "smoke.yml", "teardown.yml"]
ALL = ROOT + [f"playbooks/{p.name}" for p in sorted((REPO / "playbooks").glob("*.yml"))]


@pytest.mark.parametrize("name", ALL)
def test_syntax_check(name: str) -> None:
    result = run([str(BIN / "ansible-playbook"), "--syntax-check", name])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"playbook: {name}"


@pytest.mark.parametrize("name", ROOT)
def test_root_playbook_imports_the_collection_playbook(name: str) -> None:
    assert yaml.safe_load((REPO / name).read_text()) == [
        {"name": yaml.safe_load((REPO / name).read_text())[0]["name"],
         "ansible.builtin.import_playbook": f"oar.nxc.{name.removesuffix('.yml')}"}]


def test_every_tasks_from_is_an_entry_point() -> None:
    """A role entry point used by a playbook has an argument spec (ansible-doc shows it)."""
    used: set[tuple[str, str]] = set()
    for path in [*REPO.glob("playbooks/*.yml"), *REPO.glob("roles/*/tasks/*.yml")]:
        for match in re.finditer(r"name: oar\.nxc\.(\w+)\n\s+tasks_from: (\w+)", path.read_text()):
            used.add((match[1], match[2]))
    assert used == {("oar_job", "running"), ("oar_job", "release"), ("oar_nxc", "settings")}
    for role, entry in used:
        specs = yaml.safe_load((REPO / "roles" / role / "meta/argument_specs.yml").read_text())["argument_specs"]
        assert entry in specs, f"{role}: no argument spec for the entry point {entry}"


def test_every_reference_is_by_fqcn() -> None:
    """Roles, modules, filters and imported playbooks of the collection are named oar.nxc.*."""
    short = re.compile(r"(include_role:\n\s+name: (?!oar\.nxc\.)\w+|import_playbook: (?!oar\.nxc\.)"
                       r"|\|\s*(oar_job_id|oar_node_states|oar_not_alive|oar_job_state|oar_job_info|oar_version|"
                       r"nxc_error|ansible_unsupported|missing_collections)\b|^\s+nxc_build:)", re.MULTILINE)
    offenders = [f"{p.relative_to(REPO)}: {m[0]!r}" for p in [*REPO.glob("*.yml"), *REPO.glob("playbooks/*.yml"),
                                                              *REPO.glob("roles/*/tasks/*.yml")]
                 for m in short.finditer(p.read_text())]
    assert offenders == []


def test_every_role_is_documented() -> None:
    for role in sorted((REPO / "roles").iterdir()):
        defaults = yaml.safe_load((role / "defaults/main.yml").read_text())
        spec = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
        readme = (role / "README.md").read_text()
        # every default is specified; a specified option without a default is optional input (no default)
        assert sorted(defaults) == sorted(k for k, v in spec.items() if "default" in v or k in defaults), role.name
        assert [k for k, v in spec.items() if k not in defaults and "default" in v] == [], role.name
        for var in defaults:
            assert var.startswith(f"{role.name}_"), var
            assert f"`{var}`" in readme, f"{role.name}/README.md does not document {var}"


def test_preflight_names_a_missing_collection_for_the_docker_flavour() -> None:
    """galaxy.yml declares community.docker; it is not installed here, and only docker needs it."""
    docker = run([str(BIN / "ansible-playbook"), "playbooks/preflight.yml", "-e", "oar_nxc_flavour=docker"])
    assert docker.returncode == 2
    assert ("The docker flavour needs the collection(s) community.docker, which this Ansible cannot load: "
            "ansible-galaxy collection install community.docker (they are declared in oar.nxc's galaxy.yml).") in \
        " ".join(docker.stdout.split())
    vm = run([str(BIN / "ansible-playbook"), "playbooks/preflight.yml", "-e", "oar_nxc_flavour=vm"])
    assert vm.returncode == 0, vm.stdout


def test_preflight_refuses_an_unsupported_ansible_core(tmp_path: Path) -> None:
    """The range comes from meta/runtime.yml: a collection copy that requires a future ansible-core."""
    copy = tmp_path / "ansible_collections" / "oar" / "nxc"
    shutil.copytree(REPO, copy, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv*", ".git", "collections", "tests", "bench", "compositions", "src", "*.egg-info"))
    (copy / "meta" / "runtime.yml").write_text("requires_ansible: '>=9.0.0'\n")
    result = run([str(BIN / "ansible-playbook"), "oar.nxc.preflight", "-e", "oar_nxc_flavour=vm"],
                 env=clean_env(ANSIBLE_COLLECTIONS_PATH=str(tmp_path)), cwd=tmp_path)
    assert result.returncode == 2
    version = run([str(BIN / "python"), "-c", "import ansible.release; print(ansible.release.__version__)"])
    assert (f"ansible-core {version.stdout.strip()} is not supported by oar.nxc: it requires ansible-core >=9.0.0 "
            f"({copy / 'meta' / 'runtime.yml'}) (pip install 'oar-nxc' brings a supported one)") in \
        " ".join(result.stdout.split())


def test_the_inventorys_group_vars_choose_the_flavour(tmp_path: Path) -> None:
    """The settings are role defaults (roles/oar_nxc): group_vars/all.yml beside the nodefile wins over them,
    and -e over both. The docker flavour shows it: the preflight refuses it here (community.docker is missing)."""
    nodefile = tmp_path / "nodefile"
    nodefile.write_text("node-1.grenoble.grid5000.fr\nnode-2.grenoble.grid5000.fr\n")
    plain = run([str(BIN / "ansible-playbook"), "playbooks/preflight.yml", "-i", str(nodefile)])
    assert plain.returncode == 0, plain.stdout
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text("---\noar_nxc_flavour: docker\n")
    mine = run([str(BIN / "ansible-playbook"), "playbooks/preflight.yml", "-i", str(nodefile)])
    assert mine.returncode == 2, mine.stdout
    assert "The docker flavour needs the collection(s) community.docker" in " ".join(mine.stdout.split())
    command_line = run([str(BIN / "ansible-playbook"), "playbooks/preflight.yml", "-i", str(nodefile),
                        "-e", "oar_nxc_flavour=g5k-ramdisk"])
    assert command_line.returncode == 0, command_line.stdout


def test_a_setting_of_the_wrong_type_fails_naming_it(tmp_path: Path) -> None:
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text("---\noar_nxc_min_machines: many\n")
    (tmp_path / "hosts.yml").write_text("---\nall:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    bad = run([str(BIN / "ansible-playbook"), "playbooks/preflight.yml", "-i", str(tmp_path / "hosts.yml")])
    assert bad.returncode == 2, bad.stdout
    assert "oar_nxc_min_machines" in bad.stdout and "many" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr


def test_teardown_stops_the_recorded_nxc_start_and_only_it(tmp_path: Path) -> None:
    """vm: the background nxc start holds the VMs. teardown.yml stops the process whose pid and start time
    nxc_start recorded, and leaves alone another process with the same command line (no kill by name)."""
    compositions = tmp_path / "compositions"
    shutil.copytree(REPO / "compositions", compositions,
                    ignore=shutil.ignore_patterns("build", "deploy", "artifact", ".oar-nxc"))
    nxc = tmp_path / "bin" / "nxc"
    nxc.parent.mkdir()
    nxc.write_text("#!/usr/bin/env python3\nimport os, signal, sys, time\n"
                   "signal.signal(signal.SIGINT, lambda *_: sys.exit(130))\n"
                   "open(os.environ['READY'] + str(os.getpid()), 'w').close()\nwhile True:\n    time.sleep(0.1)\n")
    nxc.chmod(0o755)
    argv = [str(nxc), "start", "-f", "vm"]

    def spawn() -> subprocess.Popen[bytes]:  # once it has set its SIGINT handler
        proc = subprocess.Popen(argv, start_new_session=True, env={**os.environ, "READY": str(tmp_path / "ready-")})
        deadline = time.monotonic() + 20
        while not (tmp_path / f"ready-{proc.pid}").exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        return proc

    recorded, twin = spawn(), spawn()
    try:
        state = compositions / "master" / ".oar-nxc"
        state.mkdir()
        stat = Path(f"/proc/{recorded.pid}/stat").read_text()
        start_time = int(stat[stat.rindex(")") + 2:].split()[19])
        (state / "start-vm.pid.json").write_text(json.dumps({"pid": recorded.pid, "start_time": start_time,
                                                             "argv": argv}))
        done = run([str(BIN / "ansible-playbook"), "playbooks/teardown.yml", "-e", "oar_nxc_flavour=vm",
                    "-e", f"oar_nxc_compositions_dir={compositions}", "-e", f"oar_nxc_nxc={nxc}"])
        assert done.returncode == 0, done.stdout
        assert recorded.wait(timeout=10) == 130
        assert twin.poll() is None
        assert not (state / "start-vm.pid.json").exists()
        assert "changed: [localhost]" in done.stdout
    finally:
        for proc in (recorded, twin):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
