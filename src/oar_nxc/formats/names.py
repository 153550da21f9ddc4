"""Host-name validation and Grid'5000 name analysis."""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

# RFC 1123 labels; OAR network_address values and nxc host names follow it. Every check uses
# fullmatch (a trailing newline never passes) and ASCII classes only.
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?", re.ASCII)
_IPV4_SHAPE_RE = re.compile(r"[0-9.]+", re.ASCII)
# names Ansible gives a meaning of its own: a host so named breaks or hijacks the inventory
# (all and ungrouped are its implicit groups; localhost is the controller the playbooks run on)
RESERVED = ("all", "ungrouped", "localhost")
QUOTE_WHOLE = 24  # a longer bad value is quoted only up to its first forbidden character

# <cluster>-<n>[-kavlan-<k>][-<iface>].<site>.grid5000.fr ; cluster names may hold digits.
_G5K_RE = re.compile(
    r"(?P<cluster>[a-z][a-z0-9]*?)-(?P<index>[0-9]+)"
    r"(?:-kavlan-(?P<kavlan>[0-9]+))?(?:-(?P<iface>[a-z][a-z0-9]*))?"
    r"\.(?P<site>[a-z][a-z0-9]*)\.grid5000\.fr\.?",
    re.ASCII,
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
    if not _IPV4_SHAPE_RE.fullmatch(value):
        return False
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _allowed(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "-._")


def quoted(value: str) -> str:
    """VALUE for an error message: whole when short, else cut after its first forbidden character,
    so that a line of a secret file given by mistake is not copied into logs."""
    from oar_nxc.formats.reading import excerpt

    if len(value) <= QUOTE_WHOLE:
        return excerpt(value, QUOTE_WHOLE)
    first_bad = next((i for i, c in enumerate(value) if not _allowed(c)), len(value))
    return excerpt(value, min(first_bad + 1, QUOTE_WHOLE))


def host_name_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid host name or IPv4 address, or None if it is."""
    if not value:
        return "empty host name"
    if _IPV4_SHAPE_RE.fullmatch(value):
        return None if is_ipv4(value) else f"{quoted(value)} is not a valid IPv4 address"
    if len(value) > 253:
        return f"host name of {len(value)} characters is longer than 253"
    if not _HOSTNAME_RE.fullmatch(value):
        bad = sorted({c for c in value if not _allowed(c)})
        if bad:
            shown = ", ".join(repr(c) for c in bad[:8]) + (", ..." if len(bad) > 8 else "")
            return f"{quoted(value)} is not a valid host name or IPv4 address (forbidden character {shown})"
        return f"{quoted(value)} is not a valid host name or IPv4 address"
    if value.lower().rstrip(".") in RESERVED:
        return (f"'{value}' is a name Ansible reserves ({', '.join(RESERVED)}): a host so named would break or take "
                "over the inventory")
    shorthand = _inet_aton(value)
    if shorthand is not None:
        return (f"{quoted(value)} is an IPv4 address in a shorthand form (the C library reads it as {shorthand}): "
                "give it as a dotted quad")
    return None


def _inet_aton(value: str) -> str | None:
    """The dotted quad the C library reads VALUE as (``0x7f.1``, ``127.1``, ``017.0.0.1``), else None."""
    try:
        return socket.inet_ntoa(socket.inet_aton(value))
    except (OSError, ValueError):
        return None


def machine_name_problem(value: str) -> str | None:
    """Why VALUE cannot be a reserved machine (a nodefile's line, a machine OAR names), or None: a host name
    problem, or this machine's own address (loopback, unspecified), which the controller's plays
    (``hosts: localhost``) would then also run on."""
    problem = host_name_problem(value)
    if problem is not None:
        return problem
    if is_ipv4(value):
        address = ipaddress.IPv4Address(value)
        if address.is_loopback or address.is_unspecified:
            return (f"'{value}' is this machine's own address ({'loopback' if address.is_loopback else 'unspecified'}):"
                    " a reserved machine cannot be the controller, whose plays (hosts: localhost) would run on it")
    return None


def parse_g5k_name(name: str) -> G5kName | None:
    """Split a Grid'5000 host name, or return None for any other name."""
    match = _G5K_RE.fullmatch(name.lower())
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
