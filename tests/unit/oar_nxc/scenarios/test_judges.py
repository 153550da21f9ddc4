"""oar_nxc.scenarios.judges: expectations and the scheduler's invariants, on OAR's account of jobs."""

from __future__ import annotations

from oar_nxc.scenarios import judges
from oar_nxc.scenarios.account import JobRecord
from oar_nxc.scenarios.spec import Expect


def job(job_id: int, start: int | None, stop: int | None, resources: tuple[int, ...] = (1, 2), *,
        state: str = "Terminated", status: int | None = 0, types: tuple[str, ...] = (),
        events: tuple[tuple[str, str], ...] = ()) -> JobRecord:
    return JobRecord(job_id=job_id, state=state, exit_status=status, started=start, stopped=stop, types=types,
                     events=events, message="", resources=resources)


def test_two_exclusive_jobs_on_one_resource_at_once_are_double_booked() -> None:
    assert judges.double_booked([job(1, 100, 110), job(2, 105, 120, (2, 3))]) == [
        "jobs 1 and 2 both held resource(s) 2 from 105 to 110"]


def test_back_to_back_other_resources_timesharing_and_inner_jobs_are_not() -> None:
    assert judges.double_booked([job(1, 100, 110), job(2, 110, 120)]) == []  # one after the other
    assert judges.double_booked([job(1, 100, 110), job(2, 100, 110, (3, 4))]) == []
    assert judges.double_booked([job(1, 100, 110, types=("timesharing=*,*",)), job(2, 100, 110)]) == []
    assert judges.double_booked([job(1, 100, 200, types=("container",)), job(2, 110, 120, types=("inner=1",))]) == []
    assert judges.double_booked([job(1, 100, None), job(2, None, None)], now=150) == []  # 2 never started


def test_a_running_job_holds_its_resources_until_now() -> None:
    assert judges.double_booked([job(1, 100, None, state="Running"), job(2, 140, 145)], now=150) == [
        "jobs 1 and 2 both held resource(s) 1, 2 from 140 to 145"]


def test_expectations_name_the_job_and_what_oar_said() -> None:
    jobs = {"first": [job(1, 100, 110)], "second": [job(2, 105, 120, state="Error", status=None)],
            "many": [job(3, 100, 101), job(4, 100, 101, status=1)]}
    assert judges.judge(Expect(job="second", states=("Terminated",), exit_status=0, started_after="first"), jobs) == [
        "second (job 2): state Error, expected Terminated",
        "second (job 2): exit status None, expected 0",
        "second (job 2): started at 105, before first (job 1) stopped (110)"]
    assert judges.judge(Expect(job="many", exit_status=0), jobs) == ["many (job 4): exit status 1, expected 0"]
    assert judges.judge(Expect(job="first", never_started=True, event="WALLTIME"), jobs) == [
        "first (job 1): started at 100, expected never to start", "first (job 1): no WALLTIME event (its events: none)"]
    assert judges.judge(Expect(job="ghost"), jobs) == ["ghost: OAR has no job for it (its submission failed)"]
    assert judges.judge(Expect(job="second", overlaps="first"), jobs) == []
    assert judges.judge(Expect(job="first", states=("Terminated",), exit_status=0), jobs) == []


def test_jobs_not_final_are_named() -> None:
    assert judges.not_final([job(1, 1, 2), job(2, 1, None, state="Running")]) == ["job 2 is still Running"]
