"""What a smoke run is given and keeps: the submit host's transport, the nodes, the options, and the jobs
the polls await. The options' defaults are written here only (the action's documentation, the role's
defaults and argument spec repeat them; a test compares the values)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from oar_nxc.oar.remote import Output
from oar_nxc.smoke import checks as smoke


class Host(Protocol):
    """The submit host: runs a command line (a string for its shell), asks a URL.

    A host that can also run calls beside the job polls has ``spawn()``: another transport to the
    same host, used from a worker thread while this one keeps polling (see ``Runner._aside``)."""

    def run(self, command: str) -> Output: ...

    def http(self, method: str, url: str, *, headers: dict[str, str] | None = None, body: Any = None,
             user: str | None = None, password: str | None = None) -> tuple[int, Any, str]:
        """(HTTP status, -1 when nothing answered; parsed JSON body or None; error text). ``body`` is
        sent as JSON; ``user``/``password`` as basic authentication."""


# the shortest poll interval the action takes: each poll is one oarstat on the submit host, and OAR shares its cores
MIN_POLL_INTERVAL = 0.2


@dataclass(frozen=True)
class Node:
    name: str  # inventory host name
    address: str  # OAR network_address
    machine: str = ""  # the reserved machine, when known
    ip: str = ""  # ansible_host
    sshd: str | None = None  # the probe of its OAR sshd: '' answered, else why not; None: not probed


@dataclass(frozen=True)
class Options:
    user: str
    submit: str
    nodes: list[Node]
    checks: list[str] = field(default_factory=smoke.names)
    job_types: list[str] = field(default_factory=list)
    walltime: str = "0:05:00"
    job_timeout: float = 120
    poll_interval: float = 0.5  # seconds; a caller bounds it below by MIN_POLL_INTERVAL
    concurrent: bool = True
    grace: float = 10
    sshd_port: int = 6667
    sshd_timeout: int = 10
    api_url: str = ""  # '' = OAR 3's http://<server>/api/, OAR 2.5's http://<server>:6668/oarapi/
    server: str = ""
    # OAR 2.5 takes jobs at its authenticated URL ('' = api_url's /oarapi/ -> /oarapi-priv/), as
    # the smoke user with this password (basic authentication)
    api_private_url: str = ""
    api_password: str = field(default="", repr=False)

    @property
    def addresses(self) -> list[str]:
        return [n.address for n in self.nodes]


# --- the run ---------------------------------------------------------------------------------

@dataclass
class PendingJob:
    """A submitted job the polls await."""

    check: str
    job: int
    deadline: float  # oardel: to reach Running, then (after oardel) to end
    deleted: bool = False
    state: str | None = None
    done: Callable[[str], None] | None = None  # judges the job from its final state (the API's job)


class RunnerParts:
    """What the runner (:class:`oar_nxc.smoke.runner.Runner`) gives the checks written as its mixins
    (``gates``, ``api``): declared here once, defined by the runner."""

    options: Options
    clock: Callable[[], float]
    sleep: Callable[[float], None]

    def _record(self, name: str, status: str, message: str, **extra: Any) -> None:
        raise NotImplementedError

    def _run(self, argv: list[str], user: str | None = None) -> Output:
        raise NotImplementedError
