"""oar_nxc.smoke.judges: how each job check is judged, and the table the runner calls."""

from __future__ import annotations

from typing import Any

from oar_nxc.oar import output as oarjson
from oar_nxc.smoke import checks, judges


def info(**changes: Any) -> oarjson.JobInfo:
    base = {"job_id": 7, "state": "Terminated", "exit_code": 0, "exit_status": 0, "signal": 0,
            "network_addresses": ["a", "b"], "launching_directory": "/home/u", "stdout_file": "OAR.7.stdout"}
    return oarjson.JobInfo(**{**base, **changes})


def test_judge_batch() -> None:
    assert judges.judge_batch(info(), ["a", "b"], "b\na\n", "") == (
        True, "job 7 on 2 nodes: Terminated, exit status 0, output names a, b")
    assert judges.judge_batch(info(), ["a", "b"], None, None)[0] is True  # homes not shared: the job checked
    ok, message = judges.judge_batch(info(exit_code=256, exit_status=1), ["a", "b"], "a\n", "b answers c\n")
    assert not ok
    assert message == ("job 7: state Terminated, exit status 1 (exit_code 256), ran on a, b, output names a, "
                       "stderr: b answers c; expected Terminated, 0 and a, b")
    assert judges.judge_batch(info(network_addresses=["a"]), ["a", "b"], None, None)[0] is False


def test_judge_oardel_and_failing() -> None:
    assert judges.judge_oardel(info(state="Error"), deleted=True) == (True, "job 7: Running, oardel, then Error")
    assert judges.judge_oardel(info(), deleted=False) == (False, "job 7 ended as Terminated before oardel")
    assert judges.judge_failing(info(exit_code=768, exit_status=3))[0] is True
    assert judges.judge_failing(info()) == (
        False, "job 7 exits 3 but OAR reports state Terminated, exit_code 0 (exit status 0)")


def test_every_job_check_that_submits_a_job_has_a_judge() -> None:
    """The reservation is judged on oarsub's answer and the REST API's job when it ends: the others by table."""
    assert sorted(judges.JUDGES) == sorted(set(checks.names("job")) - {"reservation"})
    ended = judges.Ended(["a", "b"], deleted=True, output=lambda: ("a\nb\n", ""))
    assert judges.JUDGES["batch_job"](info(), ended) == (True, "job 7 on 2 nodes: Terminated, exit status 0, "
                                                         "output names a, b")
    assert judges.JUDGES["oardel"](info(state="Error"), ended) == (True, "job 7: Running, oardel, then Error")
