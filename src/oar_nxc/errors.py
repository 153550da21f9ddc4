"""One exception tree for the whole project.

Every message names the source (file, environment variable or option) and, where it
applies, the line number or the key that is wrong, so that the faces (plugin, roles,
CLI) can show it as is.
"""

from __future__ import annotations

# The machine-readable signal a task's result carries (its key EXIT_SIGNAL) for oar-nxc to turn into its exit
# code: a refusal for bad input (exit 2); an OAR job that cannot serve the run: refused, not run in time, or
# with too few machines (exit 6, retryable); deployed hosts that never answered, asked from the controller in
# one task (exit 4, as Ansible's own unreachable hosts). The actions send it, api._collect reads it.
EXIT_SIGNAL = "oar_nxc_exit"
BAD_INPUT_SIGNAL = "bad_input"
RESERVATION_SIGNAL = "reservation"
UNREACHABLE_SIGNAL = "unreachable"


class OarNxcError(Exception):
    """Base class of every error raised by oar_nxc."""


class SourceError(OarNxcError):
    """A file or value could not be read as the format it must have.

    ``source`` is a path or a name such as ``$OAR_JOB_ID``; ``line`` is 1-based;
    ``key`` is a dotted key path inside a structured file.
    """

    def __init__(self, source: str, message: str, *, line: int | None = None, key: str | None = None) -> None:
        self.source = source
        self.line = line
        self.key = key
        self.reason = message
        where = source
        if line is not None:
            where = f"{where}:{line}"
        if key is not None:
            where = f"{where}: key '{key}'"
        super().__init__(f"{where}: {message}")


class ConfigError(OarNxcError):
    """An option or a combination of options is invalid."""
