"""oar.nxc.oar_job's guard runs OAR's commands from the controller after ansible-playbook ends: the action records
the frontend's connection as data, and the guard builds its argument list from it (a host name never reaches a
shell, nor an option's place)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ansible.playbook.play_context import PlayContext
from tests.unit.plugins.action.conftest import make_action, run_action

from oar_nxc.errors import OarNxcError
from oar_nxc.oar import guard as jobguard
from oar_nxc.oar import record as jobrecord


def test_a_local_frontend_is_recorded_as_none() -> None:
    action = make_action("oar_job", {"state": "absent", "job_id": 4242})
    assert action._frontend() is None


def test_an_ssh_frontend_is_recorded_as_the_connections_address_port_user_and_key() -> None:
    pc = PlayContext()
    pc.remote_addr, pc.port, pc.remote_user, pc.private_key_file = "fgrenoble", 2222, "alice", "/home/a/.ssh/k"
    action = make_action("oar_job", {"state": "absent", "job_id": 4242}, connection="ssh", play_context=pc)
    frontend = action._frontend()
    assert frontend == {"host": "fgrenoble", "port": 2222, "user": "alice", "private_key_file": "/home/a/.ssh/k"}
    # what the guard runs is built from that data and the job id, never read from the record
    job = jobrecord.parse({"job_id": 4242, "guard": "armed", "frontend": frontend, "user": "oartest"}, "job.json")
    assert job.commands()[0] == [
        "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "IdentitiesOnly=yes", "-i", "/home/a/.ssh/k",
        "-p", "2222", "-l", "alice", "--", "fgrenoble", "timeout 60 su - oartest -c 'cd && oardel 4242'"]


def test_an_address_like_an_option_is_refused_before_the_guard_is_armed(tmp_path: Path) -> None:
    pc = PlayContext()
    pc.remote_addr = "-oProxyCommand=touch /tmp/x"
    action = make_action("oar_job", {"state": "absent", "job_id": 4242}, connection="ssh", play_context=pc)
    with pytest.raises(OarNxcError) as err:
        jobguard.spawn(tmp_path / "job.json", watch_pid=os.getpid(), job_id=4242, frontend=action._frontend(),
                       description={})
    assert str(err.value) == (f"{tmp_path / 'job.json'}: key 'frontend.host': '-oProxyCommand=touch /tmp/x' is not a "
                              "host name or an IP address")
    assert not (tmp_path / "job.json").exists()


@pytest.mark.parametrize("user", ["-s/tmp/payload.sh", "--session-command=/bin/sh", "a b", "root\n"])
def test_a_user_su_could_read_as_an_option_is_bad_input_before_any_oar_command(user: str) -> None:
    result = run_action("oar_job", {"state": "absent", "job_id": 4242, "user": user})
    assert (result["failed"], result["oar_nxc_exit"]) == (True, "bad_input")
    assert result["msg"].startswith(f"user: {user!r} is not a user name")
    assert "cmd" not in result


def test_a_job_type_that_is_not_one_is_bad_input_before_any_oar_command() -> None:
    result = run_action("oar_job", {"request": {"nodes": 2}, "job_types": ["deploy;touch /tmp/x"]})
    assert (result["failed"], result["oar_nxc_exit"], result["msg"]) == (
        True, "bad_input", "job_types[0]: 'deploy;touch /tmp/x' is not an OAR job type (deploy, night, exotic, "
                           "timesharing=*,*, inner=42...)")


def test_state_running_without_a_job_is_bad_input_before_any_oar_command() -> None:
    result = run_action("oar_job", {"state": "running"})
    assert (result["failed"], result["msg"], result["oar_nxc_exit"]) == (
        True, "state=running needs job_id or job_ids: the OAR jobs that should hold the machines", "bad_input")
    assert "cmd" not in result
