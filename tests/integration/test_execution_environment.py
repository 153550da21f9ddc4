"""The execution environment: execution-environment.yml (ansible-builder 3, format version 3) turned into a
build context by `ansible-builder create` (scripts/ee-context.sh). No container engine runs here, so the
context is checked as the image build would use it: its Containerfile installs the Python the file names,
ansible-core and ansible-runner of pyproject's ranges, the collection from the checkout's tarball, and then
what ansible-builder's own introspection (the context's introspect.py) finds in that collection: the
oar-nxc wheel of the checkout (pip resolves it from the context's dist/, with nixos-compose) and bindep's
system packages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from tests.conftest import REPO

BIN = Path(sys.executable).parent


@dataclass
class Context:
    root: Path  # the build context: Containerfile and _build/
    containerfile: str

    @property
    def dist(self) -> Path:
        return self.root / "_build" / "dist"


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Context:
    out = tmp_path_factory.mktemp("ee")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "OAR_NXC_EE_DIR": str(out)}
    done = subprocess.run([str(REPO / "scripts" / "ee-context.sh")], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    root = out / "context"
    return Context(root, (root / "Containerfile").read_text())


def pyproject_dependency(name: str) -> str:
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    (found,) = [d for d in dependencies if re.match(rf"{re.escape(name)}\b", d)]
    return str(found)


def stage(containerfile: str, name: str) -> list[str]:
    """The instructions of one build stage (FROM ... AS name), without ARG lines and comments."""
    body = re.split(r"^FROM ", containerfile, flags=re.MULTILINE)
    (found,) = [b for b in body if re.match(rf"\S+ AS {name}\n", b)]
    return [line for line in found.splitlines()[1:] if line and not line.startswith(("ARG ", "#"))]


def test_the_file_is_version_3_and_its_ranges_are_pyprojects() -> None:
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    assert ee["version"] == 3
    core = pyproject_dependency("ansible-core").split("#", maxsplit=1)[0]
    assert ee["dependencies"]["ansible_core"]["package_pip"] == core
    assert ee["dependencies"]["ansible_runner"]["package_pip"] == pyproject_dependency("ansible-runner")
    # the collection's own metadata stays ansible-builder's version 1 (what ansible-builder reads from it)
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    assert meta == {"version": 1, "dependencies": {"python": "requirements.txt", "system": "bindep.txt"}}


def test_the_context_holds_the_checkouts_wheel_and_collection_only(context: Context) -> None:
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    assert sorted(p.name for p in context.dist.iterdir()) == ["oar-nxc.tar.gz", f"oar_nxc-{version}-py3-none-any.whl"]
    with zipfile.ZipFile(context.dist / f"oar_nxc-{version}-py3-none-any.whl") as wheel:
        metadata = wheel.read(f"oar_nxc-{version}.dist-info/METADATA").decode()
    requires = [line.removeprefix("Requires-Dist: ") for line in metadata.splitlines()
                if line.startswith("Requires-Dist: ") and "extra ==" not in line]
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert {Requirement(r) for r in requires} == {Requirement(d.split("#", maxsplit=1)[0]) for d in declared}
    assert {Requirement(r).name for r in requires} >= {"ansible-core", "ansible-runner", "nixos-compose"}
    with tarfile.open(context.dist / "oar-nxc.tar.gz") as tar:
        manifest = json.loads(tar.extractfile("MANIFEST.json").read())["collection_info"]  # type: ignore[union-attr]
        names = set(tar.getnames())
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == ("oar", "nxc", version)
    assert {"requirements.txt", "bindep.txt", "meta/execution-environment.yml"} <= names
    assert yaml.safe_load((context.root / "_build" / "requirements.yml").read_text()) == {
        "collections": [{"name": "/build/dist/oar-nxc.tar.gz", "type": "file"}]}


def test_the_containerfile_installs_python_ansible_the_collection_then_its_requirements(context: Context) -> None:
    text = context.containerfile
    assert 'ARG PYCMD="/usr/bin/python3.12"' in text and 'ARG PYPKG="python3.12"' in text
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core>=2.19,<2.22 ansible-runner>=2.4,<3"' in text
    assert stage(text, "base")[-3:] == [
        "RUN $PKGMGR install $PYPKG -y ; if [ -z $PKGMGR_PRESERVE_CACHE ]; then $PKGMGR clean all; fi",
        "RUN /output/scripts/pip_install $PYCMD",
        "RUN $PYCMD -m pip install --no-cache-dir $ANSIBLE_INSTALL_REFS"]
    galaxy = stage(text, "galaxy")
    assert galaxy[0] == "COPY _build/dist/ /build/dist/"
    assert galaxy[-1] == ('RUN ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1 ansible-galaxy collection install '
                          '$ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml --collections-path '
                          '"/usr/share/ansible/collections"')
    builder = stage(text, "builder")
    assert builder.index("ENV PIP_FIND_LINKS=/build/dist") < builder.index("RUN /output/scripts/assemble")
    assert ("RUN $PYCMD /output/scripts/introspect.py introspect --write-bindep=/tmp/src/bindep.txt "
            "--write-pip=/tmp/src/requirements.txt") in builder
    final = stage(text, "final")
    assert "COPY --from=builder /output/ /output/" in final
    assert "RUN /output/scripts/install-from-bindep && rm -rf /output/wheels" in final


def test_ansible_builders_introspection_finds_the_wheel_and_the_system_packages(
        context: Context, tmp_path: Path) -> None:
    """What the builder stage runs, here: introspect.py over the collection installed from the context's
    tarball (as the galaxy stage installs it, without its Galaxy dependencies, out of reach here)."""
    collections = tmp_path / "collections"
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(collections),
                    str(context.dist / "oar-nxc.tar.gz")], cwd=tmp_path, capture_output=True, check=True, timeout=300)
    pip, bindep = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    subprocess.run([sys.executable, str(context.root / "_build" / "scripts" / "introspect.py"), "introspect",
                    f"--write-pip={pip}", f"--write-bindep={bindep}", str(collections)], cwd=tmp_path,
                   capture_output=True, check=True, timeout=120)
    assert pip.read_text().splitlines() == ["oar-nxc>=1.0,<2  # from collection oar.nxc"]
    assert bindep.read_text().splitlines() == ["openssh-client [platform:dpkg]  # from collection oar.nxc",
                                               "openssh-clients [platform:rpm]  # from collection oar.nxc"]
    # pip, with the builder stage's PIP_FIND_LINKS, takes oar-nxc from the context's wheel, and the core's
    # dependencies from the package index
    report = tmp_path / "report.json"
    subprocess.run([str(BIN / "pip"), "install", "--dry-run", "--ignore-installed", "-q", "--disable-pip-version-check",
                    "--report", str(report), "-r", str(pip)], env={**os.environ, "PIP_FIND_LINKS": str(context.dist)},
                   capture_output=True, check=True, timeout=300)
    installs = {i["metadata"]["name"]: i for i in json.loads(report.read_text())["install"]}
    assert installs["oar-nxc"]["download_info"]["url"] == (context.dist / next(
        p.name for p in context.dist.glob("*.whl"))).as_uri()
    assert installs["nixos-compose"]["metadata"]["version"] == "0.7.11"
    assert {"ansible-core", "ansible-runner"} <= set(installs)
