"""The oar-nxc command line on the testbed: deploy end to end, plan, the run directory, the
progress output (terminal and plain) and every exit code from a real situation. Root only."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BIN, FIXTURES, REPO, clean_env
from tests.integration import browser
from tests.integration.conftest import run_testbed
from tests.integration.pipeline import TESTBED_VARS, clear_jobs, copy_compositions, oar_jobs
from tests.testbed import oar_testbed as tb

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root (network namespaces, sshd, PostgreSQL)"),
]
CLI = str(BIN / "oar-nxc")
SECRET = "oar-nxc-test-secret-4f1c"  # noqa: S105 (a marker that must not reach the run directory)
# oar-nxc runs from /tmp: Ansible finds the checkout's oar.nxc through this path, as it would find
# an installed collection (tests/integration/test_collection.py runs the built, installed one)
CHECKOUT = {"ANSIBLE_COLLECTIONS_PATH": str(REPO / "collections")}
PROGRESS_LINE = re.compile(r"^\[\s*\d+\.\ds\] \d+/\d+ .+ \| hosts ok \d+, failed \d+, unreachable \d+ \| \d+\.\ds$")


class Setup:
    def __init__(self, reservation: tb.Reservation, master: Path, base: Path) -> None:
        self.reservation = reservation
        self.master = master
        self.base = base
        self.deployed: subprocess.CompletedProcess[str] | None = None

    def args(self, command: str, run_dir: str, *more: str) -> list[str]:
        return [CLI, command, "--nodefile", self.reservation.nodefile, "--composition", str(self.master),
                "-e", f"@{TESTBED_VARS}", "--run-dir", str(self.base / run_dir), *more]


def cli(argv: list[str], *, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False,
                          env=clean_env(OAR_NXC_TEST_SECRET=SECRET, **CHECKOUT), cwd="/tmp")


@pytest.fixture(scope="module")
def setup(cluster: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    clear_jobs()
    reservation = tb.reserve(4, walltime="1:00:00")
    base = tmp_path_factory.mktemp("cli")
    try:
        setup = Setup(reservation, copy_compositions(base) / "master", base)
        setup.deployed = cli(setup.args("deploy", "deploy"))  # every test below starts from this deployment
        yield setup
    finally:
        tb.release(reservation.job_id)


def test_deploy_end_to_end_with_plain_progress(setup: Setup) -> None:
    result = setup.deployed
    assert result is not None
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    out = result.stdout
    assert "\r" not in out
    progress = [line for line in out.splitlines() if line.startswith("[")]
    # plain mode: exactly one line per play and per task started
    run_events = [json.loads(e.read_text()) for e in (setup.base / "deploy/artifacts/run/job_events").glob("*.json")]
    starts = [e for e in run_events if e["event"] in ("playbook_on_play_start", "playbook_on_task_start")]
    assert len(progress) == len(starts) > 30
    assert all(PROGRESS_LINE.match(line) for line in progress), [p for p in progress if not PROGRESS_LINE.match(p)][:3]
    assert any(" 1/10 Check the controller and the inventory: " in line for line in progress)
    assert any(" 9/10 Smoke-test OAR on the deployed composition: " in line for line in progress)
    assert re.search(r"^oar-nxc deploy: success \(exit 0\) in \d+\.\ds$", out, re.MULTILINE)
    assert re.search(r"^    passed   batch_job +job \d+ on 2 nodes: Terminated, exit status 0, output names "
                     r"oarnode2, oarnode3$", out, re.MULTILINE)
    assert re.search(r"^  oarnode1 +\d+ +\d+ +0 +0 +\d+$", out, re.MULTILINE)  # the per-host table
    run_dir = setup.base / "deploy"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert (summary["exit_code"], summary["meaning"], summary["status"]) == (0, "success", "successful")
    assert [c["name"] for c in summary["checks"]] == ["node_sshd", "resources_alive", "batch_job", "failing_job",
                                                      "oardel", "reservation", "rest_api"]
    events = sorted((run_dir / "artifacts/run/job_events").glob("*.json"))
    assert len(events) > 100
    kinds = {json.loads(e.read_text())["event"] for e in events}
    assert {"playbook_on_start", "playbook_on_play_start", "runner_on_ok", "playbook_on_stats"} <= kinds
    junit = ET.parse(run_dir / "junit.xml").getroot()  # noqa: S314 (our own report)
    assert [c.get("name") for c in junit.iter("testcase")] == [c["name"] for c in summary["checks"]]
    assert (run_dir / "deployment.json").read_text() == \
        (setup.master / "deploy/composition::g5k-nfs-store.json").read_text()
    assert (run_dir / "machines").read_text() == "oarnode1\noarnode2\noarnode3\noarnode4\n"


def test_run_directory_holds_no_environment(setup: Setup) -> None:
    run_dir = setup.base / "deploy"
    command = json.loads((run_dir / "artifacts/run/command").read_text())
    assert set(command) == {"command", "cwd"}
    assert not (run_dir / "env").exists()
    leaked = [str(p) for p in run_dir.rglob("*") if p.is_file() and SECRET in p.read_text(errors="replace")]
    assert leaked == []


def test_plan_prints_the_commands_and_runs_nothing(setup: Setup) -> None:
    record = setup.master / ".oar-nxc/start-g5k-nfs-store.json"
    before = (record.stat().st_mtime_ns, oar_jobs(("Running", "Waiting", "Terminated", "Error")))
    result = cli(setup.args("plan", "plan"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    nxc = str(BIN / "nxc")
    lines = result.stdout.splitlines()
    assert "  plan (nothing was run):" in lines
    assert "    nix     SKIP  apt-get install nix-bin" in lines
    assert f"    build   SKIP  timeout -k 30 7200 {nxc} build -f g5k-nfs-store" in lines
    assert (f"    deploy  SKIP  timeout -k 10 120 {nxc} start -f g5k-nfs-store -i /run/oar-testbed/id_ed25519.pub "
            f"-m {setup.master}/.oar-nxc/machines-g5k-nfs-store") in lines
    assert ("    smoke   SKIP  node_sshd, resources_alive, batch_job, failing_job, oardel, reservation, rest_api: "
            "OAR jobs as oartest from frontend") in lines
    assert (record.stat().st_mtime_ns, oar_jobs(("Running", "Waiting", "Terminated", "Error"))) == before


def test_progress_on_a_terminal(setup: Setup) -> None:
    leader, follower = pty.openpty()
    proc = subprocess.Popen(setup.args("smoke", "smoke-tty"), stdin=follower, stdout=follower, stderr=follower,
                            env=clean_env(COLUMNS="200", **CHECKOUT), cwd="/tmp")
    os.close(follower)
    chunks = []
    while True:
        ready, _unused, _unused = select.select([leader], [], [], 1)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=60)
    os.close(leader)
    out = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, out[-3000:]
    frames = [f for f in out.split("\r") if f.startswith("[")]
    assert len(frames) > 20
    assert re.match(r"^\[[#-]{24}\] 1/3 Load the current deployment into the inventory: ", frames[0])
    assert any(f.startswith("[" + "#" * 24 + "]") for f in frames)
    assert not any(PROGRESS_LINE.match(line) for line in out.replace("\r", "\n").splitlines())


def test_exit_code_bad_input(setup: Setup, tmp_path: Path) -> None:
    result = cli([CLI, "deploy", "--nodefile", str(FIXTURES / "bad/space"), "--run-dir",
                  str(tmp_path / "r")])
    assert result.returncode == 2
    assert result.stderr.startswith(f"oar-nxc: {FIXTURES / 'bad/space'}:")
    assert not (tmp_path / "r").exists()
    assert cli([CLI, "deploy", "--run-dir", str(tmp_path / "r")]).stderr == (
        "oar-nxc: --flavour g5k-nfs-store deploys on reserved machines: give --nodefile (or set $OAR_NODEFILE)\n")


def test_exit_code_too_few_machines_is_bad_input(setup: Setup) -> None:
    result = cli(setup.args("redeploy", "too-few", "--nodes", "2"))
    assert result.returncode == 2, result.stdout[-2000:]
    assert "oar-nxc redeploy: bad input (exit 2)" in result.stdout
    assert "master needs 4 hosts (frontend, node1, node2, server) but 2 machine(s) are selected: oarnode1, " \
           "oarnode2" in " ".join(result.stdout.split())


def smoke_with_broken(setup: Setup, run_dir: str, pids: list[int]) -> subprocess.CompletedProcess[str]:
    """Kill PIDS, run `oar-nxc smoke`, then bring the testbed back whatever happened."""
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    try:
        return cli(setup.args("smoke", run_dir))
    finally:
        assert run_testbed("up").returncode == 0


def test_exit_code_smoke_failed(setup: Setup) -> None:
    result = smoke_with_broken(setup, "smoke-broken", [int((tb.STATE / "oar-sshd-oarnode3.pid").read_text())])
    assert result.returncode == 5, result.stdout[-2000:]
    assert "oar-nxc smoke: smoke checks failed (exit 5)" in result.stdout
    assert re.search(r"^    failed   node_sshd +OAR's node sshd \(port 6667\) does not answer within 10 s on node2 "
                     r"\(machine oarnode3, 10\.213\.0\.13\): connection refused$", result.stdout, re.MULTILINE)


def test_the_html_report_shows_what_happened(setup: Setup) -> None:
    """With OAR's REST API down, `oar-nxc smoke` fails rest_api; a real headless chromium opens the page
    (Debian's chromium and chromium-driver, which scripts/setup-dev.sh installs)."""
    assert browser.available()
    result = smoke_with_broken(setup, "smoke-api-down", [int((tb.STATE / "apache.pid").read_text())])
    assert result.returncode == 5, result.stdout[-2000:]
    run_dir = setup.base / "smoke-api-down"
    page = run_dir / "report.html"
    assert f"  report: {page}" in result.stdout.splitlines()
    summary = json.loads((run_dir / "summary.json").read_text())
    seen = browser.look_at(page, run_dir / "report.png")
    assert [entry for entry in seen.console if entry.get("level") == "SEVERE"] == []
    assert seen.page["title"] == "OAR smoke report"
    assert seen.page["phases"] == len(summary["phases"]) >= 2  # one bar per play of the run
    jobs = [c for c in summary["checks"] if c.get("job") is not None]
    assert seen.page["jobs"] == len(jobs) == 4  # batch, failing, oardel, reservation: one bar per OAR job
    assert seen.page["checks"] == 7
    failed = [row for row in seen.page["rows"] if row["status"] == "failed"]
    assert [(row["check"], row["colour"]) for row in failed] == [("rest_api", "rgb(192, 57, 43)")]
    # the resources_alive gate read OAR's database: the API check's first request is its job's POST
    assert failed[0]["message"] == ("POST http://oar-server:6668/oarapi-priv/jobs.json: no answer: Request failed: "
                                    "<urlopen error [Errno 111] Connection refused>")
    assert seen.page["summary"].replace("\n", " ").startswith("6 passed")
    assert (run_dir / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("CI_ARTIFACTS")  # .ci/run keeps the page and its screenshot
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for name in ("report.html", "report.png"):
            shutil.copyfile(run_dir / name, Path(keep) / name)


def test_exit_code_unreachable(setup: Setup) -> None:
    # the frontend's root sshd and its sessions (Ansible keeps ssh master connections open)
    listener = int((tb.STATE / "sshd-oarnode1.pid").read_text())
    in_node = subprocess.run(["ip", "netns", "pids", "oarnode1"], capture_output=True, text=True, check=True).stdout
    sessions = [pid for pid in map(int, in_node.split())
                if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sshd: root@")]
    result = smoke_with_broken(setup, "smoke-unreachable", [listener, *sessions])
    assert result.returncode == 4, result.stdout[-2000:]
    assert "oar-nxc smoke: unreachable hosts (exit 4)" in result.stdout


def test_exit_code_interrupted_then_resume(setup: Setup) -> None:
    proc = subprocess.Popen(setup.args("redeploy", "interrupted"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=clean_env(**CHECKOUT), cwd="/tmp")
    time.sleep(12)  # inside nxc start (its fixed 10 s wait)
    proc.send_signal(signal.SIGINT)
    out, _unused = proc.communicate(timeout=120)
    assert proc.returncode == 130, out[-2000:]
    assert "oar-nxc redeploy: interrupted (exit 130)" in out
    resumed = cli(setup.args("deploy", "resumed"))
    assert resumed.returncode == 0, resumed.stdout[-3000:]
    summary = json.loads((setup.base / "resumed/summary.json").read_text())
    steps = {step["oar_nxc_step"]: step for step in summary["commands"]}
    assert steps["build"]["run"] is False  # already built: skipped
    assert steps["nix"]["run"] is False


def test_plan_on_a_fresh_machine_says_what_it_would_install(tmp_path: Path) -> None:
    """No nixos-compose yet (an empty venv path): plan still exits 0 and lists the install first."""
    venv = tmp_path / "no-venv-yet"
    result = cli([CLI, "plan", "--nodefile", str(FIXTURES / "nodefiles/g5k-two-clusters"), "-e",
                  f"oar_nxc_nxc_venv={venv}", "--run-dir", str(tmp_path / "run")])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    lines = result.stdout.splitlines()
    steps = lines[lines.index("  plan (nothing was run):") + 1:]
    assert steps[:2] == [
        f"    nxc     RUN   python3 -m venv {venv} && {venv}/bin/pip install nixos-compose==0.7.11",
        f"                  install nixos-compose 0.7.11: none in {venv}"]
    assert f"    build   RUN   timeout -k 30 7200 {venv}/bin/nxc build -f g5k-nfs-store" in steps
    assert not venv.exists()
    # Grid'5000 names do not resolve here: the plan lists what deploy would refuse, and goes on
    findings = lines[lines.index("  reservation (found before anything changed):") + 1]
    assert findings.startswith("    WOULD REFUSE ssh: 4 of the 4 reserved machines do not answer on their ssh port, "
                               "and nxc start would wait out its timeout: dahu-12.grenoble.grid5000.fr "
                               "(dahu-12.grenoble.grid5000.fr:22: its name does not resolve (")


def test_the_cli_leaves_the_flavour_to_the_inventorys_group_vars(tmp_path: Path) -> None:
    """No --flavour: oar-nxc passes none, so group_vars/all.yml beside the nodefile decides (docker, refused
    here since community.docker is missing), and the run's record says which flavour ran."""
    nodefile = tmp_path / "nodefile"
    shutil.copyfile(FIXTURES / "nodefiles/g5k-two-clusters", nodefile)
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text("---\noar_nxc_flavour: docker\n")
    result = cli([CLI, "plan", "--nodefile", str(nodefile), "--run-dir", str(tmp_path / "run")])
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr
    assert "The docker flavour needs the collection(s) community.docker" in " ".join(result.stdout.split())
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["exit_code"] == 2
    given = cli([CLI, "plan", "--nodefile", str(nodefile), "--flavour", "g5k-ramdisk", "-e",
                 f"oar_nxc_nxc_venv={tmp_path / 'venv'}", "--run-dir", str(tmp_path / "given")])
    assert given.returncode == 0, given.stdout[-3000:] + given.stderr
    assert json.loads((tmp_path / "given" / "summary.json").read_text())["flavour"] == "g5k-ramdisk"
