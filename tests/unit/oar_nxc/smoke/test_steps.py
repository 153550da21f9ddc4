"""oar_nxc.smoke.steps: the grace, the failure message, the bounded excerpt, the round robin."""

from __future__ import annotations

from oar_nxc.oar.remote import Output
from oar_nxc.smoke import steps


def test_excerpt_is_bounded() -> None:
    assert steps.excerpt("a\n" * 10_000, 20) == "a a a a a a a a a a…"
    assert len(steps.excerpt("x" * 10**6)) == 300


def test_the_grace_counts_from_the_first_failure_and_a_success_resets_it() -> None:
    grace = steps.Grace(10)
    assert [grace.expired(t) for t in (100, 105, 109.9)] == [False, False, False]
    assert grace.expired(110) is True
    grace.ok()
    assert grace.expired(111) is False


def test_one_failure_message() -> None:
    assert steps.command_failed("oarstat", Output(2, "", "DB connection error\n")) == (
        "oarstat failed (rc 2): DB connection error")
    assert steps.command_failed("oardel 5", Output(1, "", "")) == "oardel 5 failed (rc 1): no output"


def test_round_robin_waits_only_when_all_wait() -> None:
    def waiting(n: int):  # type: ignore[no-untyped-def]
        for _unused in range(n):
            yield steps.WAIT

    def busy(n: int):  # type: ignore[no-untyped-def]
        for _unused in range(n):
            yield None

    assert list(steps.round_robin([waiting(2), busy(1)])) == [None, steps.WAIT]
    assert list(steps.round_robin([waiting(1)])) == [steps.WAIT]
