"""oar_nxc.batch: the job script of `oar-nxc submit` and the --follow loop's decisions."""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path

import pytest

from oar_nxc import batch, cli
from oar_nxc.oar import lifecycle as joblife
from oar_nxc.oar import request as jobrequest
from oar_nxc.oar.remote import Output


def test_the_script_carries_the_request_as_directives_and_execs_the_run(tmp_path: Path) -> None:
    request = jobrequest.from_mapping({"nodes": 4, "walltime": "2:0", "types": ["deploy", "night"], "queue": "default",
                                       "project": "oar", "properties": "cluster = 'dahu'", "name": "nightly"})
    runs = tmp_path / "my runs"
    text = batch.script(request, runs=runs, cwd=Path("/home/alice/exp"), oar_nxc="/venv/bin/oar-nxc",
                        run_args=["--flavour", "g5k-nfs-store", "-e", "a=b c"])
    assert text.splitlines() == [
        "#!/bin/sh",
        "# oar-nxc batch job, written by `oar-nxc submit`: the whole chain runs inside this job,",
        "# on its first machine, on $OAR_NODEFILE; the job's exit status is the run's.",
        "#OAR -n nightly", "#OAR -l nodes=4,walltime=2:00:00", "#OAR -t deploy", "#OAR -t night", "#OAR -q default",
        "#OAR --project oar", "#OAR -p cluster = 'dahu'",
        f"#OAR -O {runs}/OAR.%jobid%.stdout", f"#OAR -E {runs}/OAR.%jobid%.stderr", "set -e", "cd /home/alice/exp",
        f"exec /venv/bin/oar-nxc run --nodefile \"$OAR_NODEFILE\" --run-dir {shlex.quote(str(runs) + '/job-')}"
        "\"$OAR_JOB_ID\" --flavour g5k-nfs-store -e 'a=b c'"]


def test_dry_run_prints_the_script_and_the_oarsub_command(tmp_path: Path) -> None:
    out = io.StringIO()
    code = cli.main(["submit", "--job-nodes", "2", "--run-dir", str(tmp_path / "runs"), "--user", "alice",
                     "--dry-run"], out=out)
    assert code == 0
    text = out.getvalue()
    assert "#OAR -l nodes=2,walltime=1:00:00\n" in text and "#OAR -n oar-nxc\n" in text
    script = text.splitlines()[0].removeprefix("# ")
    assert text.endswith(f"# submitted with:\ntimeout 60 su - alice -c 'cd && oarsub -S {script}'\n")
    assert not (tmp_path / "runs").exists()  # nothing written, nothing submitted


def test_cluster_and_min_machines_reach_the_job_script(tmp_path: Path) -> None:
    out = io.StringIO()
    code = cli.main(["submit", "--job-nodes", "4", "--cluster", "dahu", "--min-machines", "4", "--run-dir",
                     str(tmp_path / "runs"), "--dry-run"], out=out)
    assert code == 0
    lines = out.getvalue().splitlines()
    assert "#OAR -p cluster='dahu'" in lines
    (run,) = [line for line in lines if line.startswith("exec ")]
    # no --flavour nor --composition given: none is written, and the settings (group_vars, defaults) decide
    assert run.endswith('--run-dir ' + str(tmp_path / "runs") + '/job-"$OAR_JOB_ID" --min-machines 4')
    given = io.StringIO()
    cli.main(["submit", "--job-nodes", "4", "--flavour", "g5k-ramdisk", "--composition", "master", "--run-dir",
              str(tmp_path / "runs"), "--dry-run"], out=given)
    (run,) = [line for line in given.getvalue().splitlines() if line.startswith("exec ")]
    assert run.endswith(" --flavour g5k-ramdisk --composition master")


def test_a_bad_cluster_names_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["submit", "--job-nodes", "4", "--cluster", "a'b", "--run-dir", str(tmp_path), "--dry-run"],
                    out=io.StringIO())
    assert code == 2
    assert capsys.readouterr().err == "oar-nxc: --cluster: \"a'b\" is not a cluster name (letters, digits, . _ + -)\n"


class Oar:
    """What OAR answers a follower: the job's states in turn; oardel recorded."""

    def __init__(self, states: list[tuple[str, int | None]]) -> None:
        self.states, self.ran = list(states), []

    def run(self, command: str) -> Output:
        self.ran.append(command)
        if "oardel" in command:
            self.states = [("Error", None)]
            return Output(0, "Deleting the job = 7 ...REGISTERED.\n", "")
        state, code = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return Output(0, json.dumps({"7": {"state": state, "exit_code": code, "message": ""}}), "")


def test_follow_streams_the_output_and_returns_the_jobs_exit_status(tmp_path: Path) -> None:
    stdout, stderr = tmp_path / "OAR.7.stdout", tmp_path / "OAR.7.stderr"
    oar = Oar([("Waiting", None), ("Running", None), ("Running", None), ("Terminated", 5 << 8)])
    out, err = io.StringIO(), io.StringIO()
    writes = iter(["step 1\n", "step 2\n", ""])

    def sleep(_unused: float) -> None:  # the job writes between two looks
        with stdout.open("a") as handle:
            handle.write(next(writes, ""))
        stderr.write_text("warning\n")

    code = batch.follow(batch.LocalShell(), joblife.Frontend(oar), 7, [stdout, stderr], out=out, err=err,
                        cancel=lambda: False, ask=None, sleep=sleep)
    assert code == 5
    assert out.getvalue() == "step 1\nstep 2\n"
    assert err.getvalue() == "warning\noar-nxc: OAR job 7 Terminated, exit status 5\n"


@pytest.mark.parametrize(("answer", "deleted"), [(None, True), (True, True), (False, False)])
def test_a_cancel_deletes_the_job_without_a_terminal_and_asks_with_one(tmp_path: Path, answer: bool | None,
                                                                       deleted: bool) -> None:
    oar = Oar([("Running", None)])
    err = io.StringIO()
    ask = None if answer is None else (lambda prompt: bool(answer))
    code = batch.follow(batch.LocalShell(), joblife.Frontend(oar), 7, [], out=io.StringIO(), err=err,
                        cancel=lambda: True, ask=ask, sleep=lambda _: None)
    assert code == 130
    assert any("oardel 7" in c for c in oar.ran) is deleted
    assert err.getvalue() == ("oar-nxc: OAR job 7 deleted (Error)\n" if deleted else
                              "oar-nxc: OAR job 7 left running (oarstat -j 7)\n")
