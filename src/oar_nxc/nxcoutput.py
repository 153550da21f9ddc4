"""What nxc prints: find the line that says why a command failed.

nxc ends a failure with ``Error: <what>, exception <python exception>`` on stderr, sometimes
followed by noise (a Python traceback from a destructor, spinner frames written with ``\\r``).
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def lines(text: str) -> list[str]:
    """Printable lines: ANSI codes removed, spinner frames (``\\r``) split, blanks dropped."""
    out = []
    for raw in _ANSI.sub("", text).replace("\r", "\n").split("\n"):
        line = raw.strip()
        if line:
            out.append(line)
    return out


def error_line(text: str) -> str:
    """The last ``Error:`` line, else the last line that mentions an error, else the last line."""
    found = lines(text)
    for line in reversed(found):
        if line.startswith("Error:"):
            return line
    for line in reversed(found):
        if "error" in line.lower():
            return line
    return found[-1] if found else "no output"
