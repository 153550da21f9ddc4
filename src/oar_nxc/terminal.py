"""Values shown on a terminal: one line each, no control sequence.

A value from input (a variant name, a path, a host name, a message that quotes them) may hold a
newline, which would forge lines of the CLI's plan or summary, or an escape sequence, which the
terminal would obey. :func:`shown` writes such characters as Python escapes (``\\n``, ``\\x1b``),
and leaves the rest of the text as it is.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls, DEL, C1 controls, the bidirectional overrides and isolates, line and paragraph separators
_CONTROL = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or (
        f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def shown(value: Any) -> str:
    """VALUE as text for one line of a terminal (its controls escaped; lone surrogates as \\udcxx)."""
    text = str(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8") if _has_surrogate(text) else text
    return _CONTROL.sub(_escape, text)


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)
