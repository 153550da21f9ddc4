"""The frontend over ssh: the argv (an argument list, the destination after ``--``, the remote command
quoted word by word), each setting checked with the key it came from, and a real ssh that cannot connect."""

from __future__ import annotations

import os
import shlex
import socket
from pathlib import Path

import pytest

from oar_nxc.errors import SourceError
from oar_nxc.inventory import sources
from oar_nxc.oar import jobs
from oar_nxc.oar.frontend import Frontend, FrontendError

COMMAND = ["oarstat", "-f", "-J", "-j", "42"]


def test_the_argv_is_a_list_with_the_command_quoted_for_the_frontend(tmp_path: Path) -> None:
    key, known = tmp_path / "key", tmp_path / "known_hosts"
    key.write_text("k")
    known.write_text("k")
    frontend = Frontend.checked("fgrenoble.grenoble.grid5000.fr", user="alice", port=2222, private_key_file=str(key),
                                known_hosts_file=str(known), proxy_jump="alice@access.grid5000.fr")
    assert frontend.argv([*COMMAND[:-1], "42; touch /tmp/x"]) == [
        "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", f"UserKnownHostsFile={known}",
        "-o", "IdentitiesOnly=yes", "-i", str(key), "-p", "2222", "-l", "alice", "-J", "alice@access.grid5000.fr",
        "--", "fgrenoble.grenoble.grid5000.fr", "oarstat -f -J -j '42; touch /tmp/x'"]
    assert shlex.split(frontend.argv(COMMAND)[-1]) == COMMAND
    assert Frontend.checked("10.0.0.1").argv(COMMAND) == [
        "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "--", "10.0.0.1", "oarstat -f -J -j 42"]


@pytest.mark.parametrize(("kwargs", "key", "message"), [
    ({"host": "-oProxyCommand=touch /tmp/x"}, "frontend", "'-oProxyCommand=touch /tmp/x' is not a host name or an IP"),
    ({"host": "front end"}, "frontend", "'front end' is not a host name or an IP address"),
    ({"host": "f", "user": "-l root"}, "frontend_user", "'-l root' is not a user name"),
    ({"host": "f", "port": 0}, "frontend_port", "0 is not a TCP port (1-65535)"),
    ({"host": "f", "port": 70000}, "frontend_port", "70000 is not a TCP port (1-65535)"),
    ({"host": "f", "proxy_jump": "a@b,-oProxyCommand=x"}, "frontend_proxy_jump", "is not [user@]host[:port][,...]"),
    ({"host": "f", "private_key_file": "/nonexistent/key"}, "frontend_private_key_file",
     "/nonexistent/key: No such file or directory"),
])
def test_each_setting_is_checked_and_named(kwargs: dict[str, object], key: str, message: str) -> None:
    host = str(kwargs.pop("host"))
    with pytest.raises(FrontendError) as info:
        Frontend.checked(host, **kwargs)  # type: ignore[arg-type]
    assert info.value.key == key and message in str(info.value)


def test_a_special_file_is_refused_as_a_key(tmp_path: Path) -> None:
    fifo = tmp_path / "key"
    os.mkfifo(fifo)
    with pytest.raises(FrontendError, match="not a regular file"):
        Frontend.checked("f", known_hosts_file=str(fifo))


def test_the_options_name_the_config_key_or_the_variable() -> None:
    with pytest.raises(SourceError) as info:
        sources.options_from({"frontend": "f", "frontend_port": "ssh"}, "awx.oar_nxc.yml")
    assert str(info.value) == "awx.oar_nxc.yml: key 'frontend_port': 'ssh' is not a TCP port (1-65535)"
    with pytest.raises(SourceError) as info:
        sources.options_from({"frontend": "-oProxyCommand=x"}, "awx.oar_nxc.yml", {"frontend": "$OAR_NXC_FRONTEND"})
    assert str(info.value) == "$OAR_NXC_FRONTEND: '-oProxyCommand=x' is not a host name or an IP address"
    with pytest.raises(SourceError) as info:
        sources.options_from({"frontend_user": "alice"}, "awx.oar_nxc.yml")
    assert str(info.value) == ("awx.oar_nxc.yml: key 'frontend_user': is set, and frontend is not: name the "
                               "frontend host too")
    options = sources.options_from({"frontend": "fnancy", "frontend_user": "bob", "frontend_port": "22"}, "c")
    assert options.frontend == Frontend(host="fnancy", user="bob", port=22)
    assert sources.options_from({}, "c").frontend is None


def test_a_frontend_that_refuses_is_named_in_the_jobs_error() -> None:
    """A real ssh to a closed port of this machine: rc 255 and ssh's reason, within the connect timeout."""
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    frontend = Frontend.checked("127.0.0.1", port=port)
    rc, _out, err = frontend.run(["true"], timeout=5)
    assert rc == 255 and err.startswith("ssh to the frontend 127.0.0.1 failed: ssh: connect to host 127.0.0.1 port ")
    assert "Connection refused" in err
    with pytest.raises(jobs.Unavailable) as info:
        jobs.query(42, run=frontend.run, timeout=5)
    assert str(info.value).startswith("oarstat -f -J -j 42 failed (rc 255): ssh to the frontend 127.0.0.1 failed: ")
