"""Unattended runs on the testbed (real OAR 2.5, jobs of the normal user oartest): oar.nxc.run reserves,
deploys, smoke-tests, collects and releases; a kept job is reused by name; every fault still releases
the job and returns the documented code; a request OAR cannot run is bounded and deleted; and
`oar-nxc submit --follow` runs the whole chain inside a batch job."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BIN, REPO, clean_env
from tests.integration.conftest import run_testbed
from tests.integration.pipeline import (
    TESTBED_VARS,
    copy_compositions,
    oar_jobs,
    playbook,
    user_key_on_the_nodes,
    user_vars,
)
from tests.testbed import oar_testbed as tb

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root (network namespaces, sshd, PostgreSQL)"),
]
CLI = str(BIN / "oar-nxc")
JOB = '{"oar_nxc_job": {"nodes": 4, "walltime": "0:20:00"}}'
RESULTS = ("report.json", "junit.xml", "report.html", "deployment.json", "job.json", "nxc-build.log")
EVERY_STATE = ("Waiting", "Hold", "toLaunch", "Launching", "Running", "Finishing", "Suspended", "Resuming")


def release_all() -> None:
    """oardel every job of the test user and wait until OAR has ended each (a run must not find a job that is
    being deleted)."""
    for job in user_jobs():
        tb.release(int(job))


def user_jobs() -> dict[str, str]:
    """What `oarstat -u oartest` lists: the jobs of the test user that have not ended."""
    return oar_jobs(EVERY_STATE)


@pytest.fixture(scope="module")
def compositions(cluster: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The testbed up (and down again after the module if it was down before), no job of the test user."""
    release_all()
    yield copy_compositions(tmp_path_factory.mktemp("unattended"))
    release_all()


@pytest.fixture(autouse=True)
def no_job_left(compositions: Path) -> Iterator[None]:
    """Each test starts with no job of the test user, and leaves none (a failed test's job included)."""
    release_all()
    yield
    release_all()


def cli(argv: list[str], cwd: Path, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen([CLI, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(cwd),
                            env=clean_env(ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections")), **kwargs)  # type: ignore


def run_args(compositions: Path, run_dir: Path, *more: str) -> list[str]:
    return ["run", "--job-nodes", "4", "--walltime", "0:20:00", "-e", f"@{TESTBED_VARS}", "-e",
            f"oar_nxc_compositions_dir={compositions}", "--run-dir", str(run_dir), *more]


def test_run_from_scratch_reserves_deploys_tests_collects_and_releases(compositions: Path) -> None:
    results = compositions.parent / "scratch"
    run = playbook("run.yml", "-e", JOB, "-e", f"oar_nxc_report_dir={results}", compositions=compositions)
    assert run.rc == 0, run.explain()
    assert user_jobs() == {}  # released before ansible-playbook returned
    report = json.loads((results / "report.json").read_text())
    assert [c["status"] for c in report["checks"]] == ["passed"] * 7
    assert sorted(p.name for p in results.iterdir() if p.name in RESULTS) == sorted(RESULTS)
    job = json.loads((results / "job.json").read_text())
    assert (job["guard"], job["final_state"], job["owner"], job["name"]) == ("released", "Error", "oartest", "oar-nxc")
    assert [m["name"] for m in job["machines"]] == ["oarnode1", "oarnode2", "oarnode3", "oarnode4"]
    assert [m["cores"] for m in job["machines"]] == [2, 2, 2, 2]
    nodefile = results / "nodefile" / str(job["job_id"])
    assert nodefile.read_text() == "".join(f"oarnode{i}\noarnode{i}\n" for i in range(1, 5))
    assert run.plays()[0] == "Reserve the OAR job"
    assert run.plays()[-2:] == ["Collect the results", "Release the OAR job"]
    assert json.loads((results / "deployment.json").read_text())["deployment"]


def test_a_kept_job_is_reused_by_name_without_rebuilding_or_restarting(compositions: Path) -> None:
    results = compositions.parent / "kept"
    runs = [playbook("run.yml", "-e", JOB, "-e", "oar_nxc_keep_job=true", "-e", f"oar_nxc_report_dir={results}",
                     compositions=compositions) for _unused in range(2)]
    try:
        for run in runs:
            assert run.rc == 0, run.explain()
        first, second = (reserve_result(run) for run in runs)
        assert (first["submitted"], second["submitted"], second["reused"]) == (True, False, True)
        assert second["job_id"] == first["job_id"]
        assert user_jobs() == {str(first["job_id"]): "Running"}  # kept
        assert runs[1].changed_in("Build the composition") == []
        assert runs[1].changed_in("Start the composition with nxc") == []
        assert json.loads((results / "job.json").read_text())["guard"] == "kept"
    finally:
        release_all()


def reserve_result(run: object) -> dict:
    for play in run.result["plays"]:  # type: ignore[attr-defined]
        for task in play["tasks"]:
            if task["task"]["name"].endswith("Reserve or reuse the OAR job"):
                return task["hosts"]["localhost"]
    raise AssertionError("no reservation task")


def test_a_smoke_check_that_fails_still_releases_and_exits_5(compositions: Path) -> None:
    run_dir = compositions.parent / "smoke-fails"
    proc = cli(run_args(compositions, run_dir, "-e", "oar_nxc_smoke_api_password=not-the-password"), REPO)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 5, out[-3000:] + err[-2000:]
    assert user_jobs() == {}
    assert re.search(r"^    failed   rest_api +", out, re.MULTILINE)
    job = json.loads((run_dir / "job.json").read_text())
    assert job["guard"] == "released by the guard" and job["final_state"] in ("Error", "Terminated", "gone")
    assert re.search(rf"^  OAR job {job['job_id']} \(oar-nxc\): released by the guard, ", out, re.MULTILINE)


def test_a_machine_whose_sshd_is_killed_before_the_deploy_still_releases(compositions: Path) -> None:
    run_dir = compositions.parent / "sshd-killed"
    os.kill(int((tb.STATE / "sshd-oarnode3.pid").read_text()), signal.SIGTERM)
    try:
        proc = cli(run_args(compositions, run_dir), REPO)
        out, err = proc.communicate(timeout=600)
    finally:
        assert run_testbed("up").returncode == 0  # the node's sshd again
    assert proc.returncode == 2, out[-3000:] + err[-2000:]  # the preflight names the machine: bad input
    assert "oarnode3 (10.213.0.13:22: connection refused" in " ".join(out.split())
    assert user_jobs() == {}
    assert json.loads((run_dir / "job.json").read_text())["guard"] == "released by the guard"


def wait_for(proc: subprocess.Popen[str], text: str, timeout: float, log: Path) -> list[str]:
    """Read PROC's stdout (on a thread, into the returned list, also after this returns) until a line
    holds TEXT; LOG keeps what was read by then."""
    lines: list[str] = []
    assert proc.stdout is not None
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not any(text in line for line in list(lines)):
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    log.write_text("".join(lines))
    assert any(text in line for line in list(lines)), "".join(lines)[-3000:]
    return lines


def test_sigint_to_ansible_playbook_during_nxc_start_still_releases(compositions: Path, tmp_path: Path) -> None:
    fresh = copy_compositions(tmp_path)  # a build from scratch, so that nxc start runs
    argv = [str(BIN / "ansible-playbook"), "run.yml", "-e", f"@{TESTBED_VARS}", "-e", JOB, "-e",
            f"oar_nxc_compositions_dir={fresh}", "-e", f"oar_nxc_report_dir={tmp_path / 'results'}"]
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=clean_env())
    wait_for(proc, "TASK [oar.nxc.nxc_deploy : Start the composition with nxc", 300, tmp_path / "before.log")
    time.sleep(3)  # inside nxc start (its fixed 10 s wait)
    proc.send_signal(signal.SIGINT)
    began = time.monotonic()
    proc.wait(timeout=120)
    assert proc.returncode not in (0, None)
    record = tmp_path / "results" / "job.json"
    while time.monotonic() - began < 60 and json.loads(record.read_text())["guard"] == "armed":
        time.sleep(0.5)
    job = json.loads(record.read_text())
    assert job["guard"] == "released by the guard", job
    assert time.monotonic() - began < 60
    assert user_jobs() == {}


def test_sigterm_to_oar_nxc_run_still_releases_and_exits_130(compositions: Path, tmp_path: Path) -> None:
    fresh = copy_compositions(tmp_path)
    run_dir = tmp_path / "run"
    proc = cli(run_args(fresh, run_dir), REPO)
    lines = wait_for(proc, "Start the composition with nxc (-f", 300, tmp_path / "before.log")
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    began = time.monotonic()
    proc.wait(timeout=180)
    assert proc.stderr is not None
    err = proc.stderr.read()
    time.sleep(0.5)  # the reader thread's last lines
    out = "".join(lines)
    assert proc.returncode == 130, out[-3000:] + err[-2000:]
    assert time.monotonic() - began < 90
    assert "oar-nxc run: interrupted (exit 130)" in out
    assert user_jobs() == {}  # released before oar-nxc returned
    assert json.loads((run_dir / "job.json").read_text())["guard"] == "released by the guard"


def test_more_machines_than_exist_is_refused_in_oars_words_and_nothing_is_left(compositions: Path) -> None:
    run = playbook("run.yml", "-e", '{"oar_nxc_job": {"nodes": 9}}', "-e", "oar_nxc_job_timeout=20",
                   "-e", f"oar_nxc_report_dir={compositions.parent / 'too-many'}", compositions=compositions)
    assert run.rc == 2, run.explain()
    assert run.seconds < 60
    (failure,) = run.failures()
    assert "oarsub refused the job (rc 8): There are not enough resources for your request" in failure
    assert run.plays() == ["Reserve the OAR job"]
    assert user_jobs() == {}


def test_oar_nxc_run_returns_6_the_retryable_code_when_oar_refuses_the_job(compositions: Path) -> None:
    run_dir = compositions.parent / "refused"
    began = time.monotonic()
    proc = cli(run_args(compositions, run_dir, "--job-nodes", "9"), REPO)  # the testbed has 4 machines
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 6, out[-3000:] + err[-2000:]
    assert time.monotonic() - began < 60
    assert "oar-nxc run: reservation failed (exit 6)" in out
    assert "oarsub refused the job (rc 8): There are not enough resources for your request" in " ".join(out.split())
    assert user_jobs() == {}


def test_a_job_that_cannot_start_waits_the_timeout_naming_oars_reason_then_is_deleted(compositions: Path) -> None:
    blocker = tb.submit("nodes=4,walltime=0:20:00", "sleep 1200")  # not timesharing: holds every node
    tb.wait_state(blocker, ("Running",))
    try:
        run = playbook("run.yml", "-e", JOB, "-e", "oar_nxc_job_timeout=15", "-e",
                       f"oar_nxc_report_dir={compositions.parent / 'waits'}", compositions=compositions)
        jobs = user_jobs()
    finally:
        tb.release(blocker)
    assert run.rc == 2, run.explain()
    assert 15 <= run.seconds < 60
    (failure,) = run.failures()
    match = re.search(r"OAR job (\d+) did not run within 15 s: Waiting, OAR says: R=8,W=0:20:0,J=B,N=oar-nxc,"
                      r"T=timesharing \(Karma=[\d.]+,quota_ok\), predicted start \d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
                      r"\(in \d+ s\); job \1 deleted", failure)
    assert match, failure
    # while it waited, it said why (each change once, then every 30 s)
    assert re.search(rf"OAR job {match.group(1)}: Waiting, OAR says: R=8,W=0:20:0,J=B,N=oar-nxc", run.stdout), \
        run.stdout[-3000:]
    assert jobs == {str(blocker): "Running"}  # the Waiting job is gone, the blocker was not touched


@pytest.fixture
def batch_user(compositions: Path) -> Iterator[Path]:
    """A directory of oartest's with its own copy of the compositions, and its key authorized for root on the
    nodes, as Grid'5000's job script pushes a user's key (restored after)."""
    with user_key_on_the_nodes() as key:
        work = Path(tempfile.mkdtemp(prefix="oar-nxc-batch-"))  # outside pytest's root-only tmp: oartest's
        work.chmod(0o755)
        copy_compositions(work)
        user_vars(work / "vars.yml", key)  # the API password: readable by oartest only
        subprocess.run(["chown", "-R", tb.USER, str(work)], check=True)
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)
            release_all()


def submit(work: Path, *more: str) -> subprocess.CompletedProcess[str]:
    line = " ".join([CLI, "submit", "--job-nodes", "4", "--walltime", "0:20:00", "--job-type", "'timesharing=*,*'",
                     "--run-dir", str(work / "runs"), "-e", f"@{TESTBED_VARS}", "-e",
                     f"oar_nxc_compositions_dir={work / 'compositions'}", "-e", f"@{work / 'vars.yml'}", *more,
                     "--follow"])
    return subprocess.run(["su", "-", tb.USER, "-c", f"cd {REPO} && {line}"], capture_output=True, text=True,
                          timeout=900, check=False, stdin=subprocess.DEVNULL)


def test_submit_follow_runs_the_chain_inside_a_batch_job(batch_user: Path) -> None:
    done = submit(batch_user)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    job_id = int(re.search(r"^OAR_JOB_ID=(\d+)$", done.stdout, re.MULTILINE).group(1))  # type: ignore[union-attr]
    results = batch_user / "runs" / f"job-{job_id}"
    report = json.loads((results / "report.json").read_text())
    assert [c["status"] for c in report["checks"]] == ["passed"] * 7
    assert {"report.json", "junit.xml", "report.html", "summary.json"} <= {p.name for p in results.iterdir()}
    details = tb.details(job_id)
    assert (details["state"], details["exit_code"]) == ("Terminated", 0)
    assert details["assigned_network_address"][0] == "oarnode1"  # the chain ran on the job's first machine
    streamed = done.stdout + done.stderr
    assert "oar-nxc run: success (exit 0)" in streamed  # the job's own output, streamed by --follow
    assert f"oar-nxc: OAR job {job_id} Terminated, exit status 0" in done.stderr
    assert user_jobs() == {}


def test_submit_follow_returns_the_failed_checks_code_of_the_job(batch_user: Path) -> None:
    done = submit(batch_user, "-e", "oar_nxc_smoke_api_password=wrong")
    assert done.returncode == 5, done.stdout[-3000:] + done.stderr[-3000:]
    job_id = int(re.search(r"^OAR_JOB_ID=(\d+)$", done.stdout, re.MULTILINE).group(1))  # type: ignore[union-attr]
    details = tb.details(job_id)
    assert (details["state"], details["exit_code"], details["exit_code"] >> 8) == ("Terminated", 5 << 8, 5)
    assert f"oar-nxc: OAR job {job_id} Terminated, exit status 5" in done.stderr


def descendants(pid: int) -> list[int]:
    """The processes under PID (the one this test started), children first."""
    out: list[int] = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        out += [int(child), *descendants(int(child))]
    return out


def test_sigint_to_follow_without_a_terminal_deletes_the_job(batch_user: Path) -> None:
    line = " ".join([CLI, "submit", "--job-nodes", "4", "--walltime", "0:20:00", "--job-type", "'timesharing=*,*'",
                     "--run-dir", str(batch_user / "runs"), "-e", f"@{TESTBED_VARS}", "-e",
                     f"oar_nxc_compositions_dir={batch_user / 'compositions'}", "-e", f"@{batch_user / 'vars.yml'}",
                     "--follow"])
    proc = subprocess.Popen(["su", "-", tb.USER, "-c", f"cd {REPO} && exec {line}"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    lines = wait_for(proc, "OAR_JOB_ID=", 60, batch_user / "follow.log")
    job_id = int(next(ln for ln in lines if ln.startswith("OAR_JOB_ID=")).split("=")[1])
    tb.wait_state(job_id, ("Running",), timeout=60)
    follower = next(p for p in [proc.pid, *descendants(proc.pid)]
                    if b"oar-nxc\x00submit" in Path(f"/proc/{p}/cmdline").read_bytes())
    os.kill(follower, signal.SIGINT)
    began = time.monotonic()
    proc.wait(timeout=180)
    assert proc.stderr is not None
    err = proc.stderr.read()
    assert proc.returncode == 130, err[-3000:]
    assert time.monotonic() - began < 60
    assert f"oar-nxc: OAR job {job_id} deleted (" in err
    assert tb.state(job_id) in tb.FINAL_STATES
    assert user_jobs() == {}


def test_check_mode_returns_the_exact_oarsub_command_and_submits_nothing(compositions: Path, tmp_path: Path) -> None:
    book = tmp_path / "reserve.yml"
    book.write_text("""- name: Reserve in check mode
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Reserve the machines
      oar.nxc.oar_job:
        request: {nodes: 2, walltime: "0:05:00", name: oar-nxc-check, properties: "cluster = 'alpha'"}
        user: oartest
""")
    run = playbook(str(book), "--check", testbed=False)
    assert run.rc == 0, run.explain()
    (result,) = [t["hosts"]["localhost"] for p in run.result["plays"] for t in p["tasks"]]  # type: ignore[index]
    words = shlex.split(result["command"])
    assert words[:6] == ["timeout", "60", "su", "-", "oartest", "-c"]
    assert shlex.split(words[6]) == ["cd", "&&", "oarsub", "--name", "oar-nxc-check", "-l", "nodes=2,walltime=0:05:00",
                                     "-p", "cluster = 'alpha'", "sleep infinity"]
    assert (result["changed"], result["job_id"], result["msg"]) == (True, None, f"run: {result['command']}")
    assert user_jobs() == {}


def test_sigint_while_the_job_waits_still_deletes_it(compositions: Path, tmp_path: Path) -> None:
    blocker = tb.submit("nodes=4,walltime=0:20:00", "sleep 1200")  # not timesharing: holds every node
    tb.wait_state(blocker, ("Running",))
    try:
        argv = [str(BIN / "ansible-playbook"), "run.yml", "-e", f"@{TESTBED_VARS}", "-e", JOB, "-e",
                f"oar_nxc_compositions_dir={compositions}", "-e", f"oar_nxc_report_dir={tmp_path / 'results'}"]
        proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=clean_env())
        lines = wait_for(proc, ": Waiting, OAR says: ", 120, tmp_path / "before.log")
        waiting = int(re.search(r"OAR job (\d+): Waiting", "".join(lines)).group(1))  # type: ignore[union-attr]
        proc.send_signal(signal.SIGINT)
        began = time.monotonic()
        proc.wait(timeout=120)
        record = tmp_path / "results" / "job.json"
        while time.monotonic() - began < 60 and json.loads(record.read_text())["guard"] == "armed":
            time.sleep(0.5)
        assert json.loads(record.read_text())["guard"] == "released by the guard"
        assert tb.state(waiting) in tb.FINAL_STATES
        assert user_jobs() == {str(blocker): "Running"}
    finally:
        tb.release(blocker)


def test_a_job_given_by_id_or_nodefile_is_used_and_never_released(compositions: Path) -> None:
    reservation = tb.reserve(4, walltime="0:20:00")
    try:
        by_id = playbook("run.yml", "-e", f"oar_nxc_job_id={reservation.job_id}", "-e",
                         f"oar_nxc_report_dir={compositions.parent / 'by-id'}", compositions=compositions)
        assert by_id.rc == 0, by_id.explain()
        job = json.loads((compositions.parent / "by-id" / "job.json").read_text())
        assert (job["job_id"], job["guard"], job["given"]) == (reservation.job_id, "given", True)
        assert reserve_result(by_id)["submitted"] is False
        by_nodefile = playbook("run.yml", inventory=reservation.nodefile, compositions=compositions)
        assert by_nodefile.rc == 0, by_nodefile.explain()
        names = [t["task"]["name"] for p in by_nodefile.result["plays"] for t in p["tasks"]]  # type: ignore[index]
        assert "oar.nxc.oar_job : Reserve or reuse the OAR job" not in names  # the role was never entered
        assert "oar.nxc.oar_job : Release the OAR job" not in names
        assert user_jobs() == {str(reservation.job_id): "Running"}  # given, so kept
    finally:
        tb.release(reservation.job_id)


def test_fewer_machines_than_min_machines_is_refused_before_the_build_with_exit_6(compositions: Path) -> None:
    run_dir = compositions.parent / "too-few"
    began = time.monotonic()
    proc = cli(run_args(compositions, run_dir, "--min-machines", "5"), REPO)  # 4 reserved
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 6, out[-3000:] + err[-2000:]
    assert time.monotonic() - began < 90
    said = " ".join(out.split())
    assert ("4 reserved machine(s) selected (oarnode1, oarnode2, oarnode3, oarnode4), fewer than the 5 of "
            "oar_nxc_min_machines (oar-nxc --min-machines): nothing was built or deployed") in said, said[-3000:]
    assert "Build the composition" not in out.split("reservation failed", maxsplit=1)[0].split("time per step:")[-1]
    assert not (run_dir / "nxc-build.log").exists()
    assert user_jobs() == {}
    assert json.loads((run_dir / "job.json").read_text())["guard"] in ("released", "released by the guard")


def test_oar_nxc_release_after_a_killed_run_releases_its_job(compositions: Path, tmp_path: Path) -> None:
    # the CI job's after_script: the run and everything it started were killed, its guard included
    fresh = copy_compositions(tmp_path)
    run_dir = tmp_path / "killed"
    proc = cli(run_args(fresh, run_dir), REPO)
    wait_for(proc, "Build the composition", 300, tmp_path / "before.log")
    record = json.loads((run_dir / "job.json").read_text())
    for pid in [record["guard_pid"], proc.pid, *descendants(proc.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=60)
    time.sleep(1)
    assert user_jobs() == {str(record["job_id"]): "Running"}  # nobody released it
    done = subprocess.run([CLI, "release", str(run_dir)], capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.fullmatch(rf"oar-nxc release: OAR job {record['job_id']}: released by oar-nxc release \(oardel rc 0\), "
                        r"(Error|Terminated)\n", done.stdout), done.stdout
    assert user_jobs() == {}
    again = subprocess.run([CLI, "release", str(run_dir)], capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 0
    assert re.fullmatch(rf"oar-nxc release: OAR job {record['job_id']}: released by oar-nxc release, "
                        r"(Error|Terminated)\n", again.stdout), again.stdout
    nothing = subprocess.run([CLI, "release", str(tmp_path / "never")], capture_output=True, text=True, timeout=60,
                             check=False)
    assert (nothing.returncode, nothing.stdout) == (
        0, f"oar-nxc release: {tmp_path / 'never' / 'job.json'}: no OAR job recorded there, nothing to release\n")
