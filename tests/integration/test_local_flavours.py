"""docker and vm with the real nxc 0.7.11: the exact nxc command lines the roles run, how
they fail here (no docker engine, no vde2/KVM), and the inventory the deployment files nxc
wrote lead to. The image build is the testbed stand-in (tests/testbed/standin/nix)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BIN, inventory_list
from tests.integration.pipeline import Run, copy_compositions, playbook

NXC = str(BIN / "nxc")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    base = tmp_path_factory.mktemp("local")
    key = base / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    yield copy_compositions(base), key


def local(name: str, flavour: str, workdir: tuple[Path, Path]) -> Run:
    compositions, key = workdir
    return playbook(name, "-e", f"oar_nxc_flavour={flavour}", "-e", f"oar_nxc_public_key={key}.pub", "-e",
                    "oar_nxc_deploy_timeout=600", compositions=compositions)


def record(workdir: tuple[Path, Path], flavour: str) -> dict:
    return json.loads((workdir[0] / f"master/.oar-nxc/start-{flavour}.json").read_text())


def test_docker(workdir: tuple[Path, Path]) -> None:
    compositions, key = workdir
    build = local("build.yml", "docker", workdir)
    assert build.rc == 2
    assert build.failures() == [
        "oar.nxc.nxc_build : Build the composition with nxc (-f docker) @ localhost: nxc build failed (rc 127): "
        f"Error: Build return code: 127 "
        f"[timeout -k 30 7200 {NXC} build -f docker]"]
    # nxc made the build link before `docker load` failed: nxc start goes on from it
    start = local("playbooks/start.yml", "docker", workdir)
    assert start.rc == 2
    assert record(workdir, "docker")["argv"] == ["timeout", "-k", "10", "600", NXC, "start", "-f", "docker", "-i",
                                                 f"{key}.pub"]
    assert record(workdir, "docker")["rc"] == 1
    assert start.failures() == [
        "oar.nxc.nxc_deploy : Start the composition with nxc (-f docker) @ localhost: nxc start failed (rc 1): "
        "Error: [Errno 2] No such file "
        "or directory: 'docker', exception [Errno 2] No such file or directory: 'docker' "
        f"[timeout -k 10 600 {NXC} start -f docker -i {key}.pub]"]
    inventory = inventory_list(compositions / "master/deploy/composition::docker.json")
    hostvars = inventory["_meta"]["hostvars"]
    assert sorted(hostvars) == ["frontend", "node1", "node2", "server"]
    assert inventory["role_node"]["hosts"] == ["node1", "node2"]
    for host, hv in hostvars.items():
        assert hv["ansible_connection"] == "community.docker.docker"
        assert hv["ansible_host"] == f"docker-{host}-1"
        assert hv["nxc_flavour"] == "docker"


def test_vm(workdir: tuple[Path, Path]) -> None:
    compositions, key = workdir
    build = local("build.yml", "vm", workdir)
    assert build.rc == 0, build.explain()
    stamp = json.loads((compositions / "master/build/.oar-nxc-vm.json").read_text())
    assert stamp["argv"] == ["timeout", "-k", "30", "7200", NXC, "build", "-f", "vm"]
    start = local("playbooks/start.yml", "vm", workdir)
    assert start.rc == 2
    assert record(workdir, "vm")["argv"] == ["timeout", "-k", "10", "600", NXC, "start", "-f", "vm", "-i",
                                             f"{key}.pub"]
    assert start.failures() == [
        "oar.nxc.nxc_deploy : Start the composition with nxc (-f vm) @ localhost: nxc start failed (rc 1): "
        "Error: vde_switch not found, "
        f"please install vde2 [timeout -k 10 600 {NXC} start -f vm -i {key}.pub]"]
    hostvars = inventory_list(compositions / "master/deploy/composition::vm.json")["_meta"]["hostvars"]
    assert {h: (v["ansible_host"], v["ansible_port"], v["nxc_role"]) for h, v in hostvars.items()} == {
        "frontend": ("127.0.0.1", 22022, "frontend"), "node1": ("127.0.0.1", 22023, "node"),
        "node2": ("127.0.0.1", 22024, "node"), "server": ("127.0.0.1", 22025, "server")}


def test_role_overrides_and_setup_reach_nxc(workdir: tuple[Path, Path]) -> None:
    compositions, key = workdir
    run = playbook("playbooks/start.yml", "-e", "oar_nxc_flavour=vm", "-e", f"oar_nxc_public_key={key}.pub",
                   "-e", '{"oar_nxc_roles": {"node": ["alpha", "beta"], "server": 1}}', "-e", "oar_nxc_tag=t1",
                   compositions=compositions)
    assert run.rc == 2
    assert record(workdir, "vm")["argv"] == [
        "timeout", "-k", "10", "120", NXC, "start", "-f", "vm", "-i", f"{key}.pub", "-r", "node=alpha,beta",
        "-r", "server=1", "-a", "t1"]
    data = json.loads((compositions / "master/deploy/composition::vm::t1.json").read_text())
    assert sorted(e["host"] for e in data["deployment"].values()) == ["alpha", "beta", "frontend", "server1"]
