"""On the local OAR testbed (real OAR 2.5, PostgreSQL, sshd in network namespaces). Root only."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from oar_nxc import sshmux
from oar_nxc.inventory.spec import RELAXED_SSH_ARGS
from oar_nxc.nxc import rolecheck
from tests.conftest import BIN, clean_env, inventory_list, run
from tests.integration.conftest import run_testbed, ssh
from tests.testbed import oar_testbed as tb

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root (network namespaces, sshd, PostgreSQL)"),
]
NODES = ["oarnode1", "oarnode2", "oarnode3", "oarnode4"]


def test_up_again_changes_nothing(cluster: None) -> None:
    hosts_before = Path("/etc/hosts").read_bytes()
    known_before = (tb.STATE / "known_hosts").read_bytes()
    result = run_testbed("up")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith("up: 4 nodes, 8 resources Alive")
    assert Path("/etc/hosts").read_bytes() == hosts_before
    assert (tb.STATE / "known_hosts").read_bytes() == known_before
    assert sorted(line.split()[0] for line in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                                             text=True, check=True).stdout.splitlines()) == NODES


def test_traffic_cannot_leave_the_machine(cluster: None) -> None:
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text().strip() == "0"
    for node in NODES:
        routes = subprocess.run(["ip", "-n", node, "route"], capture_output=True, text=True, check=True).stdout
        assert "default" not in routes
        assert routes.split()[0] == "10.213.0.0/24"


def test_each_node_has_its_hostname_and_private_nxc_dir(cluster: None) -> None:
    assert ssh("oarnode2", "hostname").stdout == "oarnode2\n"
    assert ssh("oarnode1", "echo node1-only > /etc/nxc/probe").returncode == 0
    assert ssh("oarnode1", "cat /etc/nxc/probe").stdout == "node1-only\n"
    assert ssh("oarnode2", "cat /etc/nxc/probe").returncode != 0
    assert not Path("/etc/nxc/probe").exists()
    assert Path("/etc/netns/oarnode1/nxc/probe").read_text() == "node1-only\n"
    Path("/etc/netns/oarnode1/nxc/probe").unlink()


def test_reserve_three_of_four_nodes_then_inventory_and_ping(cluster: None, tmp_path: Path) -> None:
    reservation = tb.reserve(3, walltime="0:10:00", out=tmp_path)
    try:
        assert reservation.hosts == NODES[:3]
        data = inventory_list(reservation.nodefile)
        assert data["oar_nodes"]["hosts"] == NODES[:3]
        assert data[f"oar_job_{reservation.job_id}"]["hosts"] == NODES[:3]
        assert {h: v["oar_cores"] for h, v in data["_meta"]["hostvars"].items()} == dict.fromkeys(NODES[:3], 2)
        # OAR.<id>.stdout lists each host once: its cores come from the live job, else are unknown
        stdout_data = inventory_list(reservation.stdout, env=clean_env(OAR_NXC_LIVE_JOB="auto"))
        assert {h: v["oar_cores"] for h, v in stdout_data["_meta"]["hostvars"].items()} == dict.fromkeys(NODES[:3], 2)
        offline = inventory_list(reservation.stdout)  # the tests' default: never ask OAR
        assert {h: v["oar_cores"] for h, v in offline["_meta"]["hostvars"].items()} == dict.fromkeys(NODES[:3], None)

        result = run([str(BIN / "ansible"), "all", "-i", reservation.nodefile, "-m", "ansible.builtin.ping",
                      "-o"], env=clean_env(**tb.ssh_env()))
        assert result.returncode == 0, result.stdout + result.stderr
        assert sorted(line.split(" | ")[0] for line in result.stdout.splitlines()) == NODES[:3]
        assert all(' | SUCCESS => {"changed": false,"ping": "pong"}' in line for line in result.stdout.splitlines())
    finally:
        assert tb.release(reservation.job_id) in ("Error", "Terminated")
    assert tb.state(reservation.job_id) == "Error"  # oardel of a running job


def test_the_deployed_hosts_ssh_settings_connect_with_the_classic_key_exchange(cluster: None) -> None:
    """The deployed hosts' relaxed ssh settings (oar_nxc.inventory.spec.RELAXED_SSH_ARGS) reach a real sshd and
    agree on curve25519, not OpenSSH 9's post-quantum default (0.15 s of CPU a connection on each side here)."""
    argv = ["ssh", "-o", "LogLevel=DEBUG1", *shlex.split(RELAXED_SSH_ARGS), "-o", "BatchMode=yes", "-o",
            "ControlPath=none", "-i", str(tb.STATE / "id_ed25519"), "root@10.213.0.12", "hostname"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (0, "oarnode2\n"), done.stderr
    assert "kex: algorithm: curve25519-sha256\n" in done.stderr.replace("\r", "")


def test_the_role_check_asks_over_the_open_ssh_connection_without_an_ssh_process(cluster: None) -> None:
    """oar_nxc.sshmux against a real OpenSSH master: the first question opens it with ssh, later ones go through
    its socket from this process, with the command's output and status; a hang is bounded; a killed master's
    stale socket sends the question back to ssh, which replaces it."""
    sockets = tempfile.mkdtemp(dir="/tmp", prefix="cp")  # pytest's tmp_path is too deep for a socket
    node = {"nxc_role": "node", "ansible_host": "10.213.0.12", "ansible_user": "root",
            "ansible_ssh_common_args": RELAXED_SSH_ARGS, "ansible_ssh_private_key_file": str(tb.STATE / "id_ed25519")}
    target = rolecheck.target("node2", node, sockets=sockets)
    role = Path("/etc/netns/oarnode2/nxc/role")
    was = role.read_bytes() if role.exists() else None
    role.write_text("node\n")
    with_ssh: list[tuple[str, ...]] = []

    def run(argv: Sequence[str], limit: float) -> tuple[int | None, str, str]:
        with_ssh.append(tuple(argv))
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=limit, check=False)
        return done.returncode, done.stdout, done.stderr

    def check() -> tuple[int, str]:
        done = subprocess.run(["ssh", "-o", f"ControlPath={target.control}", "-O", "check", "10.213.0.12"],
                              capture_output=True, text=True, timeout=10, check=False)
        return done.returncode, done.stderr
    try:
        with pytest.raises(sshmux.Unavailable, match="No such file or directory"):
            sshmux.run(target.control, "hostname", 5)
        (first,) = rolecheck.ask([target], 30, run=run)
        assert (first.ok, first.role, with_ssh) == (True, "node", [target.argv])
        assert sshmux.run(target.control, "hostname", 10) == (0, "oarnode2\n", "")
        assert sshmux.run(target.control, "echo out; echo err >&2; exit 3", 10) == (3, "out\n", "err\n")
        (again,) = rolecheck.ask([target], 30, run=run)
        assert (again.ok, again.role, len(with_ssh)) == (True, "node", 1)  # no ssh process this time
        started = time.monotonic()
        assert sshmux.run(target.control, "sleep 30", 1) == (None, "", "no answer within 1 s")
        assert time.monotonic() - started < 3
        rc, said = check()
        assert rc == 0 and said.startswith("Master running (pid="), said
        os.kill(int(said.split("pid=")[1].split(")")[0]), signal.SIGKILL)  # the master's own pid, as it said
        deadline = time.monotonic() + 10
        while True:  # until the killed master's socket is stale: still there, refusing
            with pytest.raises(sshmux.Unavailable) as error:
                sshmux.run(target.control, "hostname", 5)
            if str(error.value).endswith("Connection refused") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert str(error.value) == f"{target.control}: Connection refused"
        assert Path(target.control).is_socket()
        (replaced,) = rolecheck.ask([target], 30, run=run)
        assert (replaced.ok, len(with_ssh)) == (True, 2)
        assert sshmux.run(target.control, "hostname", 10) == (0, "oarnode2\n", "")
    finally:
        subprocess.run(["ssh", "-o", f"ControlPath={target.control}", "-O", "exit", "10.213.0.12"],
                       capture_output=True, timeout=10, check=False)
        shutil.rmtree(sockets, ignore_errors=True)
        if was is None:
            role.unlink(missing_ok=True)
        else:
            role.write_bytes(was)


def test_batch_job_reaches_terminated_with_its_output(cluster: None) -> None:
    job_id = tb.submit("nodes=2,walltime=0:05:00", "hostname; cat $OAR_NODEFILE")
    assert tb.wait_state(job_id, tb.FINAL_STATES, timeout=90) == "Terminated"
    info = tb.details(job_id)
    assert info["exit_code"] == 0
    hosts = info["assigned_network_address"]
    assert len(hosts) == 2
    expected = f"{hosts[0]}\n" + "".join(f"{h}\n{h}\n" for h in sorted(hosts))
    assert (tb.HOME / f"OAR.{job_id}.stdout").read_text() == expected


def test_failing_job_is_terminated_with_its_exit_status(cluster: None) -> None:
    job_id = tb.submit("nodes=1,walltime=0:05:00", "exit 3")
    assert tb.wait_state(job_id, tb.FINAL_STATES, timeout=90) == "Terminated"
    assert tb.details(job_id)["exit_code"] >> 8 == 3


def test_down_removes_everything_then_up_again(cluster: None) -> None:
    before = (tb.STATE / "hosts.orig").read_bytes()
    result = run_testbed("down")
    assert result.returncode == 0, result.stderr
    assert subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout == ""
    assert Path("/etc/hosts").read_bytes() == before
    assert not tb.STATE.exists()
    assert subprocess.run(["ip", "link", "show", "oarbr0"], capture_output=True, check=False).returncode != 0
    assert subprocess.run(["id", tb.USER], capture_output=True, check=False).returncode != 0
    postgresql = ["pg_ctlcluster", "15", "main", "status"]
    was = subprocess.run(postgresql, capture_output=True, check=False).returncode
    again = run_testbed("down")  # already down: nothing to do, and PostgreSQL is left as it is
    assert (again.returncode, again.stdout.strip()) == (0, "testbed: down"), again.stderr
    assert subprocess.run(postgresql, capture_output=True, check=False).returncode == was
    result = run_testbed("up")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith("up: 4 nodes, 8 resources Alive")
