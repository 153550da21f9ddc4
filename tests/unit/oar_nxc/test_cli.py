"""The oar-nxc command line without Ansible: arguments, inventory tree, bad input, summary."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from oar_nxc import api, cli
from tests.conftest import FIXTURES


def test_inventory_tree() -> None:
    out = io.StringIO()
    assert cli.main(["inventory", str(FIXTURES / "nodefiles/testbed/2")], out=out) == 0
    assert out.getvalue() == (
        "@all: 3 hosts\n  @oar_job_2 (3)\n    oarnode1  (2 cores)\n    oarnode2  (2 cores)\n    oarnode3  (2 cores)\n"
        "  @oar_nodes (3)\n    oarnode1  (2 cores)\n    oarnode2  (2 cores)\n    oarnode3  (2 cores)\n")


def test_inventory_tree_of_a_deployment() -> None:
    out = io.StringIO()
    assert cli.main(["inventory", str(FIXTURES / "deployments/composition::vm.json")], out=out) == 0
    assert "  @role_node (2)\n    node1  (role node, 127.0.0.1:22023)\n    node2  (role node, 127.0.0.1:22024)\n" \
        in out.getvalue()


def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["inventory", str(FIXTURES / "bad/space")]) == api.BAD_INPUT
    assert capsys.readouterr().err.startswith(f"oar-nxc: {FIXTURES / 'bad/space'}:3: 'dahu 3' is not a valid host")
    assert cli.main(["deploy", "--nodefile", str(FIXTURES / "bad/empty")]) == api.BAD_INPUT
    assert capsys.readouterr().err.startswith(f"oar-nxc: {FIXTURES / 'bad/empty'}")
    assert cli.main(["redeploy", "--roles", "node"]) == api.BAD_INPUT
    assert capsys.readouterr().err == "oar-nxc: --roles 'node': expected NAME=VALUE\n"


def test_exit_codes_are_distinct() -> None:
    codes = [api.OK, api.ERROR, api.BAD_INPUT, api.FAILED_HOSTS, api.UNREACHABLE, api.SMOKE_FAILED, api.RESERVATION,
             api.INTERRUPTED]
    assert len(set(codes)) == 8
    assert set(api.EXIT_CODES) == set(codes)
    for code in codes:
        assert f"{code} {api.EXIT_CODES[code]}" in cli.__doc__.replace("\n", " ")


def test_summary_of_a_plan() -> None:
    result = api.RunResult(command="plan", exit_code=0, status="successful", rc=0, run_dir="/r", elapsed=1.25,
                           hosts={}, failures=[], checks=[], deployment_file=None, machine_file=None,
                           commands=[{"oar_nxc_step": "build", "command": "nxc build -f vm", "run": True,
                                      "why": "rebuilt because /home/a/oar3/oar/lib/job.py changed",
                                      "inputs": ["/c/master", "/home/a/oar3"]},
                                     {"oar_nxc_step": "deploy", "command": "nxc start -f vm", "run": False,
                                      "why": "already deployed"}])
    assert cli.summary(result) == (
        "oar-nxc plan: success (exit 0) in 1.2s\n  plan (nothing was run):\n    build   RUN   nxc build -f vm\n"
        "                  rebuilt because /home/a/oar3/oar/lib/job.py changed\n"
        "                  inputs: /c/master, /home/a/oar3\n"
        "    deploy  SKIP  nxc start -f vm\n                  already deployed\n  run directory: /r")


@pytest.mark.parametrize(("argv", "said"), [
    (["run", "--job-nodes", "0"], "oar-nxc: --job-nodes: 0 machines: between 1 and 100000\n"),
    (["run", "--job-nodes", "2", "--walltime", "2h"], "oar-nxc: --walltime: '2h' is not a walltime: H[:MM[:SS]] "
     "(1:00:00, 2:0 is 2 hours) or seconds\n"),
    (["run", "--job-nodes", "2", "--job-type", "ok", "--job-type", "a b"],
     "oar-nxc: --job-type: 'a b' is not an OAR job type (deploy, night, exotic, timesharing=*,*, inner=42...)\n"),
    (["submit", "--resources", "lots", "--dry-run"],
     "oar-nxc: --resources: 'lots' is not an OAR resource request: [{SQL}]/level=N/... ending in level=N, e.g. "
     "nodes=4 or {cluster='dahu'}/nodes=2\n"),
    (["run"], "oar-nxc: --job-nodes: missing: how many machines to reserve (or --resources)\n"),
])
def test_a_bad_job_request_is_refused_before_ansible_naming_the_flag(argv: list[str], said: str,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == api.BAD_INPUT
    captured = capsys.readouterr()
    assert (captured.err, captured.out) == (said, "")


def test_report_update_writes_the_table_between_its_lines_and_names_a_readme_without_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from oar_nxc import statustable

    run = tmp_path / "runs" / "1"
    run.mkdir(parents=True)
    (run / "summary.json").write_text(json.dumps({"composition": "master", "flavour": "g5k-ramdisk", "started": 0,
                                                  "exit_code": 0, "checks": []}))
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{statustable.BEGIN}\nold\n{statustable.END}\nafter\n")
    out = io.StringIO()
    assert cli.main(["report", "--table", str(tmp_path / "runs"), "--update", str(readme)], out=out) == 0
    assert out.getvalue() == f"oar-nxc report: {readme}: the table of 1 run(s) written\n"
    assert readme.read_text() == (f"# x\n\n{statustable.BEGIN}\n{statustable.HEADER[0]}\n{statustable.HEADER[1]}\n"
                                  "| master | - | - | g5k-ramdisk: ✅ passed, 1970-01-01 00:00 UTC |\n"
                                  f"{statustable.END}\nafter\n")
    readme.write_text("# no table here\n")
    assert cli.main(["report", "--table", str(tmp_path / "runs"), "--update", str(readme)], out=io.StringIO()) == 2
    assert capsys.readouterr().err.startswith(f"oar-nxc: {readme}: has no generated table: put the lines ")
    assert readme.read_text() == "# no table here\n"


def test_release_of_a_directory_without_a_record_says_there_is_nothing_to_release(tmp_path: Path) -> None:
    out = io.StringIO()
    assert cli.main(["release", str(tmp_path)], out=out) == 0
    assert out.getvalue() == \
        f"oar-nxc release: {tmp_path / 'job.json'}: no OAR job recorded there, nothing to release\n"


def test_a_ci_job_timeout_not_below_the_walltime_is_a_warning() -> None:
    request = {"nodes": 4, "walltime": "1:00:00"}
    assert cli.ci_timeout_warning(request, {"CI_JOB_TIMEOUT": "3000"}) is None  # 50 min < 1 h
    assert cli.ci_timeout_warning(request, {}) is None  # not in a CI job
    assert cli.ci_timeout_warning({"nodes": 4, "walltime": "1h"}, {"CI_JOB_TIMEOUT": "3600"}) is None  # its own error
    assert cli.ci_timeout_warning(request, {"CI_JOB_TIMEOUT": "3600"}) == (
        "the CI job's timeout (3600 s) is not below the OAR walltime (3600 s): OAR may end the job before GitLab "
        "stops the CI job; give the CI job a shorter timeout: or the OAR job a longer --walltime")
