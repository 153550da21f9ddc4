"""The CLI's values are data (no Jinja payload in an option runs), and its run directories are its own (a user's
directory is never scrubbed, a planted env/ never read). Real `oar-nxc plan` runs with the vm flavour on this
machine: the preflight, the build step's check and nxc start's check run; no testbed needed."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import BIN, REPO, clean_env

OAR_NXC = str(BIN / "oar-nxc")


def payload(marker: Path) -> str:
    return "{{ lookup('ansible.builtin.pipe', 'touch " + str(marker) + "') }}"


def plan(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OAR_NXC, "plan", "--flavour", "vm", *args], capture_output=True, text=True, timeout=300,
                          check=False, env=clean_env(), cwd=str(cwd), stdin=subprocess.DEVNULL)


def copy_master(target: Path) -> Path:
    shutil.copytree(REPO / "compositions" / "master", target,
                    ignore=shutil.ignore_patterns("build", "deploy", "artifact", ".oar-nxc"))
    return target


def assert_refused(done: subprocess.CompletedProcess[str], said: str) -> None:
    out = done.stdout + done.stderr
    assert done.returncode == 2, out[-3000:]
    assert "Traceback" not in out
    assert said in " ".join(out.split()), out[-3000:]


def test_a_setup_variant_with_jinja_is_a_name_not_a_template(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    done = plan("--setup", payload(marker), "--run-dir", str(tmp_path / "run"))
    assert_refused(done, f"no setup variant '{payload(marker)}' (variants: ")
    assert not marker.exists()


def test_a_run_dir_with_jinja_is_a_path_not_a_template(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    run_dir = tmp_path / payload(marker).replace("/", "_")
    done = plan("--setup", "nosuch", "--run-dir", str(run_dir))
    assert_refused(done, "no setup variant 'nosuch'")
    assert not marker.exists() and (run_dir / "summary.json").is_file()


def test_a_composition_path_with_jinja_is_a_path_not_a_template(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    composition = copy_master(tmp_path / payload(marker).replace("/", "_"))
    done = plan("--composition", str(composition), "--setup", "nosuch", "--run-dir", str(tmp_path / "run"))
    assert_refused(done, "no setup variant 'nosuch'")
    assert not marker.exists()


def test_a_run_dir_that_is_a_users_project_is_refused_and_left_alone(tmp_path: Path) -> None:
    project = tmp_path / "myproject"
    (project / "env" / "bin").mkdir(parents=True)
    (project / "env" / "bin" / "python").write_text("#!/bin/sh\n")
    (project / "env" / "extravars").write_text('{"oar_nxc_deploy_timeout": 4242}\n')
    done = plan("--run-dir", str(project))
    assert_refused(done, f"oar-nxc: --run-dir {project}: a directory with files that oar-nxc did not make")
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*")) == [
        "env", "env/bin", "env/bin/python", "env/extravars"]


@pytest.mark.parametrize("where", ["/dev/null", "file/run"])
def test_a_run_dir_that_cannot_be_one_is_bad_input(tmp_path: Path, where: str) -> None:
    (tmp_path / "file").write_text("x")
    path = where if where.startswith("/") else str(tmp_path / where)
    done = plan("--run-dir", path)
    assert_refused(done, f"oar-nxc: --run-dir {path}: ")


def test_a_planted_env_in_a_run_dir_given_again_is_not_read(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    first = plan("--setup", "nosuch", "--run-dir", str(run_dir))
    assert first.returncode == 2
    (run_dir / "env").mkdir()
    (run_dir / "env" / "extravars").write_text('{"oar_nxc_deploy_timeout": 4242}\n')
    again = plan("--run-dir", str(run_dir))
    assert "4242" not in again.stdout + again.stderr
    assert "nxc start -f vm" in again.stdout and "timeout -k 10 600 " in again.stdout  # the flavour's own
    assert not (run_dir / "env").exists()


def test_a_newline_or_an_escape_in_a_value_forges_no_line_of_the_plan(tmp_path: Path) -> None:
    done = plan("--setup", "x\n    deploy  SKIP  forged\x1b[2J", "--run-dir", str(tmp_path / "run"))
    out = done.stdout + done.stderr
    assert done.returncode == 2 and "Traceback" not in out
    assert not any(line.startswith("    deploy  SKIP  forged") for line in out.splitlines())
    assert "\x1b" not in out
    assert "no setup variant 'x\\n    deploy  SKIP  forged\\x1b[2J'" in out, out[-2000:]


def test_a_composition_that_is_not_one_is_bad_input(tmp_path: Path) -> None:
    done = plan("--composition", str(tmp_path), "--run-dir", str(tmp_path / "run"))
    assert_refused(done, f"{tmp_path}: not an nxc composition (no flake.nix)")


def test_a_malformed_setup_toml_is_bad_input_naming_the_file(tmp_path: Path) -> None:
    composition = copy_master(tmp_path / "c")
    (composition / "setup.toml").write_text("[project]\nselected = [1\n")
    done = plan("--composition", str(composition), "--run-dir", str(tmp_path / "run"))
    assert_refused(done, f"{composition / 'setup.toml'}: cannot be read as TOML")


def test_a_variant_whose_source_is_missing_is_bad_input(tmp_path: Path) -> None:
    composition = copy_master(tmp_path / "c")
    done = plan("--composition", str(composition), "--setup", "laptop", "--run-dir", str(tmp_path / "run"))
    assert_refused(done, "setup.toml variant laptop: build.nur.repos.kapack.oar.src = /home/user/dev/oar3 does not "
                         "exist (the OAR checkout to build)")


@pytest.mark.parametrize(("line", "said"), [
    ("127.0.0.1", "'127.0.0.1' is this machine's own address (loopback)"),
    ("0x7f.1", "'0x7f.1' is an IPv4 address in a shorthand form (the C library reads it as 127.0.0.1)"),
])
def test_a_nodefile_naming_this_machine_is_refused_by_every_tool(tmp_path: Path, line: str, said: str) -> None:
    nodefile = tmp_path / "OAR.7.stdout"
    nodefile.write_text(f"dahu-1.grenoble.grid5000.fr\n{line}\n")
    inventory = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(nodefile), "--list"], capture_output=True,
                               text=True, timeout=120, check=False, env=clean_env(), cwd=str(REPO))
    assert inventory.returncode != 0 and "Traceback" not in inventory.stderr
    assert f"oar_nxc: {nodefile}:2: {said}" in " ".join(inventory.stderr.split()), inventory.stderr
    done = subprocess.run([OAR_NXC, "plan", "--nodefile", str(nodefile), "--run-dir", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=120, check=False, env=clean_env(), cwd=str(REPO))
    assert_refused(done, f"{nodefile}:2: {said}")


@pytest.mark.parametrize("variable", ["oar_nxc_build_timeout", "oar_nxc_deploy_timeout"])
def test_a_timeout_that_is_not_one_is_bad_input(tmp_path: Path, variable: str) -> None:
    done = plan("-e", f"{variable}=-5", "--run-dir", str(tmp_path / "run"))
    assert_refused(done, f"timeout ({variable}): -5 is not a number of seconds from 1 to 604800")
    assert "timeout -k 30 -5" not in done.stdout and "timeout -k 10 -5" not in done.stdout


def test_oar_nxc_inventory_reads_the_config_form_as_ansible_inventory_does(tmp_path: Path) -> None:
    (tmp_path / "OAR.9.stdout").write_text("dahu-1.grenoble.grid5000.fr\ndahu-2.grenoble.grid5000.fr\n"
                                           "troll-4.grenoble.grid5000.fr\n")
    config = tmp_path / "job.oar_nxc.yml"
    config.write_text("plugin: oar.nxc.oar_nxc\nnodefile: OAR.9.stdout\nexclude: ['dahu-2*']\n"
                      "keyed_groups:\n  - key: g5k_cluster\n    prefix: by\n")
    env = clean_env(OAR_NXC_LIVE_JOB="never")
    cli = subprocess.run([OAR_NXC, "inventory", str(config)], capture_output=True, text=True, timeout=120,
                         check=False, env=env, cwd=str(REPO))
    assert cli.returncode == 0, cli.stderr
    assert "@all: 2 hosts" in cli.stdout and "dahu-2" not in cli.stdout and "troll-4.grenoble.grid5000.fr" in cli.stdout
    assert f"oar-nxc: {config}: keyed_groups applied by ansible-inventory only (Jinja or the cache): not shown" in (
        cli.stderr)
    listed = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(config), "--list"], capture_output=True,
                            text=True, timeout=120, check=False, env=env, cwd=str(REPO))
    assert listed.returncode == 0, listed.stderr
    import json

    assert sorted(json.loads(listed.stdout)["_meta"]["hostvars"]) == [
        "dahu-1.grenoble.grid5000.fr", "troll-4.grenoble.grid5000.fr"]
    unknown = tmp_path / "bad.oar_nxc.yml"
    unknown.write_text("plugin: oar.nxc.oar_nxc\nnodefile: OAR.9.stdout\nnodez: 2\n")
    bad = subprocess.run([OAR_NXC, "inventory", str(unknown)], capture_output=True, text=True, timeout=120,
                         check=False, env=env, cwd=str(REPO))
    assert bad.returncode == 2 and bad.stderr.startswith(f"oar-nxc: {unknown}: key 'nodez': unknown option; ")


@pytest.mark.parametrize(("src", "said"), [
    ("/", "build.nur.repos.kapack.oar.src = / is /, a system directory"),
    ("/proc", "build.nur.repos.kapack.oar.src = /proc is /proc, a system directory"),
    ("../" * 40, "is /, a system directory"),
])
def test_a_variant_source_that_is_the_system_is_refused_in_seconds(tmp_path: Path, src: str, said: str) -> None:
    composition = copy_master(tmp_path / "c")
    (composition / "setup.toml").write_text(f'[dev.build.nur.repos.kapack.oar]\nsrc = "{src}"\n')
    began = time.monotonic()
    done = plan("--composition", str(composition), "--setup", "dev", "--run-dir", str(tmp_path / "run"))
    assert time.monotonic() - began < 40
    assert_refused(done, "setup.toml variant dev: build.nur.repos.kapack.oar.src = ")
    assert said in " ".join((done.stdout + done.stderr).split())


@pytest.mark.parametrize(("text", "said"), [
    ('[dev.params]\nn = 1\n', "no setup variant 'nosuch' (variants: dev;"),
    ('[project]\nselected = ["dev"]\n', "key 'project.selected': must be the name of a variant, not a list"),
    ('[dev.build.oar]\nsrc = 42\n', "key 'build.oar.src': must be a path, not int '42'"),
    ('project = "x"\n', "key 'project': must be a table ([section]), not a value"),
])
def test_a_setup_nxc_would_refuse_is_bad_input_naming_the_key(tmp_path: Path, text: str, said: str) -> None:
    composition = copy_master(tmp_path / "c")
    (composition / "setup.toml").write_text(text)
    setup = ("--setup", "nosuch") if "nosuch" in said else ("--setup", "dev") if "src" in said else ()
    done = plan("--composition", str(composition), *setup, "--run-dir", str(tmp_path / "run"))
    assert_refused(done, f"{composition / 'setup.toml'}: {said}")


def test_a_fifo_in_the_shipped_compositions_is_refused_by_name_without_a_hang(tmp_path: Path) -> None:
    """The staging of the shipped compositions lists a FIFO by name and never opens it (check mode: the plan)."""
    import os

    fifo = REPO / "compositions" / "master" / f".oar-nxc-test-fifo-{os.getpid()}"
    os.mkfifo(fifo)
    try:
        began = time.monotonic()
        done = plan("--run-dir", str(tmp_path / "run"))
        elapsed = time.monotonic() - began
    finally:
        fifo.unlink()
    assert_refused(done, f"{fifo}: is a FIFO (named pipe): a composition holds regular files, directories and "
                         "symlinks only (remove it from the compositions directory)")
    assert elapsed < 60


def test_a_job_user_su_would_read_as_an_option_fails_the_run_before_any_oar_command(tmp_path: Path) -> None:
    """run.yml in check mode with oar_nxc_job_user = -s<payload>: refused at the reservation, nothing run."""
    marker = tmp_path / "pwned"
    payload = tmp_path / "payload.sh"
    payload.write_text(f"#!/bin/sh\ntouch {marker}\n")
    payload.chmod(0o755)
    began = time.monotonic()
    done = subprocess.run([str(BIN / "ansible-playbook"), "run.yml", "--check", "-e",
                           json.dumps({"oar_nxc_job_user": f"-s{payload}", "oar_nxc_job": {"nodes": 2}})],
                          capture_output=True, text=True, timeout=120, check=False, env=clean_env(), cwd=str(REPO),
                          stdin=subprocess.DEVNULL)
    assert time.monotonic() - began < 60
    assert done.returncode == 2, done.stdout[-3000:]
    said = " ".join(done.stdout.replace("''", "'").split())
    shown = f"-s{payload}"[:40] + "…"  # a value is quoted 40 characters at most
    assert f"user: '{shown}' is not a user name (it starts with '-': su would read it as an option)" in said
    assert "oar_nxc_exit: bad_input" in said
    assert not marker.exists()
