"""oar.nxc as users install it, used from a project that is not this repository. Root only.

From this checkout: `ansible-galaxy collection build` gives a tarball, installed with
`ansible-galaxy collection install` into a temporary directory; the non-editable wheel goes into
a fresh virtual environment of Debian's Python. Then, on the testbed and a real reservation:
- a project of its own (an ansible.cfg with only collections_path and [inventory] enable_plugins)
  runs `ansible-playbook oar.nxc.deploy -i <the job's $OAR_NODEFILE>` end to end, with the
  installed collection mounted read-only (it is byte-identical afterwards);
- `oar-nxc deploy` runs from an unrelated directory with that install.
The testbed's stand-ins (image build, reboot) and nxc come from this checkout, named by
-e oar_nxc_testbed_repo, as tests/testbed/testbed-vars.yml documents.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.integration.packaging import build_collection, build_wheel, check, install_collection, make_venv, venv_env
from tests.integration.pipeline import TESTBED_VARS, clear_jobs, netns_state
from tests.testbed import oar_testbed as tb

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root (network namespaces, sshd, PostgreSQL)"),
]
CHECKS = [("node_sshd", "passed"), ("resources_alive", "passed"), ("batch_job", "passed"),
          ("failing_job", "passed"), ("oardel", "passed"), ("reservation", "passed"), ("rest_api", "passed")]
TESTBED = ["-e", f"@{TESTBED_VARS}", "-e", f"oar_nxc_testbed_repo={REPO}"]


@dataclass
class Installed:
    tarball: Path
    collections: Path  # the collections_path: <it>/ansible_collections/oar/nxc
    collection: Path
    bin: Path  # the fresh venv's bin/, with the wheel
    base: Path
    reservation: tb.Reservation


@pytest.fixture(scope="module")
def installed(cluster: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("installed")
    tarball = build_collection(base / "dist")
    wheel = build_wheel(base / "dist")
    collection = install_collection(tarball, base / "collections")
    bin_dir = make_venv(base / "venv", "/usr/bin/python3", str(wheel))
    clear_jobs()
    reservation = tb.reserve(4, walltime="1:00:00")
    try:
        yield Installed(tarball, base / "collections", collection, bin_dir, base, reservation)
    finally:
        if tb.state(reservation.job_id) not in tb.FINAL_STATES:
            tb.release(reservation.job_id)
        shutil.rmtree(base, ignore_errors=True)


def test_the_tarball_is_the_collection_only(installed: Installed) -> None:
    with tarfile.open(installed.tarball) as tar:
        names = set(tar.getnames())
    manifest = json.loads((installed.collection / "MANIFEST.json").read_text())["collection_info"]
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == ("oar", "nxc", galaxy["version"])
    assert manifest["dependencies"] == {"community.docker": ">=3.9.0,<5.0.0"}
    for expected in ("meta/runtime.yml", "plugins/inventory/oar_nxc.py", "plugins/modules/nxc_build.py",
                     "plugins/filter/oar_nxc.py", "plugins/plugin_utils/core.py", "playbooks/deploy.yml",
                     "roles/nxc_deploy/meta/argument_specs.yml", "compositions/master/composition.nix",
                     "requirements.txt", "LICENSE", "CHANGELOG.md",
                     "changelogs/changelog.yaml"):
        assert expected in names, expected
    # nothing of the checkout's tooling, tests, state or the symlink back to itself
    assert not [n for n in names if n.split("/")[0] in {"tests", "src", "collections", ".venv", "bench", "scripts",
                                                        ".git", "ansible.cfg", "deploy.yml"}]


def tree_digest(root: Path) -> dict[str, str]:
    """Every entry under ROOT -> its mode and bytes' digest (a symlink: its target)."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel, mode = str(path.relative_to(root)), oct(path.lstat().st_mode)
        if path.is_symlink():
            out[rel] = f"{mode} -> {os.readlink(path)}"
        elif path.is_file():
            out[rel] = f"{mode} {hashlib.sha256(path.read_bytes()).hexdigest()}"
        else:
            out[rel] = mode
    return out


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """PATH read-only for everyone, root included: a read-only bind mount of itself."""
    subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_a_project_of_its_own_deploys_by_fqcn(installed: Installed, tmp_path: Path) -> None:
    """The installed collection is read-only (a read-only mount, which root cannot write either): its shipped
    composition is built and deployed from a copy in the work directory, and the collection is byte-identical."""
    project = tmp_path / "ops-repo"
    project.mkdir()
    (project / "ansible.cfg").write_text(
        f"[defaults]\ncollections_path = {installed.collections}\n\n"
        "[inventory]\nenable_plugins = oar.nxc.oar_nxc, auto, yaml\n")
    work = tmp_path / "work"
    before = tree_digest(installed.collection)
    with read_only(installed.collection):
        with pytest.raises(OSError):
            (installed.collection / "compositions" / "master" / "probe").write_text("")
        proc = subprocess.run([str(installed.bin / "ansible-playbook"), "oar.nxc.deploy", "-i",
                               installed.reservation.nodefile, *TESTBED], cwd=project,
                              env=venv_env(installed.bin, OAR_NXC_WORK_DIR=str(work)),
                              capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert tree_digest(installed.collection) == before
    # the installed collection's own composition was built and deployed from its copy, and smoke-tested
    master = work / "compositions" / "master"
    assert (master / "composition.nix").read_bytes() == \
        (installed.collection / "compositions" / "master" / "composition.nix").read_bytes()
    report = json.loads((master / ".oar-nxc/reports/report.json").read_text())
    assert [(c["name"], c["status"]) for c in report["checks"]] == CHECKS
    assert [netns_state(f"oarnode{i}")["role"] for i in range(1, 5)] == ["frontend", "node", "node", "server"]
    assert (master / ".oar-nxc/machines-g5k-nfs-store").read_text() == "oarnode1\noarnode2\noarnode3\noarnode4\n"


def test_oar_nxc_runs_from_an_unrelated_directory(installed: Installed, tmp_path: Path) -> None:
    where = check([str(installed.bin / "python"), "-c", "import oar_nxc; print(oar_nxc.__file__)"],
                  env=venv_env(installed.bin))
    assert where.startswith(str(installed.bin.parent / "lib")), where  # the wheel, not the checkout
    anywhere = tmp_path / "anywhere"
    anywhere.mkdir()
    argv = [str(installed.bin / "oar-nxc"), "deploy", "--nodefile", installed.reservation.nodefile, *TESTBED,
            "--run-dir", str(anywhere / "run")]
    # without the collection where Ansible looks: bad input, naming what was searched
    lost = subprocess.run(argv, cwd=anywhere, env=venv_env(installed.bin), capture_output=True, text=True,
                          timeout=60, check=False)
    assert lost.returncode == 2
    assert lost.stderr.startswith("oar-nxc: the oar.nxc collection is not installed where Ansible looks (searched: ")
    proc = subprocess.run(argv, cwd=anywhere, env=venv_env(installed.bin, ANSIBLE_COLLECTIONS_PATH=str(
        installed.collections)), capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    summary = json.loads((anywhere / "run" / "summary.json").read_text())
    assert (summary["command"], summary["exit_code"], summary["meaning"]) == ("deploy", 0, "success")
    assert [(c["name"], c["status"]) for c in summary["checks"]] == CHECKS
    assert summary["deployment_file"] == str(anywhere / "run" / "deployment.json")
    assert "oar-nxc deploy: success (exit 0)" in proc.stdout
