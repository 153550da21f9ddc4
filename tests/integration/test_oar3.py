"""OAR 3 for real: the testbed with OAR 3 installed from an OAR developer's checkout (the snapshot
of one in ../shared/upstream, or $OAR_NXC_TEST_OAR3_SRC), then what runs against it: deploy.yml and
smoke.yml (7 checks), the inventory's live job and the preflight, and the developer's loop on an
edited checkout. Root only. The module brings the testbed up with OAR 3 and takes it down at its
end, so that the other modules find OAR 2.5 again.

Real: OAR 3 from the checkout (its daemons, CLI, oarexec, oarsh, REST API), PostgreSQL, ssh,
Ansible, nixos-compose. Stood in for: the image build and the reboot into the image, which here
installs the image's OAR 3 checkout on the testbed (tests/testbed/standin/nxc-standin-kexec-ssh).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import BIN, REPO, clean_env, inventory_list
from tests.integration.pipeline import TESTBED_VARS, clear_jobs, copy_compositions, playbook
from tests.integration.test_reservation import LIVE, PREFLIGHT, cluster_of, job_id_inventory
from tests.testbed import oar_testbed as tb

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root (network namespaces, sshd, PostgreSQL)"),
]
SCRIPT = REPO / "tests" / "testbed" / "testbed.sh"
SNAPSHOT = REPO.parent / "shared" / "upstream" / "oar3-c332316a.tar.gz"
VERSION = "3.0.3dev"  # what the snapshot's oarsub -V prints
API = "http://oar-server:6668/api/"
CHECKS = ["node_sshd", "resources_alive", "batch_job", "failing_job", "oardel", "reservation", "rest_api"]


def oar3_source() -> Path:
    given = os.environ.get("OAR_NXC_TEST_OAR3_SRC")
    if given:
        return Path(given).resolve()
    if SNAPSHOT.exists():
        return SNAPSHOT
    if os.environ.get("CI"):
        pytest.fail(f"no OAR 3 checkout: set OAR_NXC_TEST_OAR3_SRC (the snapshot is not at {SNAPSHOT})")
    pytest.skip(f"no OAR 3 checkout: set OAR_NXC_TEST_OAR3_SRC, or put the snapshot at {SNAPSHOT}")


def oar3_testbed(action: str, src: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TESTBED_NODES": "4"}
    env.pop("TESTBED_OAR_SRC", None)
    if src is not None:
        env["TESTBED_OAR_SRC"] = str(src)
    return subprocess.run([str(SCRIPT), action], capture_output=True, text=True, timeout=900, check=False, env=env)


@dataclass
class Up:
    src: Path
    seconds: float
    output: str
    before: dict[str, str]  # what down must give back (machine_state() before up)


def machine_state() -> dict[str, str]:
    """What the OAR 3 testbed touches outside its own directories."""
    def out(*argv: str) -> str:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout

    return {"oar user": out("getent", "passwd", "oar"), "oar group": out("getent", "group", "oar"),
            "oar password status": " ".join(out("passwd", "-S", "oar").split()[1:2]),
            "/usr/local/bin": "\n".join(sorted(p.name for p in Path("/usr/local/bin").iterdir())),
            "/etc/hosts": Path("/etc/hosts").read_text(), "oar home": out("ls", "-a", "/var/lib/oar"),
            "listening": "\n".join(sorted({ln.split()[3] for ln in out("ss", "-Hltn").splitlines()
                                           if len(ln.split()) > 3}))}


@pytest.fixture(scope="module")
def oar3() -> Iterator[Up]:
    src = oar3_source()
    if (tb.STATE / "nodes").exists():  # another testbed is up: down first, so that "before" is the machine's
        assert oar3_testbed("down").returncode == 0
    before = machine_state()
    start = time.monotonic()
    result = oar3_testbed("up", src)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"\nOAR 3 testbed up in {time.monotonic() - start:.1f} s")
    try:
        yield Up(src, time.monotonic() - start, result.stdout, before)
    finally:
        down = oar3_testbed("down")
        assert down.returncode == 0, down.stdout + down.stderr


def test_the_testbed_runs_oar_3_from_the_checkout(oar3: Up) -> None:
    assert f"up: 4 nodes, OAR OAR version : {VERSION}, 8 resources Alive" in oar3.output
    start = time.monotonic()
    again = oar3_testbed("up", oar3.src)  # idempotent: nothing rebuilt, no resource added twice
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert "OAR 3 already built from this source" in again.stdout and "pip install" not in again.stdout
    assert again.stdout.rstrip().endswith(f"up: 4 nodes, OAR OAR version : {VERSION}, 8 resources Alive")
    print(f"\nOAR 3 testbed up again in {time.monotonic() - start:.1f} s")
    version = tb.as_user("oarsub -V")
    assert (version.returncode, version.stdout.strip()) == (0, f"OAR version : {VERSION}")
    assert Path("/usr/local/bin/oarsub").resolve() == Path("/var/lib/oar-testbed/bin/oarsub")
    status = oar3_testbed("status").stdout
    assert f"OAR: 3 from {oar3.src}" in status and f"OAR REST API: {API.replace('oar-server', '10.213.0.1')}" in status
    with urllib.request.urlopen(API, timeout=10) as answer:
        index = json.loads(answer.read())
    assert index["oar_version"] == VERSION
    with pytest.raises(urllib.error.HTTPError) as denied:  # the NixOS module's basic auth
        urllib.request.urlopen(API.replace("/api/", "/api-priv/"), timeout=10)  # noqa: S310
    assert denied.value.code == 401
    # the database was made by OAR 3's own tool, and OAR 3 runs jobs on the nodes (oarexec, oarsh)
    job = tb.submit("nodes=2,walltime=0:05:00", "uniq $OAR_NODEFILE; oarsh $(uniq $OAR_NODEFILE | tail -1) hostname")
    assert tb.wait_state(job, tb.FINAL_STATES, timeout=120) == "Terminated"
    hosts = (tb.HOME / f"OAR.{job}.stdout").read_text().split()
    assert len(hosts) == 3 and hosts[2] == hosts[1] and all(h.startswith("oarnode") for h in hosts), hosts


def test_the_scenario_suite_on_oar_3(oar3: Up, tmp_path: Path) -> None:
    """compositions/master's scenarios on OAR 3, before the module reserves its machines (they need every node
    free): each passes, or fails as a known OAR 3 defect the scenario names (a dependency on a job that exited
    non-zero is never met); OAR 3's log of the run holds no traceback."""
    from tests.integration.test_scenarios import clear_jobs, no_job_left, run_suite

    clear_jobs()
    log = tb.LOG / "oar3.log"
    offset = log.stat().st_size if log.exists() else 0
    done, outcomes, seconds = run_suite(tmp_path, "3")
    assert done.returncode == 0, done.stdout + done.stderr
    statuses = {name: o["status"] for name, o in outcomes.items()}
    assert {n: s for n, s in statuses.items() if s != "passed"} == {"dependency-after-failure": "known OAR defect"}
    defect = outcomes["dependency-after-failure"]
    assert str(defect["known_defect"]).startswith("OAR 3 never starts a job whose required job ended Terminated")
    assert defect["problems"] and defect["commands"]  # what failed, and the commands that reproduce it
    assert len(outcomes) >= 11 and seconds < 400, seconds
    with log.open("rb") as handle:
        handle.seek(offset)
        said = handle.read().decode("utf-8", "replace")
    assert "Traceback" not in said and "[   ERROR]" not in said, said[-3000:]
    assert no_job_left() == []


@dataclass
class Deployed3:
    reservation: tb.Reservation
    compositions: Path
    deploy_seconds: float
    smoke_seconds: float
    report: dict


@pytest.fixture(scope="module")
def deployed3(oar3: Up, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed3]:
    clear_jobs()
    reservation = tb.reserve(4, walltime="1:00:00")
    compositions = copy_compositions(tmp_path_factory.mktemp("oar3"))
    try:
        deploy = playbook("deploy.yml", "-e", "oar_nxc_smoke=false", inventory=reservation.nodefile,
                          compositions=compositions)
        assert deploy.rc == 0, deploy.explain()
        smoke = playbook("smoke.yml", inventory=reservation.nodefile, compositions=compositions)
        assert smoke.rc == 0, smoke.explain()
        print(f"\nOAR 3: deploy.yml {deploy.seconds:.1f} s, smoke.yml {smoke.seconds:.1f} s")
        report = json.loads((compositions / "master/.oar-nxc/reports/report.json").read_text())
        yield Deployed3(reservation, compositions, deploy.seconds, smoke.seconds, report)
    finally:  # the last test takes the testbed down, its job running: then nothing is left to release
        if (tb.STATE / "oar").exists() and tb.state(reservation.job_id) not in tb.FINAL_STATES:
            tb.release(reservation.job_id)


def test_deploy_then_smoke_pass_every_check_on_oar_3(deployed3: Deployed3) -> None:
    report = deployed3.report
    assert [(c["name"], c["status"]) for c in report["checks"]] == [(name, "passed") for name in CHECKS]
    assert report["summary"] == {"passed": 7, "failed": 0, "skipped": 0}
    assert report["oar_version"] == VERSION  # what oarsub -V printed on the submit host
    messages = {c["name"]: c["message"] for c in report["checks"]}
    assert messages["rest_api"] == f"{API}: OAR {VERSION} (oarsub -V), api_version 3.0.0.dev11, whoami oartest"
    assert re.fullmatch(r"job \d+ reserved for \S+ \S+: Advance reservation is GRANTED, then cancelled",
                        messages["reservation"]), messages["reservation"]
    assert re.fullmatch(r"job \d+: Terminated with exit_code 768 \(exit status 3\)", messages["failing_job"])
    assert re.fullmatch(r"job \d+: Running, oardel, then Error", messages["oardel"])
    # OAR 3's JSON names no host (oar3 #158): the batch job's own output names its nodes
    assert re.fullmatch(r"job \d+ on 2 nodes: Terminated, exit status 0, output names oarnode\d, oarnode\d",
                        messages["batch_job"]), messages["batch_job"]
    page = (deployed3.compositions / "master/.oar-nxc/reports/report.html").read_text()
    assert f", OAR {VERSION} (oarsub -V)</p>" in page


def test_the_live_oar_3_job_in_the_inventory(deployed3: Deployed3, tmp_path: Path) -> None:
    """A job id alone: OAR 3's JSON names no host, so the machines come from ``oarstat -p`` and the
    walltime from its text ``oarstat -f``."""
    job = deployed3.reservation
    inventory = job_id_inventory(job.job_id, tmp_path)
    # the job was deployed: its inventory also holds the deployed hosts nxc start recorded (oar_nxc.inventory.known)
    deployed = inventory["nxc_nodes"]["hosts"]
    assert sorted(deployed) == ["frontend", "node1", "node2", "server"]
    hostvars = {h: v for h, v in inventory["_meta"]["hostvars"].items() if h not in deployed}
    assert sorted(hostvars) == sorted(inventory["oar_nodes"]["hosts"]) == sorted(job.hosts)
    assert {h: (v["oar_cores"], v["oar_properties"]["cluster"], v["oar_in_job"]) for h, v in hostvars.items()} == {
        h: (2, cluster_of(h), True) for h in job.hosts}
    for cluster in ("alpha", "beta"):
        assert sorted(inventory[f"by_cluster_{cluster}"]["hosts"]) == sorted(
            h for h in job.hosts if cluster_of(h) == cluster)
    oar_job = hostvars[job.hosts[0]]["oar_job"]
    assert {k: oar_job[k] for k in ("id", "state", "owner", "walltime", "oar")} == {
        "id": job.job_id, "state": "Running", "owner": "oartest", "walltime": 3600, "oar": "3"}
    assert 2800 < oar_job["remaining"] <= 3600
    # the nodefile itself, with its live job: the same cores
    live = inventory_list(job.nodefile, env=clean_env(**LIVE))["_meta"]["hostvars"]
    assert {h: v["oar_cores"] for h, v in live.items() if h.startswith("oarnode")} == dict.fromkeys(job.hosts, 2)


def test_two_oar_3_jobs_in_one_configuration(oar3: Up, deployed3: Deployed3, tmp_path: Path) -> None:
    """Several jobs by id (one per site on Grid'5000): each machine with its own job."""
    first = deployed3.reservation
    second = tb.submit("nodes=1,walltime=0:20:00", "sleep 1200", tb.SHARED)
    try:
        tb.wait_state(second, ("Running",), timeout=120)
        config = tmp_path / "jobs.oar_nxc.yml"
        config.write_text(f"plugin: oar.nxc.oar_nxc\njob_id: [{first.job_id}, {second}]\n")
        result = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(config), "--list"], capture_output=True,
                                text=True, env=clean_env(**LIVE), check=False, timeout=120)
        assert result.returncode != 0  # the second job's machine is in the first job too: named, not merged
        said = " ".join(result.stderr.split())
        assert f"job {first.job_id}" in said and f"job {second}" in said, said[-1500:]
    finally:
        tb.release(second)


def test_the_preflight_refuses_a_deleted_oar_3_job_and_one_about_to_end(oar3: Up, deployed3: Deployed3,
                                                                        tmp_path: Path) -> None:
    short = tb.reserve(1, walltime="0:05:00")
    try:
        warned = playbook("playbooks/preflight.yml", "-e", "oar_nxc_preflight_machines=true",
                          inventory=short.nodefile)
    finally:
        state = tb.release(short.job_id)
    assert warned.rc == 2, warned.explain()  # refused: the run would outlive the job
    said = " ".join(" ".join(warned.failures()).split())
    assert re.search(rf"OAR job {short.job_id} ends in 4 min \d\d s \(at \d\d:\d\d:\d\d\), less "
                     r"than the 15 min 00 s of oar_nxc_min_walltime: the run would outlive the job", said), said
    refused = playbook("deploy.yml", inventory=short.nodefile, compositions=deployed3.compositions)
    assert refused.rc == 2, refused.explain()
    assert refused.seconds < 60
    assert refused.plays() == [PREFLIGHT]
    (failure,) = refused.failures()
    assert (f"OAR job {short.job_id} is {state}, not Running: its machines are not yours any more: reserve "
            "again and give the new job's nodefile") in failure


BUILD = "Build the composition with nxc (-f g5k-nfs-store)"
START = "Start the composition with nxc (-f g5k-nfs-store)"


def task_results(run_dir: Path, task: str) -> list[dict]:
    """The results of TASK (its name without the role) in an oar-nxc run directory's events."""
    out = []
    # in the order they happened: ansible-runner names them <counter>-<uuid>.json
    for path in sorted((run_dir / "artifacts/run/job_events").glob("*.json"), key=lambda p: int(p.name.split("-")[0])):
        event = json.loads(path.read_text())
        data = event.get("event_data", {})
        if event.get("event") == "runner_on_ok" and str(data.get("task", "")).endswith(task):
            out.append(data.get("res", {}))
    return out


def cli(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "oar-nxc"), *argv], capture_output=True, text=True, timeout=900, check=False,
                          env=clean_env(ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections")), cwd="/tmp")


def test_the_dev_loop_runs_the_edited_oar_3(oar3: Up, deployed3: Deployed3, tmp_path: Path) -> None:
    """Unpack the checkout, point a setup variant at it, deploy; edit what ``oarsub -V`` prints; one
    ``oar-nxc dev`` rebuilds, redeploys, and the smoke report shows the edited OAR, as OAR itself
    prints it; a second ``dev`` with nothing changed builds and starts nothing."""
    if oar3.src.is_dir():
        checkout = oar3.src
    else:
        with tarfile.open(oar3.src) as archive:
            archive.extractall(tmp_path)  # noqa: S202 (the project's own test input)
        checkout = next(p.parent for p in tmp_path.glob("*/pyproject.toml") if (p.parent / "oar/__init__.py").exists())
    master = deployed3.compositions / "master"
    (master / "setup.toml").write_text((master / "setup.toml").read_text() + f'\n[mine.options]\nnix-flags = '
                                       f'"--impure"\n\n[mine.build.nur.repos.kapack.oar]\nsrc = "{checkout}"\n')
    nodefile = deployed3.reservation.nodefile
    common = ["--nodefile", nodefile, "--composition", str(master), "--setup", "mine", "-e", f"@{TESTBED_VARS}"]

    first = cli(["dev", *common, "--run-dir", str(tmp_path / "dev1"), "--json"])
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    report = json.loads((tmp_path / "dev1/report.json").read_text())  # the CLI keeps it in its run directory
    assert (report["oar_version"], report["summary"]) == (VERSION, {"passed": 7, "failed": 0, "skipped": 0})

    init = checkout / "oar/__init__.py"
    edited = VERSION + "+edited-by-the-test"
    init.write_text(init.read_text().replace(f'__version__ = "{VERSION}"', f'__version__ = "{edited}"'))
    start = time.monotonic()
    second = cli(["dev", *common, "--run-dir", str(tmp_path / "dev2"), "--json"])
    seconds = time.monotonic() - start
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-2000:]
    report = json.loads((tmp_path / "dev2/report.json").read_text())
    assert report["oar_version"] == edited  # the deployed OAR is the edited one: its own oarsub -V says so
    assert report["summary"] == {"passed": 7, "failed": 0, "skipped": 0}
    rest = next(c for c in report["checks"] if c["name"] == "rest_api")
    assert f"OAR {edited} (oarsub -V)" in rest["message"]
    assert tb.as_user("oarsub -V").stdout.strip() == f"OAR version : {edited}"
    (build,) = task_results(tmp_path / "dev2", BUILD)
    assert (build["changed"], build["why"]) == (True, f"rebuilt because {init} changed")
    # nxc start ran again (its second task, the "start again if a host does not answer" one, did not)
    assert next(r["changed"] for r in task_results(tmp_path / "dev2", START)) is True
    print(f"\nOAR 3 dev loop after an edit: {seconds:.1f} s")

    third = cli(["dev", *common, "--run-dir", str(tmp_path / "dev3"), "--json"])
    assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-2000:]
    assert [r["changed"] for r in task_results(tmp_path / "dev3", BUILD)] == [False]
    starts = task_results(tmp_path / "dev3", START)
    assert starts and not any(r["changed"] for r in starts)
    assert starts[0]["why"].startswith("this build is already deployed"), starts[0]["why"]
    assert json.loads((tmp_path / "dev3/report.json").read_text())["oar_version"] == edited


def test_run_reserves_deploys_tests_and_releases_on_oar_3(oar3: Up, deployed3: Deployed3, tmp_path: Path) -> None:
    """oar.nxc.run with no nodefile on OAR 3: its own job (named, timesharing with the module's), the 7
    checks, released at the end; the module's job is not touched."""
    results = tmp_path / "run3"
    job_request = '{"oar_nxc_job": {"nodes": 4, "walltime": "0:20:00", "name": "oar-nxc-3"}}'
    run = playbook("run.yml", "-e", job_request, "-e", f"oar_nxc_report_dir={results}",
                   compositions=deployed3.compositions)
    assert run.rc == 0, run.explain()
    job = json.loads((results / "job.json").read_text())
    assert (job["guard"], job["oar"], job["owner"], job["name"]) == ("released", "3", "oartest", "oar-nxc-3")
    assert [(m["name"], m["cores"]) for m in job["machines"]] == [(f"oarnode{i}", 2) for i in range(1, 5)]
    assert job["walltime"] == 1200
    assert tb.state(job["job_id"]) in tb.FINAL_STATES
    report = json.loads((results / "report.json").read_text())
    assert [(c["name"], c["status"]) for c in report["checks"]] == [(name, "passed") for name in CHECKS]
    assert tb.state(deployed3.reservation.job_id) == "Running"


def test_down_removes_what_oar_3_added(oar3: Up, deployed3: Deployed3) -> None:
    """The last test of the module: down gives the machine back as up found it, with a job still
    running (the module's reservation): its runtime files in the oar user's home go too."""
    assert tb.state(deployed3.reservation.job_id) == "Running"
    down = oar3_testbed("down")
    assert (down.returncode, down.stdout.strip().splitlines()[-1]) == (0, "testbed: down"), down.stderr
    assert not Path("/var/lib/oar-testbed").exists() and not tb.STATE.exists()
    after = machine_state()
    assert {k: v for k, v in after.items() if v != oar3.before[k]} == {}
    # the database is gone: asked of PostgreSQL, started for the question when down stopped it
    postgresql = ["pg_ctlcluster", "15", "main"]
    running = subprocess.run([*postgresql, "status"], capture_output=True, check=False).returncode == 0
    if not running:
        subprocess.run([*postgresql, "start"], capture_output=True, check=True, timeout=60)
    try:
        asked = subprocess.run(["su", "-", "postgres", "-c", "psql -Atc 'select datname from pg_database'"],
                               capture_output=True, text=True, check=True, timeout=60)
    finally:
        if not running:
            subprocess.run([*postgresql, "stop"], capture_output=True, check=True, timeout=60)
    assert "postgres" in asked.stdout.split() and "oar" not in asked.stdout.split()
