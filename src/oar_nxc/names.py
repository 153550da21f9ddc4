"""Host-name validation and Grid'5000 name analysis."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

# RFC 1123 labels; OAR network_address values and nxc host names follow it.
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")
_IPV4_SHAPE_RE = re.compile(r"^[0-9.]+$")

# <cluster>-<n>[-kavlan-<k>][-<iface>].<site>.grid5000.fr ; cluster names may hold digits.
_G5K_RE = re.compile(
    r"^(?P<cluster>[a-z][a-z0-9]*?)-(?P<index>\d+)"
    r"(?:-kavlan-(?P<kavlan>\d+))?(?:-(?P<iface>[a-z][a-z0-9]*))?"
    r"\.(?P<site>[a-z][a-z0-9]*)\.grid5000\.fr\.?$"
)


@dataclass(frozen=True, slots=True)
class G5kName:
    """The parts of a Grid'5000 host name."""

    cluster: str
    index: int
    site: str
    kavlan: int | None = None
    iface: str | None = None


def is_ipv4(value: str) -> bool:
    """Return True when ``value`` is a dotted-quad IPv4 address."""
    if not _IPV4_SHAPE_RE.match(value):
        return False
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def host_name_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid host name or IPv4 address, or None if it is."""
    if not value:
        return "empty host name"
    if _IPV4_SHAPE_RE.match(value):
        return None if is_ipv4(value) else f"'{value}' is not a valid IPv4 address"
    if len(value) > 253:
        return f"host name of {len(value)} characters is longer than 253"
    if not _HOSTNAME_RE.match(value):
        bad = sorted({c for c in value if not (c.isascii() and (c.isalnum() or c in "-._"))})
        if bad:
            shown = ", ".join(repr(c) for c in bad)
            return f"'{value}' is not a valid host name or IPv4 address (forbidden character {shown})"
        return f"'{value}' is not a valid host name or IPv4 address"
    return None


def parse_g5k_name(name: str) -> G5kName | None:
    """Split a Grid'5000 host name, or return None for any other name."""
    match = _G5K_RE.match(name.lower())
    if match is None:
        return None
    kavlan = match.group("kavlan")
    return G5kName(
        cluster=match.group("cluster"),
        index=int(match.group("index")),
        site=match.group("site"),
        kavlan=int(kavlan) if kavlan is not None else None,
        iface=match.group("iface"),
    )


def resolve_ipv4(name: str) -> str | None:
    """Resolve a machine name the way nxc does (``gethostbyname_ex(name)[2][0]``).

    An IPv4 address is returned as is; an unresolvable name gives None.
    """
    if is_ipv4(name):
        return name
    import socket

    try:
        addresses = socket.gethostbyname_ex(name)[2]
    except OSError:
        return None
    return addresses[0] if addresses else None
