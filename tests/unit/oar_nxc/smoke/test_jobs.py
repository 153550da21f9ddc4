"""oar_nxc.smoke.jobs: what the job checks submit."""

from __future__ import annotations

import pytest

from oar_nxc.smoke import jobs
from oar_nxc.smoke.model import Node, Options


def test_inline_survives_any_quoting() -> None:
    command = jobs.inline(jobs.BATCH_SCRIPT)
    assert set(command) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/= |-")


@pytest.mark.parametrize(("addresses", "sql"), [
    (["a"], "network_address = 'a'"), (["a", "b"], "network_address in ('a','b')")])
def test_property_of(addresses: list[str], sql: str) -> None:
    assert jobs.property_of(addresses) == sql


def test_the_longest_job_goes_first_and_types_follow_concurrent() -> None:
    nodes = [Node(name="node1", address="oarnode2", machine="", ip="", sshd="")]
    options = Options(user="u", submit="frontend", nodes=nodes)
    assert [name for name, _unused in jobs.specs(options, ["batch_job", "failing_job", "oardel"])] == [
        "oardel", "batch_job", "failing_job"]
    assert jobs.types(options) == ["-t", "timesharing=*,*"]
    assert jobs.types(Options(user="u", submit="frontend", nodes=nodes, concurrent=False)) == []


def test_the_rest_api_job_carries_the_walltime_and_the_smoke_jobs_types() -> None:
    nodes = [Node(name="node1", address="oarnode2", machine="", ip="", sshd="")]
    options = Options(user="u", submit="frontend", nodes=nodes, walltime="0:02:00", job_types=["deploy"])
    assert jobs.rest_api_body(options) == {"resource": "/nodes=1,walltime=0:02:00", "command": "true",
                                           "type": ["deploy", "timesharing=*,*"]}
    alone = Options(user="u", submit="frontend", nodes=nodes, concurrent=False)
    assert jobs.rest_api_body(alone) == {"resource": "/nodes=1,walltime=0:05:00", "command": "true"}
