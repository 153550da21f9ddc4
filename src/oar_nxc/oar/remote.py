"""Commands on a host the caller reaches (the OAR frontend, a submit host): what one returns, and the
command line that runs an argv there, every word quoted, as a given user from its home.

The transports are the callers': the oar.nxc actions run the line over the host's Ansible
connection, the unit tests replay recorded output. Nothing here runs a command.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Protocol

from oar_nxc.oar import identity

COMMAND_TIMEOUT = 60  # seconds any one OAR command may take on the host


@dataclass(frozen=True)
class Output:
    rc: int
    stdout: str
    stderr: str


class Shell(Protocol):
    """Runs one command line (a string for the host's shell) and returns what it printed."""

    def run(self, command: str) -> Output: ...


def command_line(argv: list[str], user: str | None = None, timeout: int = COMMAND_TIMEOUT) -> str:
    """The shell command line for the host: every word quoted, as USER from its home. USER is checked
    (:func:`oar_nxc.oar.identity.user`): a value ``su`` could read as an option is a ConfigError, never a word."""
    words = [str(a) for a in argv]
    if user:
        words = ["su", "-", identity.user(user, "user"), "-c", "cd && " + shlex.join(words)]
    return shlex.join(["timeout", str(timeout), *words])
