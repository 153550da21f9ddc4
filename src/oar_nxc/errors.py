"""One exception tree for the whole project.

Every message names the source (file, environment variable or option) and, where it
applies, the line number or the key that is wrong, so that the faces (plugin, roles,
CLI) can show it as is.
"""

from __future__ import annotations


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
