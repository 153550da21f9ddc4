"""oar.nxc.oar_job's guard runs OAR's commands from the controller after ansible-playbook ends: the argv it
gives the guard is the frontend's connection, as an argument list (a host name never reaches a shell)."""

from __future__ import annotations

from ansible.playbook.play_context import PlayContext
from tests.unit.plugins.action.conftest import make_action, run_action

LINE = "timeout 60 oardel 4242"


def test_a_local_frontend_runs_the_line_in_its_own_shell() -> None:
    action = make_action("oar_job", {"state": "absent", "job_id": 4242})
    assert action._argv(LINE) == ["/bin/sh", "-c", LINE]


def test_an_ssh_frontend_runs_it_over_ssh_with_the_connections_address_port_user_and_key() -> None:
    pc = PlayContext()
    pc.remote_addr, pc.port, pc.remote_user, pc.private_key_file = "fgrenoble", 2222, "alice", "/home/a/.ssh/k"
    action = make_action("oar_job", {"state": "absent", "job_id": 4242}, connection="ssh", play_context=pc)
    assert action._argv(LINE) == ["ssh", "-o", "BatchMode=yes", "-p", "2222", "-l", "alice", "-i", "/home/a/.ssh/k",
                                  "--", "fgrenoble", LINE]


def test_an_address_like_an_option_stays_the_destination() -> None:
    pc = PlayContext()
    pc.remote_addr = "-oProxyCommand=touch /tmp/x"
    action = make_action("oar_job", {"state": "absent", "job_id": 4242}, connection="ssh", play_context=pc)
    argv = action._argv(LINE)
    assert argv[argv.index("--") + 1:] == ["-oProxyCommand=touch /tmp/x", LINE]


def test_state_running_without_a_job_is_bad_input_before_any_oar_command() -> None:
    result = run_action("oar_job", {"state": "running"})
    assert (result["failed"], result["msg"], result["oar_nxc_exit"]) == (
        True, "state=running needs job_id or job_ids: the OAR jobs that should hold the machines", "bad_input")
    assert "cmd" not in result
