"""Hostile input at the core's boundary: each class of issue 12, with the exact message."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from oar_nxc.errors import OarNxcError, SourceError
from oar_nxc.formats import deployment, detect, nodefile
from oar_nxc.inventory import sources
from oar_nxc.inventory import spec as inventory


def error_of(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(OarNxcError) as err:
        call(*args, **kwargs)  # type: ignore[operator]
    return str(err.value)


# --- names -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["all", "ungrouped", "localhost", "ALL", "localhost."])
def test_reserved_names_are_refused_with_the_line(name: str) -> None:
    assert error_of(nodefile.parse_text, f"node1\n{name}\n", "nf") == (
        f"nf:2: '{name}' is a name Ansible reserves (all, ungrouped, localhost): a host so named would break or take "
        "over the inventory; a nodefile holds one host name or IPv4 address per line")


def test_a_group_name_as_host_names_file_and_line() -> None:
    parsed = nodefile.parse_text("node1\nnode1\noar_nodes\n", "nf")
    assert error_of(inventory.describe, parsed) == (
        "nf:3: host 'oar_nodes' has the name of one of this inventory's groups; Ansible cannot have both: rename the "
        "host or the role")
    deployed = deployment.parse_data({"deployment": {"10.0.0.1": {"role": "node", "host": "role_node"}}},
                                     "/d/composition::g5k-nfs-store.json")
    assert error_of(inventory.describe, None, deployed) == (
        "/d/composition::g5k-nfs-store.json: key 'deployment.10.0.0.1.host': host 'role_node' has the name of one of "
        "this inventory's groups; Ansible cannot have both: rename the host or the role")


def test_a_secret_line_is_not_echoed() -> None:
    shadow = "root:$y$j9T$0123456789abcdefghijkl$ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijk:19700:0:99999:7:::"
    message = error_of(nodefile.parse_text, shadow + "\n", "/etc/shadow")
    assert message.startswith("/etc/shadow:1: 'root:…' is not a valid host name")
    assert "$y$" not in message


def test_a_long_line_stops_the_read_and_is_not_echoed() -> None:
    message = error_of(nodefile.parse_bytes, b"node1\n" + b"x" * 10_000_000 + b"\nnode2\n", "nf")
    assert message == "nf:2: a line longer than 1024 bytes: not a nodefile"


def test_a_trailing_newline_never_passes_a_name_check() -> None:
    data = {"deployment": {"10.0.0.1": {"role": "node\n", "host": "node1"}}}
    assert "key 'deployment.10.0.0.1.role': role 'node\\n' is not a valid role name" in error_of(
        deployment.parse_data, data, "/d/c::g5k-nfs-store.json")
    data = {"deployment": {"10.0.0.1": {"role": "node", "host": "node1\n"}}}
    assert "key 'deployment.10.0.0.1.host': 'node1\\n' is not a valid host name" in error_of(
        deployment.parse_data, data, "/d/c::g5k-nfs-store.json")


# --- deployment files ------------------------------------------------------------------------

def test_duplicate_keys_are_refused_not_dropped() -> None:
    text = '{"deployment": {"10.0.0.1": {"role": "node", "host": "node1"}, "10.0.0.1": {"role": "node", "host": "x"}}}'
    assert error_of(deployment.parse_text, text, "/d/c::g5k-nfs-store.json") == (
        "/d/c::g5k-nfs-store.json: refused JSON: duplicate key '10.0.0.1': the second one would silently replace the "
        "first")


def test_deep_nesting_and_huge_integers_are_errors() -> None:
    assert error_of(deployment.parse_text, "[" * 200_000 + "]" * 200_000, "/d/c::vm.json") == (
        "/d/c::vm.json: refused JSON: nested deeper than 32 levels")
    text = '{"deployment": {"10.0.0.1": {"role": "node", "host": "n", "vm_id": ' + "9" * 5000 + "}}}"
    assert error_of(deployment.parse_text, text, "/d/c::vm.json") == (
        "/d/c::vm.json: key 'deployment.10.0.0.1.vm_id': refused JSON: an integer of 5000 digits (at most 18)")
    assert error_of(deployment.parse_text, '{"deployment": {}, "x": [1, NaN]}', "/d/c::vm.json") == (
        "/d/c::vm.json: key 'x.1': refused JSON: NaN is not JSON")


def test_vm_port_must_exist() -> None:
    data = {"deployment": {"10.0.0.1": {"role": "node", "host": "n", "vm_id": 43515}}}
    assert error_of(deployment.parse_data, data, "/d/c::vm.json") == (
        "/d/c::vm.json: key 'deployment.10.0.0.1.vm_id': vm_id 43515 gives ssh port 65536, beyond 65535")
    assert deployment.parse_data({"deployment": {"10.0.0.1": {"role": "node", "host": "n", "vm_id": 43514}}},
                                 "/d/c::vm.json").nodes[0].ssh_port == 65535


def test_the_flavour_of_the_file_name_is_checked() -> None:
    data = {"deployment": {"10.0.0.1": {"role": "node", "host": "n"}}}
    assert error_of(deployment.parse_data, data, "/d/composition::vmm.json") == (
        "/d/composition::vmm.json: the file name says flavour 'vmm', which nxc does not have (one of docker, "
        "g5k-image, g5k-nfs-store, g5k-ramdisk, nspawn, vm, vm-ramdisk)")


def test_the_docker_project_name_is_checked() -> None:
    data = {"deployment": {"node1": {"role": "node"}}, "docker-compose-file": "/tmp/-rm/docker-compose.yml"}
    assert error_of(deployment.parse_data, data, "/d/composition::docker.json") == (
        "/d/composition::docker.json: key 'docker-compose-file': its directory '-rm' is not a docker compose project "
        "name (lower-case letters, digits, _ and -, not first)")


# --- options and environment values -----------------------------------------------------------

@pytest.mark.parametrize(("values", "origins", "message"), [
    ({"nodes": True}, {}, "c.yml: key 'nodes': True is not a number of hosts (a positive integer is expected)"),
    ({"nodes": "0"}, {"nodes": "$OAR_NXC_NODES"}, "$OAR_NXC_NODES: '0' is not a positive number of hosts"),
    ({"nodes": "\u0663"}, {}, "c.yml: key 'nodes': '\u0663' is not a positive number of hosts"),
    ({"exclude": [1, 2]}, {}, "c.yml: key 'exclude[0]': an integer is not a host pattern (a string is expected)"),
    ({"exclude": {"a": 1}}, {}, "c.yml: key 'exclude': a mapping is not a list of host patterns"),
    ({"job_id": "0"}, {"job_id": "$OAR_JOB_ID"}, "$OAR_JOB_ID: '0' is not an OAR job id"),
    ({"job_id": "\u0661\u0662"}, {"job_id": "$OAR_JOB_ID"}, "$OAR_JOB_ID: '\u0661\u0662' is not an OAR job id"),
    ({"job_id": "7" * 5000}, {"job_id": "$OAR_JOB_ID"}, "$OAR_JOB_ID: '77777777777777777777…' is not an OAR job id"),
    ({"relax_host_key_checking": "maybe"}, {}, "c.yml: key 'relax_host_key_checking': 'maybe' is not a boolean"),
])
def test_option_values_are_strict(values: dict[str, object], origins: dict[str, str], message: str) -> None:
    assert message in error_of(sources.options_from, values, "c.yml", origins)


def test_environment_strings_are_read_as_the_environment_gives_them() -> None:
    options = sources.options_from({"nodes": "3", "exclude": "a*, b ,", "relax_host_key_checking": "no"}, "c")
    assert (options.nodes, options.exclude, options.relax_host_key_checking) == (3, ("a*", "b"), False)


def test_an_exclude_that_leaves_nothing_names_both_values() -> None:
    parsed = nodefile.parse_text("dahu-1.grenoble.grid5000.fr\ndahu-2.grenoble.grid5000.fr\n", "nf")
    options = sources.options_from({"nodes": 1, "exclude": ["dahu-*"]}, "c")
    assert error_of(inventory.describe, parsed, None, options) == (
        "exclude ['dahu-*'] leaves none of the 2 hosts (nodes: 1): nothing to deploy on")


# --- special and executable files ------------------------------------------------------------

def test_special_files_are_claimed_and_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "OAR.7.stdout"
    os.mkfifo(fifo)
    assert detect.sniff(str(fifo)) == "special"
    assert error_of(sources.Request.for_file, str(fifo), "special", job_id=None, nodes=None, exclude=None,
                    relax_host_key_checking=None, private_key_file=None, python_interpreter=None) == (
        f"{fifo}: is a FIFO (named pipe), not a regular file: give the nodefile itself")
    assert detect.sniff("/dev/zero") == "special"


def test_an_executable_nodefile_is_claimed_and_never_run(tmp_path: Path) -> None:
    path = tmp_path / "nodes"
    path.write_text("node1\nnode2\n")
    path.chmod(0o755)
    assert detect.sniff(str(path)) == "executable"
    message = error_of(sources.Request.for_file, str(path), "executable", job_id=None, nodes=None, exclude=None,
                       relax_host_key_checking=None, private_key_file=None, python_interpreter=None)
    assert message == (f"{path}: is executable (mode 0755) but holds host names, not a script: Ansible's script "
                       f"plugin would run it as an inventory script. Make it data again: chmod a-x {path}")
    script = tmp_path / "inv"
    script.write_text("#!/bin/sh\necho '{}'\n")
    script.chmod(0o755)
    assert detect.sniff(str(script)) is None  # a real inventory script stays the script plugin's


def test_a_sparse_file_stops_at_its_first_chunk(tmp_path: Path) -> None:
    path = tmp_path / "nodefile"
    with open(path, "wb") as handle:
        handle.truncate(2 * 1024**3)  # 2 GB of NUL bytes, none on disk
    assert error_of(nodefile.load, str(path)) == (
        f"{path}:1: binary data (NUL byte): not a text nodefile or deployment file")


def test_json_round_trip_of_a_real_deployment_still_parses() -> None:
    data = {"deployment": {"10.0.0.1": {"role": "node", "host": "node1", "vm_id": 1}}, "user": "root"}
    parsed = deployment.parse_text(json.dumps(data), "/d/composition::vm.json")
    assert [(n.host, n.ssh_port) for n in parsed.nodes] == [("node1", 22022)]
    assert isinstance(parsed, deployment.Deployment) and not isinstance(parsed, SourceError)


def test_a_config_file_is_bounded_before_yaml_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "inv.oar_nxc.yml"
    path.write_text("plugin: oar_nxc\n" + "# padding\n" * 200_000)
    assert error_of(sources.check_config_file, str(path)) == (
        f"{path}: 2000016 bytes: larger than the 1 MiB limit for a configuration file")
