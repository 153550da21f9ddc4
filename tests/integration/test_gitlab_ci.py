"""This repository's .gitlab-ci.yml, run by a real GitLab CI runner (gitlab-ci-local from npm, shell executor) in
clones of the repository, against the local testbed (real OAR 2.5, jobs of its user oartest): the whole pipeline
passes with 7 passed checks per composition and flavour in JUnit, two pipelines at once keep their own OAR jobs,
a composition whose smoke check fails fails its own job only and still releases its job, and a job cancelled
during the deploy still releases its job. `--list` and `rules: changes:` select one job per composition x
flavour, and only the changed composition's."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import BIN
from tests.integration import gitlab
from tests.integration.pipeline import oar_jobs, user_key_on_the_nodes, user_vars
from tests.testbed import oar_testbed as tb

pytestmark = pytest.mark.skipif(not gitlab.available() and not os.environ.get("CI"),
                                reason="gitlab-ci-local is not installed (scripts/setup-dev.sh installs it with npm)")
EVERY_STATE = ("Waiting", "Hold", "toLaunch", "Launching", "Running", "Finishing", "Suspended", "Resuming")
G5K_JOBS = ["master: [g5k-nfs-store]", "master: [g5k-ramdisk]", "nfs-home: [g5k-nfs-store]",
            "nfs-home: [g5k-ramdisk]"]
CHECKS = ["node_sshd", "resources_alive", "batch_job", "failing_job", "oardel", "reservation", "rest_api"]
# the run's last line on its OAR job: released by the run itself, or by its guard when the run failed
JOB_LINE = re.compile(r"OAR job (\d+) \((oar-nxc-ci-(\d+)-(\d+))\): (released|released by the guard), (\w+)")


def test_gitlab_ci_local_is_installed_under_ci() -> None:
    assert gitlab.available(), "scripts/setup-dev.sh did not install gitlab-ci-local and Node 22 (npm)"
    node = subprocess.run([str(gitlab.GCL_BIN / "node"), "--version"], capture_output=True, text=True, check=True)
    assert node.stdout.startswith("v22."), node.stdout


def listed(repo: Path, *args: str) -> list[str]:
    done = gitlab.run(repo, "--list", *args, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("name "))
    return [re.split(r"\s{2,}", line.strip())[0] for line in lines[header + 1:] if line.strip()]


@pytest.fixture(scope="module")
def listing_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gitlab.clone(tmp_path_factory.mktemp("gitlab-list"))


def test_list_shows_one_job_per_composition_and_flavour(listing_clone: Path) -> None:
    # .gitlab-ci-local-variables.yml sets OAR_NXC_CI_ALL=true: every composition, without a change
    assert listed(listing_clone) == ["lint", "unit", *G5K_JOBS]


def test_a_change_in_one_composition_selects_only_its_jobs(listing_clone: Path) -> None:
    off = ("--variable", "OAR_NXC_CI_ALL=false")
    assert listed(listing_clone, *off) == ["lint", "unit"]  # nothing changed since origin/main
    for name, jobs in (("nfs-home", G5K_JOBS[2:]), ("master", G5K_JOBS[:2])):
        readme = listing_clone / "compositions" / name / "README.md"
        readme.write_text(readme.read_text() + "\nA change.\n")
        gitlab.git(listing_clone, "commit", "-q", "-am", f"change {name}")
        try:
            assert listed(listing_clone, *off) == ["lint", "unit", *jobs]
        finally:
            gitlab.git(listing_clone, "reset", "-q", "--hard", "origin/main")


def test_a_branch_runs_the_changelog_check(listing_clone: Path) -> None:
    """On a branch other than the default, the `changelog` job runs scripts/changelog-check.py against
    origin's default branch: a plugin change without a fragment fails the job, naming the file."""
    off = ("--variable", "OAR_NXC_CI_ALL=false")
    gitlab.git(listing_clone, "checkout", "-q", "-b", "topic")
    try:
        assert listed(listing_clone, *off) == ["lint", "changelog", "unit"]
        module = listing_clone / "plugins" / "modules" / "nxc_version.py"
        module.write_text(module.read_text() + "\n")
        gitlab.git(listing_clone, "commit", "-q", "-am", "change a module")
        done = gitlab.run(listing_clone, "changelog", timeout=300)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "no changelog fragment: plugins/modules/nxc_version.py. Add changelogs/fragments/" in done.stdout
        fragment = listing_clone / "changelogs" / "fragments" / "nxc-version.yml"
        fragment.write_text("trivial:\n  - A newline.\n")
        gitlab.git(listing_clone, "add", str(fragment))
        gitlab.git(listing_clone, "commit", "-q", "-m", "fragment")
        done = gitlab.run(listing_clone, "changelog", timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert re.search(r"changelog-check: since [0-9a-f]{12}: fine", done.stdout), done.stdout
    finally:
        gitlab.git(listing_clone, "checkout", "-q", "main")
        gitlab.git(listing_clone, "branch", "-q", "-D", "topic")


@dataclass
class Pipeline:
    repo: Path
    result: subprocess.CompletedProcess[str]
    seconds: float


def release_all() -> None:
    for job in oar_jobs(EVERY_STATE):
        tb.release(int(job))


@pytest.fixture(scope="module")
def pipeline(cluster: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """The whole pipeline, as `gitlab-ci-local --shell-executor-no-image` runs it in a fresh clone."""
    release_all()
    repo = gitlab.clone(tmp_path_factory.mktemp("gitlab-pipeline"))
    began = time.monotonic()
    result = gitlab.run(repo, timeout=1800)
    yield Pipeline(repo, result, time.monotonic() - began)
    release_all()


def explain(out: str) -> str:
    """What a failed pipeline says that matters: each job's end, its run's verdict and checks, its errors."""
    keep = re.compile(r" (PASS|FAIL|WARN) |finished in|oar-nxc (run|release|submit)|^\S.*>     (passed|failed) |"
                      r"failed: |Error|error:")
    return "\n".join(line[:300] for line in out.splitlines() if keep.search(line) and "WARNING: Location" not in line)


def job_log(repo: Path, job: str) -> str:
    """What gitlab-ci-local kept of one job's output: .gitlab-ci-local/output/<name>.log, each run of characters
    other than letters, digits, _ and - in the name written in base64 (``master: [x]``: ``masterOiBbxXQ``)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", lambda m: base64.b64encode(m.group().encode()).decode().rstrip("="), job)
    path = repo / ".gitlab-ci-local" / "output" / f"{name}.log"
    assert path.is_file(), sorted(p.name for p in path.parent.glob("*.log"))
    return path.read_text(errors="replace")


def results_of(repo: Path) -> dict[str, Path]:
    """Each results directory (oar-nxc-results/<CI job id>), by the composition and flavour of its run."""
    out = {}
    for summary in sorted((repo / "oar-nxc-results").glob("*/summary.json")):
        data = json.loads(summary.read_text())
        out[f"{data['composition']}: [{data['flavour']}]"] = summary.parent
    return out


@pytest.mark.testbed
@pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root")
def test_the_whole_pipeline_passes_on_the_testbed(pipeline: Pipeline) -> None:
    out = pipeline.result.stdout + pipeline.result.stderr
    assert pipeline.result.returncode == 0, explain(out)
    for job in ["lint", "unit", *G5K_JOBS]:
        assert re.search(rf"^ PASS  {re.escape(job)}\s*$", out, re.MULTILINE), (job, explain(out))
    assert oar_jobs(EVERY_STATE) == {}  # no OAR job of the CI user is left


@pytest.mark.testbed
@pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root")
def test_each_job_reports_7_passed_checks_in_junit(pipeline: Pipeline) -> None:
    results = results_of(pipeline.repo)
    assert sorted(results) == sorted(G5K_JOBS)
    for job, directory in results.items():
        suite = ET.parse(directory / "junit.xml").getroot().find("testsuite")  # noqa: S314 (the run's own report)
        assert suite is not None, job
        assert [case.get("name") for case in suite.iter("testcase")] == CHECKS, job
        assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == \
            ("7", "0", "0", "0"), job
        kept = {p.name for p in directory.iterdir()}
        assert {"report.html", "report.json", "deployment.json", "job.json", "summary.json"} <= kept, job


@pytest.mark.testbed
@pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root")
def test_each_job_names_its_own_oar_job_and_releases_it(pipeline: Pipeline) -> None:
    seen = {}
    for job, directory in results_of(pipeline.repo).items():
        log = job_log(pipeline.repo, job)
        (match,) = JOB_LINE.findall(log)
        oar_id, name, _unused, ci_job = match[:4]
        record = json.loads((directory / "job.json").read_text())
        assert (record["job_id"], record["name"], record["guard"]) == (int(oar_id), name, "released")
        assert ci_job == directory.name  # oar-nxc-ci-<pipeline id>-<CI job id>
        assert f"oar-nxc release: OAR job {oar_id}: released, " in log  # after_script, the job already ended
        seen[job] = (oar_id, name)
    assert len({oar_id for oar_id, _unused in seen.values()}) == len({name for _unused, name in seen.values()}) == 4


@pytest.mark.testbed
@pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root")
def test_the_status_table_comes_from_the_pipelines_reports(pipeline: Pipeline) -> None:
    done = subprocess.run([str(BIN / "oar-nxc"), "report", "--table", "oar-nxc-results", "--compositions",
                           "compositions"], cwd=str(pipeline.repo), capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["| Directory | Description | Status | CI@Grid5000 |", "|---|---|---|---|"]
    commit = gitlab.git(pipeline.repo, "rev-parse", "HEAD").strip()[:8]
    rows = lines[2:]
    assert [row.split(" | ")[0] for row in rows] == ["| [master](compositions/master/README.md)",
                                                     "| [nfs-home](compositions/nfs-home/README.md)"]
    for row in rows:
        cells = row.split(" | ")[3].split("<br>")
        assert [c.split(":")[0] for c in cells] == ["g5k-nfs-store", "g5k-ramdisk"]
        for c in cells:
            assert re.fullmatch(rf"g5k-[a-z-]+: ✅ passed, 7/7 checks, \d{{4}}-\d\d-\d\d \d\d:\d\d UTC, commit "
                                rf"{commit}, \[report\]\(oar-nxc-results/\d+/report\.html\)( \|)?", c), c


def children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" (", 1)
        except (OSError, ValueError):
            continue
        out.setdefault(int(rest.rsplit(")", 1)[1].split()[1]), []).append(int(pid))
    return out


def descendants(pid: int) -> list[int]:
    """Every process under ``pid``, parents before their children."""
    tree, found, todo = children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(0), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.fixture(scope="module")
def second_clone(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another runner's clone, its .venv made by its `make setup` (the jobs' before_script) beforehand, so that
    two pipelines started together really overlap."""
    repo = gitlab.clone(tmp_path_factory.mktemp("gitlab-second"))
    done = subprocess.run(["make", "setup"], cwd=str(repo), capture_output=True, text=True, timeout=900, check=False,
                          env={**gitlab.env(), "CI_JOB_ID": "setup"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return repo


@pytest.mark.testbed
@pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root")
def test_two_pipelines_at_once_keep_their_own_oar_jobs(pipeline: Pipeline, second_clone: Path,
                                                       tmp_path: Path) -> None:
    job = "master: [g5k-nfs-store]"
    runs = [gitlab.start(repo, job, "--variable", "OAR_NXC_ARGS=-e oar_nxc_force_deploy=true",
                         log=tmp_path / f"{i}.log") for i, repo in enumerate((pipeline.repo, second_clone))]
    for proc in runs:
        proc.wait(timeout=900)
    logs = [(tmp_path / f"{i}.log").read_text(errors="replace") for i in range(2)]
    for proc, log in zip(runs, logs, strict=True):
        assert proc.returncode == 0, explain(log)
    held = [JOB_LINE.findall(log) for log in logs]
    assert [len(h) for h in held] == [1, 1], held
    (first,), (second,) = held
    assert first[0] != second[0] and first[1] != second[1]  # own OAR job id, own name
    for log, other in ((logs[0], second), (logs[1], first)):
        assert f"OAR job {other[0]} " not in log and other[1] not in log
    # they ran at once: each OAR job started before the other one ended
    spans = [tb_times(int(h[0])) for h in (first, second)]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1], spans
    assert oar_jobs(EVERY_STATE) == {}


def tb_times(job_id: int) -> tuple[int, int]:
    out = subprocess.run(["oarstat", "-f", "-J", "-j", str(job_id)], capture_output=True, text=True, timeout=30,
                         check=True).stdout
    data = json.loads(out)[str(job_id)]
    return int(data["startTime"]), int(data["stopTime"])


@pytest.mark.testbed
@pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root")
def test_a_composition_whose_smoke_check_fails_fails_only_its_job_and_releases(second_clone: Path) -> None:
    repo = second_clone
    shutil.copytree(repo / "compositions" / "master", repo / "compositions" / "broken",
                    ignore=shutil.ignore_patterns("build", "deploy", "artifact", ".oar-nxc"))
    with (repo / ".gitlab-ci.yml").open("a") as ci:
        ci.write("\n# a copy of master whose REST API check fails (the smoke user's password is wrong)\n"
                 "broken:\n  extends: .oar-nxc-run\n  variables:\n    OAR_NXC_COMPOSITION: compositions/broken\n"
                 "    OAR_NXC_ARGS: -e oar_nxc_smoke_api_password=not-the-password\n")
    gitlab.git(repo, "add", "-A")
    gitlab.git(repo, "commit", "-q", "-m", "a composition with a broken smoke check")
    try:
        done = gitlab.run(repo, "master: [g5k-nfs-store]", "broken", timeout=900)
        out = done.stdout + done.stderr
        assert done.returncode != 0, explain(out)
        assert re.search(r"^ PASS  master: \[g5k-nfs-store\]\s*$", out, re.MULTILINE), explain(out)
        assert re.search(r"^ FAIL  broken\s*$", out, re.MULTILINE), explain(out)
        log = job_log(repo, "broken")
        assert "oar-nxc run: smoke checks failed (exit 5)" in log
        assert re.search(r"failed   rest_api ", log), log[-3000:]
        assert [c.split()[0] for c in re.findall(r"(?:passed|failed)   \w+", log)].count("failed") == 1
        (held,) = JOB_LINE.findall(log)
        assert re.search(r"^broken +Running after script\.\.\.$", out, re.MULTILINE), explain(out)
        # after_script: the run's guard had released the job when the run failed; release finds it ended
        assert re.search(rf"^broken +> oar-nxc release: OAR job {held[0]}: released by the guard, (Error|Terminated)$",
                         out, re.MULTILINE), explain(out)
        assert oar_jobs(EVERY_STATE) == {}
    finally:
        gitlab.git(repo, "reset", "-q", "--hard", "origin/main")


@pytest.mark.testbed
@pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root")
def test_a_job_cancelled_during_the_deploy_still_releases_its_oar_job(second_clone: Path, tmp_path: Path) -> None:
    log_path = tmp_path / "cancelled.log"
    proc = gitlab.start(second_clone, "master: [g5k-ramdisk]", "--variable",
                        "OAR_NXC_ARGS=-e oar_nxc_force_deploy=true", log=log_path)
    try:
        deadline = time.monotonic() + 300
        while "Start the composition with nxc (-f g5k-ramdisk)" not in log_path.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.5)
        time.sleep(3)  # inside nxc start
        assert oar_jobs(EVERY_STATE) != {}
        # the runner's cancel: SIGTERM to the job's script and everything it started (gitlab-ci-local -> its
        # job shell -> the script's shell -> oar-nxc run -> ansible-playbook -> nxc start)
        (shell,) = children().get(proc.pid, [])
        script = descendants(shell)
        assert any("oar-nxc" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace") for pid in script
                   if Path(f"/proc/{pid}/cmdline").exists()), script
        cancelled = time.monotonic()
        for pid in script:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        proc.wait(timeout=300)
        took = time.monotonic() - cancelled
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    log = log_path.read_text(errors="replace")
    assert proc.returncode != 0, explain(log)
    assert re.search(r"^ FAIL  master: \[g5k-ramdisk\]\s*$", log, re.MULTILINE), explain(log)
    assert re.search(r"^master: \[g5k-ramdisk\] +Running after script\.\.\.$", log, re.MULTILINE), explain(log)
    assert re.search(r"^master: \[g5k-ramdisk\] +> oar-nxc release: OAR job \d+: released", log, re.MULTILINE), \
        explain(log)
    assert oar_jobs(EVERY_STATE) == {}
    assert took < 120, took


@pytest.fixture
def batch_clone(pipeline: Pipeline) -> Iterator[Path]:
    """A clone that the test user oartest owns and runs the runner in (the batch job runs as the runner's user),
    set up beforehand (as root: its .venv), with oartest's key authorized on the nodes and a vars file (0600)
    naming it and the REST API password, as a Grid'5000 user's runner has them in its home."""
    with user_key_on_the_nodes() as key:
        top = Path(tempfile.mkdtemp(prefix="oar-nxc-gitlab-batch-"))  # outside pytest's root-only tmp: oartest's
        top.chmod(0o755)
        try:
            repo = gitlab.clone(top)
            done = subprocess.run(["make", "setup"], cwd=str(repo), capture_output=True, text=True, timeout=900,
                                  check=False, env={**gitlab.env(), "CI_JOB_ID": "setup"})
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
            user_vars(top / "site-vars.yml", key)
            subprocess.run(["chown", "-R", tb.USER, str(top)], check=True, timeout=120)
            yield repo
        finally:
            shutil.rmtree(top, ignore_errors=True)
            release_all()


@pytest.mark.testbed
@pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root")
def test_the_batch_mode_runs_the_chain_inside_the_oar_job(batch_clone: Path) -> None:
    site = batch_clone.parent / "site-vars.yml"
    argv = gitlab.command("--variable", "OAR_NXC_CI_BATCH=true", "--variable",
                          f"OAR_NXC_RUNNER_ARGS=--roles node=2 -e @tests/testbed/testbed-vars.yml -e @{site}",
                          "--variable", "OAR_NXC_ARGS=--job-type timesharing=*,*", "master-batch")
    path = gitlab.env()["PATH"]
    done = subprocess.run(["su", tb.USER, "-s", "/bin/sh", "-c",
                           f"cd {shlex.quote(str(batch_clone))} && PATH={shlex.quote(path)} exec {shlex.join(argv)}"],
                          capture_output=True, text=True, timeout=900, check=False, stdin=subprocess.DEVNULL)
    out = done.stdout + done.stderr
    assert done.returncode == 0, explain(out)
    assert re.search(r"^ PASS  master-batch\s*$", out, re.MULTILINE), explain(out)
    log = job_log(batch_clone, "master-batch")
    job_id = int(re.search(r"OAR_JOB_ID=(\d+)", log).group(1))  # type: ignore[union-attr]
    assert f"oar-nxc: OAR job {job_id} Terminated, exit status 0" in log  # the job's exit status is the CI job's
    assert "oar-nxc run: success (exit 0)" in log  # the run's own output, streamed from inside the OAR job
    (results,) = (batch_clone / "oar-nxc-results").glob(f"*/job-{job_id}")
    suite = ET.parse(results / "junit.xml").getroot().find("testsuite")  # noqa: S314 (the run's own report)
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("7", "0")
    record = json.loads((results.parent / "job.json").read_text())
    assert (record["job_id"], record["kind"], record["guard"], record["final_state"]) == (
        job_id, "batch", "ended", "Terminated")
    assert record["name"] == f"oar-nxc-ci-{record['name'].split('-')[3]}-{results.parent.name}"
    assert f"oar-nxc release: OAR job {job_id}: ended, Terminated" in log
    assert oar_jobs(EVERY_STATE) == {}
