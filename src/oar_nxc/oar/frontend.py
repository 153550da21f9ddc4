"""The OAR frontend over ssh: OAR's commands run there when the inventory is read elsewhere (an AWX or
Automation Platform inventory source in its execution environment, a laptop).

The command is an argument list; ssh gets its own argument list (destination after ``--``), and the
remote command line is every word quoted (:func:`shlex.join`): no value reaches a local shell, and
none is split on the frontend. Host keys are checked (``BatchMode=yes``: an unknown key is an error,
never a question); ``known_hosts_file`` names the file that holds the frontend's key.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from oar_nxc import bounded
from oar_nxc.oar import identity

# a host name, an IPv4 address or a bracket-less IPv6 address; never an ssh option
_HOST = identity.HOST_RE
_USER = identity.USER_RE
_JUMP = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}@)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?",
                   re.ASCII)
CONNECT_TIMEOUT = 10  # seconds ssh may take to connect
OUTPUT_LIMIT = 64 * 1024 * 1024  # bytes kept of each stream of an OAR command's answer (oar_nxc.oar.jobs')


class FrontendError(ValueError):
    """A frontend setting that cannot be used; ``key`` names it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _file(key: str, path: str) -> str:
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise FrontendError(key, f"{path}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise FrontendError(key, f"{path}: not a regular file")
    return path


@dataclass(frozen=True, slots=True)
class Frontend:
    host: str
    user: str | None = None
    port: int | None = None
    private_key_file: str | None = None
    known_hosts_file: str | None = None
    proxy_jump: str | None = None  # ssh -J: [user@]host[:port], comma-separated

    @classmethod
    def checked(cls, host: str, *, user: str | None = None, port: int | None = None,
                private_key_file: str | None = None, known_hosts_file: str | None = None,
                proxy_jump: str | None = None) -> Frontend:
        """The frontend, each value checked: FrontendError names the first bad one."""
        if not isinstance(host, str) or not _HOST.fullmatch(host):
            raise FrontendError("frontend", f"{host[:60]!r} is not a host name or an IP address")
        if user is not None and (not isinstance(user, str) or not _USER.fullmatch(user)):
            raise FrontendError("frontend_user", f"{user[:40]!r} is not a user name")
        if port is not None and (isinstance(port, bool) or not 0 < port < 65536):
            raise FrontendError("frontend_port", f"{port} is not a TCP port (1-65535)")
        if proxy_jump is not None and not all(_JUMP.fullmatch(hop) for hop in proxy_jump.split(",")):
            raise FrontendError("frontend_proxy_jump", f"{proxy_jump[:80]!r} is not [user@]host[:port][,...]")
        return cls(host=host, user=user, port=port,
                   private_key_file=_file("frontend_private_key_file", private_key_file) if private_key_file else None,
                   known_hosts_file=_file("frontend_known_hosts_file", known_hosts_file) if known_hosts_file else None,
                   proxy_jump=proxy_jump)

    def label(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    def argv(self, command: Sequence[str]) -> list[str]:
        """The local argv that runs COMMAND on the frontend."""
        ssh = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={CONNECT_TIMEOUT}"]
        if self.known_hosts_file:
            ssh += ["-o", f"UserKnownHostsFile={self.known_hosts_file}"]
        if self.private_key_file:
            ssh += ["-o", "IdentitiesOnly=yes", "-i", self.private_key_file]
        if self.port:
            ssh += ["-p", str(self.port)]
        if self.user:
            ssh += ["-l", self.user]
        if self.proxy_jump:
            ssh += ["-J", self.proxy_jump]
        return [*ssh, "--", self.host, shlex.join(str(word) for word in command)]

    def run(self, command: Sequence[str], timeout: float) -> tuple[int, str, str]:
        """COMMAND on the frontend: (rc, stdout, stderr); rc 255 with what ssh said when it could not connect."""
        try:  # bounded while it reads (OUTPUT_LIMIT a stream), not after
            proc = bounded.run(self.argv(command), timeout=timeout + CONNECT_TIMEOUT, limit=OUTPUT_LIMIT)
        except subprocess.TimeoutExpired:
            return 124, "", f"no answer from the frontend {self.label()} within {timeout + CONNECT_TIMEOUT:g} s"
        except bounded.OutputTooLarge:
            return 125, "", f"the frontend {self.label()} printed more than {OUTPUT_LIMIT // 2**20} MiB: stopped there"
        except OSError as exc:
            return 127, "", f"ssh: {exc.strerror}"
        out = proc.stdout.decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace")
        if proc.returncode == 255:
            said = " ".join(err.split())[:300] or "no output"
            return 255, out, f"ssh to the frontend {self.label()} failed: {said}"
        return proc.returncode, out, err
