"""The small pieces the smoke runner's scheduler is made of, each written once.

The runner uses two mechanisms, for two different reasons:

- **generators** interleave the checks in the runner's one thread: each ``yield`` is a point where
  another check may go on (``None``), or where the step waits for a call beside the polls (``WAIT``).
  One loop then owns the cadence of the ``oarstat`` polls, which every pending job shares.
- **a thread pool** (``ASIDE_THREADS``) makes a call that blocks (``oarsub -r`` waits for OAR's
  scheduler, an HTTP request to the REST API) on a copy of the submit host's transport, so that it
  holds up no poll. Without a transport that can ``spawn`` a copy, the calls run in turn.

:func:`round_robin` runs several generators side by side; :class:`Grace` is the one rule for an OAR
command that keeps failing; :func:`command_failed` is the one message that says so.
"""

from __future__ import annotations

from collections.abc import Iterator

from oar_nxc.oar.remote import Output

# calls on the submit host at once beside the job polls: the job checks' three oarsub, the reservation's, the API's
ASIDE_THREADS = 5
WAIT = "wait"  # a step that waits for its call beside the polls (Runner._aside)


def round_robin(steps: list[Iterator[str | None]]) -> Iterator[str | None]:
    """One step of each in turn, so that none waits for another; WAIT only when all of them wait."""
    active = list(steps)
    while active:
        waiting = 0
        for step in list(active):
            got = next(step, StopIteration)
            if got is StopIteration:
                active.remove(step)
            elif got == WAIT:
                waiting += 1
            else:
                yield None
        if active and waiting == len(active):
            yield WAIT


def excerpt(text: str, limit: int = 300) -> str:
    """One line of at most LIMIT characters: what an error message may quote of a command's output."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def command_failed(what: str, out: Output) -> str:
    """The one message for an OAR command that failed: WHAT, its exit status, and an excerpt of its output."""
    return f"{what} failed (rc {out.rc}): {excerpt(out.stderr or out.stdout) or 'no output'}"


class Grace:
    """A failing command (exit status not 0) is retried for ``seconds``, not waited on as if OAR were slow:
    :meth:`expired` says when the failures have lasted that long; a success starts the count again."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.since: float | None = None

    def ok(self) -> None:
        self.since = None

    def expired(self, now: float) -> bool:
        """Record a failure at NOW; True once failures have lasted the grace."""
        self.since = now if self.since is None else self.since
        return now - self.since >= self.seconds
