from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from oar_nxc.errors import SourceError
from oar_nxc.formats.deployment import Node, find, load, parse_data, parse_text, split_name

DEPLOYMENTS = Path(__file__).resolve().parents[3] / "fixtures" / "deployments"


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("deploy/composition::g5k-nfs-store.json", ("composition", "g5k-nfs-store", None)),
        ("deploy/composition::g5k-ramdisk::run2.json", ("composition", "g5k-ramdisk", "run2")),
        ("/etc/nxc/deployment.json", (None, None, None)),
    ],
)
def test_split_name(path: str, parts: tuple[str | None, ...]) -> None:
    assert split_name(path) == parts


@pytest.mark.parametrize("flavour", ["g5k-ramdisk", "g5k-nfs-store", "g5k-image"])
def test_g5k_flavours_use_the_ip(flavour: str) -> None:
    dep = load(DEPLOYMENTS / f"composition::{flavour}.json")
    assert (dep.composition, dep.flavour, dep.tag, dep.user) == ("composition", flavour, None, "alice")
    assert dep.nodes == (
        Node("frontend", "frontend", "10.16.0.7", "ssh", ssh_host="10.16.0.7"),
        Node("node1", "node", "10.16.0.8", "ssh", ssh_host="10.16.0.8"),
        Node("node2", "node", "10.16.0.9", "ssh", ssh_host="10.16.0.9"),
        Node("server", "server", "10.16.0.10", "ssh", ssh_host="10.16.0.10"),
    )
    assert dep.roles == {"frontend": ["frontend"], "node": ["node1", "node2"], "server": ["server"]}


def test_tag_comes_from_the_file_name() -> None:
    dep = load(DEPLOYMENTS / "composition::g5k-ramdisk::run2.json")
    assert dep.tag == "run2"


def test_vm_hosts_are_on_localhost_ports() -> None:
    dep = load(DEPLOYMENTS / "composition::vm.json")
    assert [(n.host, n.ssh_host, n.ssh_port, n.vm_id, n.address) for n in dep.nodes] == [
        ("frontend", "127.0.0.1", 22022, 1, "192.168.1.1"),
        ("node1", "127.0.0.1", 22023, 2, "192.168.1.2"),
        ("node2", "127.0.0.1", 22024, 3, "192.168.1.3"),
        ("server", "127.0.0.1", 22025, 4, "192.168.1.4"),
    ]


def test_docker_hosts_are_containers() -> None:
    dep = load(DEPLOYMENTS / "composition::docker.json")
    assert dep.flavour == "docker"
    assert [(n.host, n.role, n.connection, n.container) for n in dep.nodes] == [
        ("frontend", "frontend", "docker", "docker-frontend-1"),
        ("node1", "node", "docker", "docker-node1-1"),
        ("node2", "node", "docker", "docker-node2-1"),
        ("server", "server", "docker", "docker-server-1"),
    ]
    assert dep.compose_file == "/tmp/oar-nxc-fixtures/envdir/docker/artifact/composition/docker/docker-compose.json"


def test_flavour_is_inferred_without_an_nxc_file_name() -> None:
    data = {"deployment": {"192.168.1.1": {"role": "a", "host": "a", "vm_id": 1}}}
    assert parse_data(data, "/etc/nxc/deployment.json").flavour == "vm"
    data = {"deployment": {"a": {"role": "a"}}, "docker-compose-file": "/x/docker/dc.json"}
    assert parse_data(data, "deployment.json").nodes[0].container == "docker-a-1"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "f::g5k-ramdisk.json: key '(top level)': a deployment file must be a JSON object, not list"),
        ({"composition": "c"}, "f::g5k-ramdisk.json: key 'deployment': missing 'deployment' map: "
                               "not an nxc deployment file"),
        ({"deployment": []}, "f::g5k-ramdisk.json: key 'deployment': 'deployment' must be a JSON object, not list"),
        ({"deployment": {}}, "f::g5k-ramdisk.json: key 'deployment': 'deployment' is empty: no host was deployed"),
        ({"deployment": {"10.0.0.1": {"host": "a"}}},
         "f::g5k-ramdisk.json: key 'deployment.10.0.0.1.role': missing 'role' in deployment entry"),
        ({"deployment": {"10.0.0.1": {"role": "a"}}},
         "f::g5k-ramdisk.json: key 'deployment.10.0.0.1.host': missing 'host' in deployment entry"),
        ({"deployment": {"10.0.0.1": {"role": "a b", "host": "a"}}},
         "f::g5k-ramdisk.json: key 'deployment.10.0.0.1.role': role 'a b' is not a valid role name (a letter or _, "
         "then letters, digits, _ or -)"),
        ({"deployment": {"node1": {"role": "a", "host": "a"}}},
         "f::g5k-ramdisk.json: key 'deployment.node1': 'node1' is not an IPv4 address "
         "(this flavour keys hosts by IP)"),
        ({"deployment": {"10.0.0.1": {"role": "a", "host": "a;b"}}},
         "f::g5k-ramdisk.json: key 'deployment.10.0.0.1.host': 'a;b' is not a valid host name or IPv4 address "
         "(forbidden character ';')"),
        ({"deployment": {"10.0.0.1": {"role": "a", "host": "a"}, "10.0.0.2": {"role": "a", "host": "a"}}},
         "f::g5k-ramdisk.json: key 'deployment.10.0.0.2': host 'a' appears twice (also at 10.0.0.1)"),
    ],
)
def test_bad_deployments(data: object, message: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_data(data, "f::g5k-ramdisk.json")
    assert str(info.value) == message


def test_vm_entry_needs_vm_id() -> None:
    with pytest.raises(SourceError, match=r"key 'deployment.192.168.1.1.vm_id': a vm entry needs an integer"):
        parse_data({"deployment": {"192.168.1.1": {"role": "a", "host": "a"}}}, "c::vm.json")


def test_invalid_json_names_the_line() -> None:
    with pytest.raises(SourceError) as info:
        parse_text('{\n  "deployment": {\n  ,}\n}', "c::vm.json")
    assert info.value.line == 3
    assert str(info.value).startswith("c::vm.json:3: invalid JSON: ")


def test_find_takes_the_newest_and_filters_by_tag(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    body = json.dumps({"deployment": {"10.0.0.1": {"role": "a", "host": "a"}}})
    for i, name in enumerate(["c::g5k-ramdisk.json", "c::g5k-ramdisk::t1.json", "c::vm.json"]):
        (deploy / name).write_text(body)
        stamp = time.time() - 100 + i
        os.utime(deploy / name, (stamp, stamp))
        time.sleep(0.01)  # ctime follows the write order
    assert find(tmp_path) == str(deploy / "c::vm.json")
    assert find(tmp_path, tag="t1") == str(deploy / "c::g5k-ramdisk::t1.json")
    with pytest.raises(SourceError, match=r"no deployment file with tag 'zz'"):
        find(tmp_path, tag="zz")
    with pytest.raises(SourceError, match=r"no 'deploy' directory"):
        find(tmp_path / "deploy")
