"""The live OAR job: oarstat's JSON of both generations, resource properties, the commands run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from oar_nxc.errors import SourceError
from oar_nxc.oar import jobs as oarjob

LIVE = Path(__file__).resolve().parents[3] / "fixtures" / "oar" / "live"


def text(name: str) -> str:
    return (LIVE / name).read_text()


def test_a_running_oar_2_5_job() -> None:
    job = oarjob.parse_job(text("oarstat-f-J-running-2.5.9.json"), 1)
    assert (job.job_id, job.state, job.owner, job.walltime, job.started, job.generation) == (
        1, "Running", "oartest", 1800, 1795808920, "2.5")
    assert job.ends == 1795808920 + 1800
    assert job.remaining(now=1795808920 + 1000) == 800
    assert job.remaining(now=1795808920 + 5000) == 0
    assert [m.name for m in job.machines or ()] == ["oarnode1", "oarnode2", "oarnode3"]
    assert {m.cores for m in job.machines or ()} == {None}  # cores come from oarstat -p


def test_a_deleted_oar_2_5_job() -> None:
    job = oarjob.parse_job(text("oarstat-f-J-deleted-2.5.9.json"), 2)
    assert (job.state, job.owner, job.walltime) == ("Error", "oartest", 1800)


def test_an_oar_3_job_has_no_hosts_nor_walltime_in_its_json() -> None:
    """Recorded on the testbed's OAR 3 (3.0.3dev, from a checkout): a running 3-node job."""
    job = oarjob.parse_job(text("oarstat-f-J-running-3.json"), 29)
    assert (job.job_id, job.state, job.owner, job.walltime, job.started, job.machines, job.generation) == (
        29, "Running", "oartest", None, 1796215581, None, "3")
    assert job.summary(now=1796215581 + 100) == {
        "id": 29, "state": "Running", "owner": "oartest", "walltime": None, "started": 1796215581,
        "ends": None, "remaining": None, "oar": "3"}


def test_a_deleted_oar_3_job() -> None:
    job = oarjob.parse_job(text("oarstat-f-J-deleted-3.json"), 30)
    assert (job.state, job.owner, job.walltime, job.generation) == ("Error", "oartest", None, "3")


def test_the_query_of_an_oar_3_job_reads_its_walltime_from_the_text_and_its_machines_from_p() -> None:
    runner = Recorded({"oarstat -f -J -j 29": (0, text("oarstat-f-J-running-3.json"), ""),
                       "oarstat -p -j 29": (0, text("oarstat-p-running-3.txt"), ""),
                       "oarstat -f -j 29": (0, text("oarstat-f-running-3.txt"), "")})
    job = oarjob.query(29, run=runner, timeout=5)
    assert sorted(" ".join(c[0]) for c in runner.calls) == ["oarstat -f -J -j 29", "oarstat -f -j 29",
                                                            "oarstat -p -j 29"]
    assert (job.walltime, job.ends, job.generation) == (600, 1796215581 + 600, "3")
    assert [(m.name, m.cores, m.properties) for m in job.machines or ()] == [
        ("oarnode1", 2, {"cluster": "alpha", "cpu": 0, "cpumodel": "Testbed CPU A", "host": "oarnode1",
                         "memnode": 2048, "type": "default"}),
        ("oarnode2", 2, {"cluster": "beta", "cpu": 1, "cpumodel": "Testbed CPU B", "host": "oarnode2",
                         "memnode": 2048, "type": "default"}),
        ("oarnode3", 2, {"cluster": "alpha", "cpu": 2, "cpumodel": "Testbed CPU A", "host": "oarnode3",
                         "memnode": 2048, "type": "default"})]
    assert job.summary(now=1796215581 + 100)["remaining"] == 500


def test_an_oar_3_job_whose_text_says_no_walltime_has_no_end() -> None:
    runner = Recorded({"oarstat -f -J -j 29": (0, text("oarstat-f-J-running-3.json"), ""),
                       "oarstat -p -j 29": (0, text("oarstat-p-running-3.txt"), ""),
                       "oarstat -f -j 29": (1, "", "DB connection error, exiting.\n")})
    job = oarjob.query(29, run=runner, timeout=5)
    assert (job.walltime, job.ends, len(job.machines or ())) == (None, None, 3)


def test_oar_3_resources_files_and_p_lines_read_alike() -> None:
    """OAR 3 writes ``id = '1', type = ...`` (no space before the commas) after a blank line."""
    from_p = oarjob.machines_of(oarjob.parse_properties(text("oarstat-p-running-3.txt"), "oarstat -p"))
    from_file = oarjob.machines_of(oarjob.load_properties_file(str(LIVE / "resources-file-3.txt")))
    assert from_p == from_file
    assert [(m.name, m.cores) for m in from_p] == [("oarnode1", 2), ("oarnode2", 2), ("oarnode3", 2)]


@pytest.mark.parametrize(("output", "message"), [
    ("{}", "oarstat -f -J: OAR does not know job 7"),
    ('{"7": []}', "oarstat -f -J: key '7': must be an object"),
    ('{"7": {"owner": "a"}}', "oarstat -f -J: key '7.state': no job state"),
    ("[1]", "oarstat -f -J: must be a JSON object (job id -> job)"),
    ('{"7": {"state": "Running", "state": "Error"}}', "duplicate key"),
])
def test_bad_oarstat_output_is_named(output: str, message: str) -> None:
    with pytest.raises(SourceError) as info:
        oarjob.parse_job(output, 7)
    assert message in str(info.value)


def test_resource_properties_make_machines_with_real_cores() -> None:
    machines = oarjob.machines_of(oarjob.parse_properties(text("oarstat-p-running-2.5.9.txt"), "oarstat -p"))
    assert [(m.name, m.cores) for m in machines] == [("oarnode1", 2), ("oarnode2", 2), ("oarnode3", 2)]
    # shared by all the host's resources, system columns left out; per-core values (core, cpuset) gone
    assert machines[1].properties == {"cluster": "beta", "cpu": 2, "cpumodel": "Testbed CPU B", "host": "oarnode2",
                                      "memnode": 2048, "type": "default"}
    assert machines[0].properties["cluster"] == "alpha"


def test_the_resource_properties_file_gives_the_same_machines() -> None:
    from_file = oarjob.machines_of(oarjob.load_properties_file(str(LIVE / "resources-file-2.5.9.txt")))
    from_oarstat = oarjob.machines_of(oarjob.parse_properties(text("oarstat-p-running-2.5.9.txt"), "oarstat -p"))
    assert from_file == from_oarstat


def test_a_value_with_quotes_and_commas_is_kept_whole() -> None:
    line = " cpumodel = 'Intel(R) Xeon(R) Gold 5220, 2.20GHz' , host = 'dahu-3' , note = 'it's , odd' \n"
    assert oarjob.parse_properties(line, "f") == [
        {"cpumodel": "Intel(R) Xeon(R) Gold 5220, 2.20GHz", "host": "dahu-3", "note": "it's , odd"}]


@pytest.mark.parametrize("line", [" host = oarnode1 ", "host: 'x'", " = 'x'", " host = 'x' , garbage"])
def test_a_bad_properties_line_is_named(line: str) -> None:
    with pytest.raises(SourceError) as info:
        oarjob.parse_properties(f" host = 'ok'\n{line}\n", "props")
    assert str(info.value).startswith("props:2: not `key = 'value' , ...`")


def test_a_mixed_type_resource_does_not_count_as_a_core() -> None:
    resources = [{"network_address": "n1", "type": "default", "cluster": "c"},
                 {"network_address": "n1", "type": "disk", "cluster": "c"},
                 {"network_address": "n1", "type": "default", "cluster": "c"}]
    (machine,) = oarjob.machines_of(resources)
    assert (machine.cores, machine.properties) == (2, {"cluster": "c"})


class Recorded:
    """The real answers of the testbed's oarstat, per command; records what was run."""

    def __init__(self, answers: dict[str, tuple[int, str, str]]) -> None:
        self.answers, self.calls = answers, []  # type: ignore[var-annotated]

    def __call__(self, argv: Sequence[str], timeout: float) -> tuple[int, str, str]:
        self.calls.append((list(argv), timeout))
        return self.answers[" ".join(argv)]


def test_query_runs_both_commands_and_joins_them() -> None:
    runner = Recorded({"oarstat -f -J -j 1": (0, text("oarstat-f-J-running-2.5.9.json"), ""),
                       "oarstat -p -j 1": (0, text("oarstat-p-running-2.5.9.txt"), "")})
    job = oarjob.query(1, run=runner, timeout=5)
    assert sorted(c[0][1] for c in runner.calls) == ["-f", "-p"]
    assert {c[1] for c in runner.calls} == {5}
    assert [(m.name, m.cores, m.properties["cluster"]) for m in job.machines or ()] == [
        ("oarnode1", 2, "alpha"), ("oarnode2", 2, "beta"), ("oarnode3", 2, "alpha")]
    assert job.state == "Running"


@pytest.mark.parametrize(("answer", "message"), [
    ((0, "", ""), "OAR does not know job 1 (oarstat -f -J -j 1 printed no job)"),
    ((1, "", "DBI connect('dbname=oar','oar',...) failed: could not connect to server\n"),
     "oarstat -f -J -j 1 failed (rc 1): DBI connect('dbname=oar','oar',...) failed: could not connect to server"),
])
def test_query_says_why_the_job_is_unavailable(answer: tuple[int, str, str], message: str) -> None:
    runner = Recorded({"oarstat -f -J -j 1": answer, "oarstat -p -j 1": (0, "", "")})
    with pytest.raises(oarjob.Unavailable) as info:
        oarjob.query(1, run=runner)
    assert str(info.value) == message


def test_query_without_oarstat_says_so() -> None:  # the autouse fixture removed oarstat
    with pytest.raises(oarjob.Unavailable, match=r"^oarstat is not on this machine's PATH$"):
        oarjob.query(1)


def test_a_silent_oarstat_is_bounded() -> None:
    with pytest.raises(oarjob.Unavailable, match=r"^sleep 30 did not answer within 0.2 s$"):
        oarjob._run(["sleep", "30"], 0.2)


@pytest.mark.parametrize(("seconds", "words"), [(42, "42 s"), (245, "4 min 05 s"), (3720, "1 h 02 min")])
def test_describe_time(seconds: int, words: str) -> None:
    assert oarjob.describe_time(seconds) == words
