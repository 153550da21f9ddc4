"""The OAR smoke checks, written here once: their names, order and kind.

``gate`` checks (the nodes answer, their resources are Alive) come first; when one fails, the
``job`` checks are recorded as skipped rather than left to wait for their timeouts on a broken
node. The oar_smoke role reads this table through the ``oar.nxc.smoke_checks`` lookup.
"""

from __future__ import annotations

CHECKS: dict[str, str] = {  # name -> kind, in the order they run
    "node_sshd": "gate",
    "resources_alive": "gate",
    "batch_job": "job",
    "failing_job": "job",
    "oardel": "job",
    "reservation": "job",
    "rest_api": "api",
}
KINDS = ("gate", "job", "api")


def names(*kinds: str) -> list[str]:
    """The checks of these kinds (all when none), in order."""
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kind of smoke check {', '.join(unknown)}: one of {', '.join(KINDS)}")
    return [name for name, kind in CHECKS.items() if not kinds or kind in kinds]
