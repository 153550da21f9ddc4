"""oar_nxc.nxc.rolecheck: the argv each deployed host is asked with (from its inventory variables, as the
oar_nxc plugin writes them), and the asking itself with real processes (cat, sh, and ssh to a closed port)."""

from __future__ import annotations

import re
import tempfile
import threading
import time
from pathlib import Path

import pytest

from oar_nxc.errors import ConfigError
from oar_nxc.inventory.spec import RELAXED_SSH_ARGS
from oar_nxc.nxc import rolecheck

TESTBED_NODE = {"nxc_role": "node", "ansible_host": "10.213.0.12", "ansible_user": "root",
                "ansible_ssh_common_args": RELAXED_SSH_ARGS, "ansible_ssh_private_key_file": "/run/oar-testbed/id"}


def test_a_deployed_node_is_asked_over_ssh_with_its_own_settings_and_the_address_after_the_options() -> None:
    target = rolecheck.target("node1", {**TESTBED_NODE, "ansible_port": 2222}, connect_timeout=7, sockets="/s")
    assert re.fullmatch(r"/s/[0-9a-f]{40}", target.control)
    assert target == rolecheck.Target("node1", "10.213.0.12", "node", (
        "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=7", "-o", "ControlMaster=auto", "-o",
        "ControlPersist=60s", "-o", f"ControlPath={target.control}", "-o", "ServerAliveInterval=5", "-o",
        "ServerAliveCountMax=2",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        "-o", "KexAlgorithms=curve25519-sha256,curve25519-sha256@libssh.org", "-p", "2222", "-l", "root", "-i",
        "/run/oar-testbed/id", "--", "10.213.0.12", "cat /etc/nxc/role"), control=target.control)


def test_a_shared_connection_is_reused_only_by_the_same_settings() -> None:
    def control(**changed: object) -> str:
        return rolecheck.target("node1", {**TESTBED_NODE, **changed}, sockets="/s").control
    assert control() == control() == rolecheck.target("other-name", TESTBED_NODE, sockets="/s").control
    others = [control(ansible_port=2222), control(ansible_user="oar"), control(ansible_host="10.213.0.13"),
              control(ansible_ssh_private_key_file="/k"), control(ansible_ssh_common_args="-o LogLevel=ERROR"),
              rolecheck.target("node1", TESTBED_NODE, connect_timeout=3, sockets="/s").control]
    assert len({control(), *others}) == 7


def test_a_percent_sign_in_the_sockets_directory_reaches_ssh_escaped() -> None:
    target = rolecheck.target("node1", TESTBED_NODE, sockets="/home/a%hb")
    assert target.control.startswith("/home/a%hb/")
    assert f"ControlPath={target.control.replace('/a%hb/', '/a%%hb/')}" in target.argv


def test_host_key_checking_stays_on_unless_the_hosts_own_variables_relax_it() -> None:
    target = rolecheck.target("web1", {"nxc_role": "server"}, sockets="")
    assert target.argv == ("ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ControlMaster=no", "-o",
                           "ControlPath=none", "--", "web1", "cat /etc/nxc/role")
    assert "StrictHostKeyChecking=no" not in " ".join(target.argv)


def test_a_hostile_address_stays_one_word_after_the_double_dash() -> None:
    target = rolecheck.target("n", {"nxc_role": "node", "ansible_host": "-oProxyCommand=touch /tmp/x"})
    assert target.argv[-3:] == ("--", "-oProxyCommand=touch /tmp/x", "cat /etc/nxc/role")


def test_containers_and_local_hosts_are_asked_without_ssh() -> None:
    docker = rolecheck.target("node1", {"nxc_role": "node", "ansible_connection": "community.docker.docker",
                                        "ansible_host": "comp-node1-1"})
    assert (docker.argv, docker.ssh) == (("docker", "exec", "--", "comp-node1-1", "cat", "/etc/nxc/role"), False)
    local = rolecheck.target("me", {"nxc_role": "node", "ansible_connection": "local"})
    assert local.argv == ("cat", "/etc/nxc/role")


@pytest.mark.parametrize(("variables", "said"), [
    ({}, "host h: no nxc_role (not a deployed host of the oar_nxc plugin or nxc_deploy)"),
    ({"nxc_role": "node", "ansible_connection": "winrm"},
     "host h: ansible_connection winrm cannot be asked from the controller (ssh, docker or local)"),
    ({"nxc_role": "node", "ansible_port": "22; rm -rf /"},
     "host h: ansible_port '22; rm -rf /' is not a TCP port (1-65535)"),
    ({"nxc_role": "node", "ansible_port": 70000}, "host h: ansible_port '70000' is not a TCP port (1-65535)"),
    ({"nxc_role": "node", "ansible_host": "a\nb"}, "host h: ansible_host holds a newline or a NUL character"),
    ({"nxc_role": ["node"]}, "host h: nxc_role must be a string, not list"),
    ({"nxc_role": "node", "ansible_ssh_common_args": "-o 'x"},
     "host h: ansible_ssh_common_args: No closing quotation"),
])
def test_a_host_that_cannot_be_asked_is_named_with_the_key(variables: dict, said: str) -> None:
    with pytest.raises(ConfigError) as error:
        rolecheck.target("h", variables)
    assert str(error.value) == said


def cat(host: str, path: Path, expected: str = "node") -> rolecheck.Target:
    return rolecheck.Target(host, f"addr-{host}", expected, ("cat", str(path)), ssh=False)


def test_every_host_is_asked_and_answers_in_the_targets_order(tmp_path: Path) -> None:
    paths = []
    for i in range(40):
        paths.append(tmp_path / f"role{i}")
        paths[-1].write_text("node\n")
    answers = rolecheck.ask([cat(f"node{i}", p) for i, p in enumerate(paths)], 10, parallel=8)
    assert [(a.host, a.ok, a.role, a.attempts, a.error) for a in answers] == [
        (f"node{i}", True, "node", 1, "") for i in range(40)]
    assert rolecheck.summary(answers, 10)[0].startswith("the 40 deployed host(s) report their roles (the last after ")


def test_a_host_that_boots_late_is_asked_again_until_it_reports(tmp_path: Path) -> None:
    role = tmp_path / "role"
    role.write_text("rebooted\n")
    timer = threading.Timer(0.6, lambda: role.write_text("node\n"))
    timer.start()
    try:
        (answer,) = rolecheck.ask([cat("node1", role)], 10, sleep=0.2)
    finally:
        timer.cancel()
    assert (answer.ok, answer.role, answer.error) == (True, "node", "")
    assert answer.attempts >= 2


def test_hosts_that_do_not_report_are_named_within_the_shared_deadline(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("server\n")
    refused = rolecheck.Target("node2", "127.0.0.1", "node", (
        "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=2", "-o", "StrictHostKeyChecking=yes",
        "-o", "UserKnownHostsFile=/dev/null", "-p", "1", "--", "127.0.0.1", "cat /etc/nxc/role"))
    started = time.monotonic()
    answers = rolecheck.ask([cat("node1", wrong), refused, cat("node3", tmp_path / "none")], 1.5, sleep=0.3)
    assert time.monotonic() - started < 10
    by = {a.host: a for a in answers}
    assert (by["node1"].answered, by["node1"].error) == (
        True, "/etc/nxc/role says server, the deployment file says node")
    assert by["node2"].answered is False
    assert "Connection refused" in by["node2"].error
    assert (by["node3"].answered, by["node3"].error) == (
        True, f"cat /etc/nxc/role: rc 1: cat: {tmp_path / 'none'}: No such file or directory")
    assert all(a.attempts >= 2 for a in answers)
    said, unanswered = rolecheck.summary(answers, 1.5)
    assert said.startswith("3 of the 3 deployed hosts do not report their role after 1.5 s: node1 (addr-node1): "
                           "/etc/nxc/role says server, the deployment file says node; node2 (127.0.0.1): ")
    assert unanswered is True


def test_timeout_zero_asks_each_host_once(tmp_path: Path) -> None:
    answers = rolecheck.ask([cat("node1", tmp_path / "none"), cat("node2", tmp_path / "none")], 0, sleep=0.2)
    assert [a.attempts for a in answers] == [1, 1]
    assert [a.probe() for a in answers] == [
        {"host": f"node{i}", "address": f"addr-node{i}", "ok": False, "role": None, "expected": "node",
         "error": f"cat /etc/nxc/role: rc 1: cat: {tmp_path / 'none'}: No such file or directory"} for i in (1, 2)]


def test_the_sockets_directory_is_made_private() -> None:
    with tempfile.TemporaryDirectory(dir="/tmp", prefix="cp") as short:  # pytest's tmp_path is too deep for it
        made = rolecheck.control_dir(f"{short}/cp")
        assert (made, Path(made).stat().st_mode & 0o777) == (f"{short}/cp", 0o700)


def test_a_directory_too_deep_for_a_socket_means_no_sharing(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60)
    assert rolecheck.control_dir(str(deep)) == ""
    assert not deep.exists()


def test_a_probe_gives_each_host_a_real_attempt_whatever_the_deadline() -> None:
    limits: list[float] = []

    def run(argv: object, limit: float) -> tuple[int | None, str, str]:
        limits.append(limit)
        return 0, "node\n", ""
    rolecheck.ask([rolecheck.Target("n", "a", "node", ("x",))], 0, run=run)
    assert limits == [15.0]  # not 1 s: 128 handshakes at once take longer than that on 2 cores


def test_a_hanging_host_is_bounded_by_the_attempt_limit() -> None:
    hung = rolecheck.Target("node1", "a", "node", ("sleep", "30"), ssh=False)
    started = time.monotonic()
    (answer,) = rolecheck.ask([hung], 0, attempt_limit=1.0)
    assert time.monotonic() - started < 5
    assert (answer.answered, answer.error) == (False, "no answer within 1 s")


def test_the_summary_counts_what_it_does_not_name() -> None:
    answers = [rolecheck.Answer(f"n{i}", f"10.0.0.{i}", "node", error="refused") for i in range(8)]
    said, unanswered = rolecheck.summary(answers, 5)
    assert said == ("8 of the 8 deployed hosts do not report their role after 5 s: n0 (10.0.0.0): refused; n1 "
                    "(10.0.0.1): refused; n2 (10.0.0.2): refused; n3 (10.0.0.3): refused; n4 (10.0.0.4): refused; "
                    "and 3 more")
    assert unanswered is True
