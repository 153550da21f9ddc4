"""deploy.yml end to end on the local testbed, from a real reservation's nodefile.

Real: Ansible, ssh, nixos-compose 0.7.11 (build, machine file, role assignment, deployment
file, its nmap wait), Debian's nix (nix-instantiate evaluates the composition), OAR 2.5
(oarsub, oarstat, oarnodes, oardel as a normal user). Stood in for: the image build and the
reboot into the image (tests/testbed/standin/). Root only.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from oar_nxc.inventory import known
from tests.conftest import REPO, inventory_list, run
from tests.integration.conftest import run_testbed
from tests.integration.pipeline import Run, clear_jobs, copy_compositions, netns_state, playbook
from tests.testbed import oar_testbed as tb
from tests.unit.oar_nxc.test_collection import SMOKE_PLAYS, START_PLAYS

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root (network namespaces, sshd, PostgreSQL)"),
]

CHECKS = ["node_sshd", "resources_alive", "batch_job", "failing_job", "oardel", "reservation", "rest_api"]
PLAYS = ["Check the controller and the inventory", "Install nixos-compose and nix", "Build the composition",
         *START_PLAYS, *SMOKE_PLAYS]


class Deployed:
    def __init__(self, reservation: tb.Reservation, compositions: Path, first: Run) -> None:
        self.reservation = reservation
        self.compositions = compositions
        self.first = first

    @property
    def master(self) -> Path:
        return self.compositions / "master"

    def report(self) -> dict:
        return json.loads((self.master / ".oar-nxc/reports/report.json").read_text())


@pytest.fixture(scope="module")
def deployed(cluster: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    clear_jobs()
    reservation = tb.reserve(4, walltime="1:00:00")
    compositions = copy_compositions(tmp_path_factory.mktemp("pipeline"))
    try:
        first = playbook("deploy.yml", inventory=reservation.nodefile, compositions=compositions)
        yield Deployed(reservation, compositions, first)
    finally:
        if tb.state(reservation.job_id) not in tb.FINAL_STATES:  # teardown may have released it
            tb.release(reservation.job_id)


def test_deploy_end_to_end(deployed: Deployed) -> None:
    first = deployed.first
    assert first.rc == 0, first.explain()
    assert first.plays() == PLAYS
    held = first.result["plays"][-1]["tasks"][-1]  # the job still ran when the checks ended
    assert [res["msg"] for res in held["hosts"].values()] == [
        f"OAR job {deployed.reservation.job_id} still holds its machines (Running)"]
    # nxc gave the machines (nodefile order) to the roles in alphabetical order
    deploy_file = deployed.master / "deploy/composition::g5k-nfs-store.json"
    deployment = json.loads(deploy_file.read_text())["deployment"]
    assert {ip: (e["role"], e["host"]) for ip, e in deployment.items()} == {
        "10.213.0.11": ("frontend", "frontend"), "10.213.0.12": ("node", "node1"),
        "10.213.0.13": ("node", "node2"), "10.213.0.14": ("server", "server")}
    assert [netns_state(f"oarnode{i}") for i in range(1, 5)] == [
        {"role": "frontend", "hostname": "frontend", "ip_addr": "10.213.0.11"},
        {"role": "node", "hostname": "node1", "ip_addr": "10.213.0.12"},
        {"role": "node", "hostname": "node2", "ip_addr": "10.213.0.13"},
        {"role": "server", "hostname": "server", "ip_addr": "10.213.0.14"}]
    assert (deployed.master / ".oar-nxc/machines-g5k-nfs-store").read_text() == \
        "oarnode1\noarnode2\noarnode3\noarnode4\n"
    assert not (deployed.master / ".oar-nxc/launches-g5k-nfs-store").exists()  # nxc's own launches by default


def test_deployed_hosts_get_the_plugins_groups_and_variables(deployed: Deployed) -> None:
    """What nxc_deploy adds in memory is what the oar_nxc plugin makes of the same files: the same
    groups and every variable, so a variable added to the core reaches both (one description)."""
    added = {}
    for play in deployed.first.result["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == "oar.nxc.nxc_deploy : Add the deployed hosts to the inventory":
                for res in task["hosts"].values():
                    for item in res["results"]:
                        added[item["add_host"]["host_name"]] = item["add_host"]
    config = deployed.compositions.parent / "both.oar_nxc.yml"  # not in the composition: it is a build input
    config.write_text(f"plugin: oar_nxc\nnodefile: {deployed.reservation.nodefile}\n"
                      f"deployment: {deployed.master / 'deploy/composition::g5k-nfs-store.json'}\n"
                      "python_interpreter: /usr/bin/python3\nprivate_key_file: /run/oar-testbed/id_ed25519\n")
    plugin = inventory_list(config)
    assert sorted(added) == ["frontend", "node1", "node2", "server"]
    for host, entry in added.items():
        groups = sorted(g for g, data in plugin.items() if host in data.get("hosts", []))
        assert sorted(entry["groups"]) == groups
        assert entry["host_vars"] == plugin["_meta"]["hostvars"][host], host
    assert added["node1"]["host_vars"]["oar_machine"] == "oarnode2"


def test_smoke_report_and_junit(deployed: Deployed) -> None:
    report = deployed.report()
    assert [(c["name"], c["status"]) for c in report["checks"]] == [
        ("node_sshd", "passed"), ("resources_alive", "passed"), ("batch_job", "passed"), ("failing_job", "passed"),
        ("oardel", "passed"), ("reservation", "passed"), ("rest_api", "passed")]
    assert report["summary"] == {"passed": 7, "failed": 0, "skipped": 0}
    assert report["submit_host"] == "frontend"
    assert report["user"] == "oartest"
    assert report["nodes"] == ["node1", "node2"]
    assert report["addresses"] == ["oarnode2", "oarnode3"]
    assert (report["build"]["variant"], report["build"]["sources"]) == ("", {})  # no dev variant: no outside source
    assert len(report["build"]["fingerprint"]) == 64
    messages = {c["name"]: c["message"] for c in report["checks"]}
    assert messages["batch_job"].endswith("Terminated, exit status 0, output names oarnode2, oarnode3")
    assert "(exit status 3)" in messages["failing_job"]
    assert messages["oardel"].endswith(": Running, oardel, then Error")
    assert "Reservation valid" in messages["reservation"]
    assert re.fullmatch(r"http://oar-server:6668/oarapi/: OAR 2\.5\.9 \(Canicule\), API 1\.0\.2, 8 resources; job \d+ "
                        r"submitted as oartest, read back \(\w+\), then Terminated",
                        messages["rest_api"]), messages["rest_api"]
    junit = ET.parse(deployed.master / ".oar-nxc/reports/junit.xml").getroot()  # noqa: S314 (our own report)
    suite = junit.find("testsuite")
    assert suite is not None
    assert [case.get("name") for case in suite.iter("testcase")] == CHECKS
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("7", "0", "0")
    assert suite.findall("testcase/skipped") == []


def test_tree_is_left_clean(deployed: Deployed) -> None:
    # nxc build and start rewrite setup.toml; the roles put it back byte for byte
    for name in ("master", "nfs-home"):
        assert (deployed.compositions / name / "setup.toml").read_bytes() == \
            (REPO / "compositions" / name / "setup.toml").read_bytes()
    status = run(["git", "status", "--porcelain", "--untracked-files=all", "compositions"])
    assert status.stdout == ""


def test_rerun_changes_nothing(deployed: Deployed) -> None:
    again = playbook("deploy.yml", inventory=deployed.reservation.nodefile, compositions=deployed.compositions)
    assert again.rc == 0, again.explain()
    assert again.changed_in("Install nixos-compose and nix") == []
    assert again.changed_in("Build the composition") == []
    assert again.changed_in("Start the composition with nxc") == []
    (build,) = [res for play in again.result["plays"] for task in play["tasks"]
                if task["task"]["name"] == "oar.nxc.nxc_build : Build the composition with nxc (-f g5k-nfs-store)"
                for res in task["hosts"].values()]
    assert (build["changed"], build["up_to_date"]) == (False, True)
    assert build["why"].startswith("up to date (") and build["why"].endswith(
        " input files unchanged since the last build): nxc build skipped")
    (start,) = results(again, "oar.nxc.nxc_deploy : Start the composition with nxc (-f g5k-nfs-store)")[:1]
    assert (start["changed"], start["probe"], start["why"]) == (
        False, True, "this build is already deployed on oarnode1, oarnode2, oarnode3, oarnode4: nxc start skipped "
                     "(force starts again)")
    # one task on the controller asks every deployed host once, each answered at once
    (asked,) = results(again, ASK)
    assert sorted((p["host"], p["ok"]) for p in asked["probes"]) == [
        ("frontend", True), ("node1", True), ("node2", True), ("server", True)]
    assert asked["asked"] == {"frontend": 1, "node1": 1, "node2": 1, "server": 1}
    assert again.changed_in("Start again when the recorded deployment does not answer") == []
    assert deployed.report()["summary"] == {"passed": 7, "failed": 0, "skipped": 0}
    # the inventory of the nodefile already holds the deployed hosts, from the job's record: none is added again
    assert start["add_hosts"] == []
    (added,) = results(again, "oar.nxc.nxc_deploy : Add the deployed hosts to the inventory")[:1]
    assert (added.get("skipped"), added["results"]) == (True, [])
    record = known.record_path(deployed.reservation.job_id)
    inventory = inventory_list(deployed.reservation.nodefile)
    assert inventory["nxc_nodes"]["hosts"] == [h["name"] for h in start["hosts"]]
    for host in start["hosts"]:
        assert inventory["_meta"]["hostvars"][host["name"]] == {**host["vars"], "nxc_deployed_record": record}
    assert stat.S_IMODE(os.stat(record).st_mode) == 0o600


ASK = "Ask every deployed host for the role nxc gave it"
WAIT = "Wait for every host started again to report the role nxc gave it"


def results(run: Run, task_name: str) -> list[dict]:
    return [res for play in run.result["plays"] for task in play["tasks"] if task["task"]["name"] == task_name
            for res in task["hosts"].values()]


START = "oar.nxc.nxc_deploy : Start the composition with nxc (-f g5k-nfs-store)"
REFRESH = "oar.nxc.nxc_deploy : Refresh the inventory from its sources"
ADD = "oar.nxc.nxc_deploy : Add the deployed hosts to the inventory"


def task_names(run: Run) -> list[str]:
    return [task["task"]["name"] for play in run.result["plays"] for task in play["tasks"]]


def test_a_start_refreshes_the_inventory_from_the_record_instead_of_adding_each_host(deployed: Deployed) -> None:
    """From nxc_deploy_refresh_from hosts (REFRESH_FROM by default; 1 here, for the testbed's 4), a start that
    wrote the job's record refreshes the inventory, which reads the record: no add_host at all. With
    nxc_deploy_parallel_launch, the machines' launches run in the background, each awaited."""
    again = playbook("deploy.yml", "-e", "oar_nxc_smoke=false", "-e", "oar_nxc_force_deploy=true",
                     "-e", "nxc_deploy_refresh_from=1", "-e", "nxc_deploy_parallel_launch=true",
                     inventory=deployed.reservation.nodefile, compositions=deployed.compositions)
    assert again.rc == 0, again.explain()
    # nxc launched each machine through kexec-launch.sh, in the background, and the action waited for each:
    # nxc's own ssh command (the testbed's stand-in, NIXOS_COMPOSE_START_SSH), the address, nxc's remote command
    launches = deployed.master / ".oar-nxc/launches-g5k-nfs-store"
    standin = str(REPO / "tests/testbed/standin/nxc-standin-kexec-ssh")
    kexec = f"{deployed.master}/artifact/composition/g5k-nfs-store/kexec_scripts/kexec.sh"
    assert [(launches / f"{n}.argv").read_text().splitlines() for n in range(4)] == [
        [standin, f"10.213.0.{11 + n}", f'screen -dm bash -c "  {kexec}"'] for n in range(4)]
    assert [(launches / f"{n}.rc").read_text() for n in range(4)] == ["0\n"] * 4
    assert sorted(p.name for p in launches.iterdir() if not p.name.startswith("slot.")) == sorted(
        f"{n}.{kind}" for n in range(4) for kind in ("argv", "out", "pid", "rc"))

    (start,) = results(again, START)[:1]
    record = known.record_path(deployed.reservation.job_id)
    assert (start["changed"], start["inventory_refresh"], start["inventory_record"]) == (True, True, record)
    assert [h["name"] for h in start["add_hosts"]] == ["frontend", "node1", "node2", "server"]
    assert task_names(again).count(REFRESH) == 1
    (added,) = results(again, ADD)[:1]
    assert (added.get("skipped"), added["results"]) == (True, [])  # the refreshed inventory holds them all
    (asked,) = results(again, ASK)
    assert sorted((p["host"], p["ok"]) for p in asked["probes"]) == [
        ("frontend", True), ("node1", True), ("node2", True), ("server", True)]
    inventory = inventory_list(deployed.reservation.nodefile)
    for host in start["hosts"]:
        assert inventory["_meta"]["hostvars"][host["name"]] == {**host["vars"], "nxc_deployed_record": record}


def test_a_refresh_that_does_not_read_the_record_adds_each_host_as_before(deployed: Deployed) -> None:
    """A config that names its deployment file reads no record: after the refresh, every host is added."""
    config = deployed.compositions.parent / "named.oar_nxc.yml"
    config.write_text(f"plugin: oar_nxc\nnodefile: {deployed.reservation.nodefile}\n"
                      f"deployment: {deployed.master / 'deploy/composition::g5k-nfs-store.json'}\n"
                      "python_interpreter: /usr/bin/python3\nprivate_key_file: /run/oar-testbed/id_ed25519\n")
    again = playbook("deploy.yml", "-e", "oar_nxc_smoke=false", "-e", "oar_nxc_force_deploy=true",
                     "-e", "nxc_deploy_refresh_from=1", inventory=str(config), compositions=deployed.compositions)
    assert again.rc == 0, again.explain()
    (start,) = results(again, START)[:1]
    assert (start["changed"], start["inventory_refresh"]) == (True, True)
    assert task_names(again).count(REFRESH) == 1
    (added,) = results(again, ADD)[:1]
    assert sorted(item["add_host"]["host_name"] for item in added["results"]) == [
        "frontend", "node1", "node2", "server"]
    (asked,) = results(again, ASK)
    assert sorted((p["host"], p["ok"]) for p in asked["probes"]) == [
        ("frontend", True), ("node1", True), ("node2", True), ("server", True)]


def test_a_node_that_lost_its_deployment_is_started_again(deployed: Deployed) -> None:
    role_file = Path("/etc/netns/oarnode3/nxc/role")
    role_file.write_text("rebooted\n")  # as if the node had been rebooted into another system
    again = playbook("deploy.yml", "-e", "oar_nxc_smoke=false", inventory=deployed.reservation.nodefile,
                     compositions=deployed.compositions)
    assert again.rc == 0, again.explain()
    assert again.changed_in("Start the composition with nxc") == []
    # the start task of the first play, of the restart play, of the smoke's load play (skipped)
    restart = results(again, "oar.nxc.nxc_deploy : Start the composition with nxc (-f g5k-nfs-store)")[1]
    assert restart["changed"] is True
    assert restart["why"] == ("the recorded deployment does not answer: node2 (/etc/nxc/role says rebooted, the "
                              "deployment file says node)")
    assert role_file.read_text() == "node\n"
    (probe,), (wait,) = results(again, ASK), results(again, WAIT)
    assert sorted((p["host"], p["ok"]) for p in probe["probes"]) == [
        ("frontend", True), ("node1", True), ("node2", False), ("server", True)]
    assert sorted((p["host"], p["ok"]) for p in wait["probes"]) == [
        ("frontend", True), ("node1", True), ("node2", True), ("server", True)]


@pytest.mark.parametrize("name", ["deploy.yml", "redeploy.yml", "install_nix.yml", "build.yml", "smoke.yml",
                                  "teardown.yml"])
def test_check_mode(deployed: Deployed, name: str) -> None:
    result = playbook(name, "--check", inventory=deployed.reservation.nodefile, compositions=deployed.compositions)
    assert result.rc == 0, result.explain()
    assert result.failures() == []


def test_smoke_fails_fast_naming_a_broken_node(deployed: Deployed) -> None:
    pidfile = tb.STATE / "oar-sshd-oarnode2.pid"
    os.kill(int(pidfile.read_text()), 15)
    try:
        broken = playbook("smoke.yml", inventory=deployed.reservation.nodefile, compositions=deployed.compositions)
    finally:
        assert run_testbed("up").returncode == 0  # restarts the OAR sshd
    assert broken.rc == 2
    assert broken.seconds < 60
    failures = broken.failures()  # the verdict, after the reports are written
    assert [f.split(" @ ")[0] for f in failures] == ["oar.nxc.oar_smoke : Run the smoke checks on frontend"]
    assert ("OAR smoke: 1 of 7 checks failed: node_sshd: OAR's node sshd (port 6667) does not answer within 10 s "
            "on node1 (machine oarnode2, 10.213.0.12): connection refused") in failures[0]
    report = deployed.report()
    assert [(c["name"], c["status"]) for c in report["checks"]] == [
        ("node_sshd", "failed"), ("resources_alive", "passed"), ("batch_job", "skipped"), ("failing_job", "skipped"),
        ("oardel", "skipped"), ("reservation", "skipped"), ("rest_api", "passed")]  # the API does not need the node
    assert report["checks"][2]["message"] == "not run: node_sshd failed"


def test_smoke_fails_fast_with_oars_own_error_when_its_database_is_down(deployed: Deployed) -> None:
    """A broken OAR is not retried as if it were slow: its first answer fails the check after a grace."""
    subprocess.run(["pg_ctlcluster", "15", "main", "stop"], check=True, capture_output=True, timeout=60)
    try:
        broken = playbook("smoke.yml", inventory=deployed.reservation.nodefile, compositions=deployed.compositions)
    finally:
        subprocess.run(["pg_ctlcluster", "15", "main", "start"], check=True, capture_output=True, timeout=60)
        assert run_testbed("up").returncode == 0
    assert broken.rc == 2, broken.explain()
    assert broken.seconds < 30
    failures = broken.failures()
    assert [f.split(" @ ")[0] for f in failures] == ["oar.nxc.oar_smoke : Run the smoke checks on frontend"]
    assert "resources_alive: oarnodes -s -J failed (rc 25): DB connection error, exiting." in failures[0]
    # the inventory could not read the job either, and said why instead of failing
    assert f"OAR job {deployed.reservation.job_id} not read" in " ".join(broken.stderr.split())


def cut_when_a_job_ends_on(machines: int, skip: int, machine: str, done: threading.Event) -> list[int]:
    """Once a job other than SKIP, on MACHINES machines with MACHINE among them (the smoke checks' batch
    job), has run its command and is held by the testbed's server epilogue, set the host side of
    MACHINE's veth down, then let the job end: OAR's finishing sequence then meets a machine that is
    gone, whatever the command's length. The job's id, when it was found."""
    found: list[int] = []
    while not done.is_set() and not found:
        for job in (j for j in tb.held_jobs() if j != skip):
            hosts = tb.details(job).get("assigned_network_address") or []
            if len(hosts) == machines and machine in hosts:
                tb.set_link(machine, up=False)
                found.append(job)
                break
        else:
            done.wait(0.1)
    tb.release_job_ends()
    return found


def test_a_machine_cut_off_during_the_smoke_tests_is_named_as_the_cause(deployed: Deployed) -> None:
    """Issue 27, class 7: OAR's account (the machine Suspected, its event) leads the failure, not the output.

    The machine is cut off after the batch job's command ran on it and before OAR cleans the job's
    nodes: the testbed's server epilogue holds the job's end until the cut is made (no race)."""
    config = deployed.compositions.parent / "cut.oar_nxc.yml"
    config.write_text(f"plugin: oar_nxc\nnodefile: {deployed.reservation.nodefile}\n"
                      f"deployment: {deployed.master / 'deploy/composition::g5k-nfs-store.json'}\n")
    hostvars = inventory_list(config)["_meta"]["hostvars"]
    nodes = sorted(h for h, v in hostvars.items() if v.get("nxc_role") == "node")
    node, machine = nodes[-1], hostvars[nodes[-1]]["oar_machine"]
    addresses = [hostvars[n]["oar_machine"] for n in nodes]
    tb.hold_job_ends()
    done = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        cutter = pool.submit(cut_when_a_job_ends_on, len(nodes), deployed.reservation.job_id, machine, done)
        try:
            broken = playbook("smoke.yml", "-e", '{"oar_nxc_smoke_checks": ["batch_job"]}',
                              inventory=deployed.reservation.nodefile, compositions=deployed.compositions)
        finally:
            done.set()
            found = cutter.result(timeout=60)
            tb.release_job_ends()
            tb.set_link(machine, up=True)
            assert run_testbed("up").returncode == 0  # the machine's resources Alive again
    assert len(found) == 1, f"no batch job on {machine} was held at its end: {broken.explain()}"
    (batch,) = found
    assert broken.rc == 2, broken.explain()
    assert broken.seconds < 120
    assert "Traceback" not in broken.stdout + broken.stderr
    (check,) = deployed.report()["checks"]
    assert (check["name"], check["status"], check["job"]) == ("batch_job", "failed", batch)
    # the command ran on every machine, then OAR could not clean the one cut off: the job is Terminated,
    # exit 0, and still the check fails, OAR's account first
    assert check["message"] == (
        f"{node} ({machine}: Suspected) is not Alive in OAR; OAR's events on job {batch}: CPUSET_CLEAN_ERROR: "
        f"[job_finishing_sequence] OAR suspects nodes for the job {batch} : {machine}. job {batch} on "
        f"{len(nodes)} nodes: Terminated, exit status 0, output names {', '.join(sorted(addresses))}; but OAR "
        "suspected a machine of the job as it ended"), check["message"]
    assert "homes" not in check["message"]
    assert tb.details(deployed.reservation.job_id)["state"] == "Running"  # the testbed is as it was


def test_rest_api_fails_naming_the_url_when_the_api_is_down(deployed: Deployed) -> None:
    apache = int((tb.STATE / "apache.pid").read_text())
    os.kill(apache, 15)
    try:
        broken = playbook("smoke.yml", "-e", '{"oar_nxc_smoke_checks": ["rest_api"]}',
                          inventory=deployed.reservation.nodefile, compositions=deployed.compositions)
    finally:
        assert run_testbed("up").returncode == 0  # starts Apache again
    assert broken.rc == 2, broken.explain()
    (check,) = deployed.report()["checks"]
    assert (check["name"], check["status"]) == ("rest_api", "failed")
    assert check["message"] == ("GET http://oar-server:6668/oarapi/resources.json: no answer: Request failed: "
                                "<urlopen error [Errno 111] Connection refused>")


def test_teardown_releases_the_reservation(deployed: Deployed) -> None:
    result = playbook("teardown.yml", "-e", "oar_nxc_teardown_release=true", inventory=deployed.reservation.nodefile,
                      compositions=deployed.compositions)
    assert result.rc == 0, result.explain()
    assert result.changed_in("Tear the composition down") == [
        "Forget the deployment record @ localhost", "Release the OAR job of the reserved machines @ localhost"]
    assert tb.wait_state(deployed.reservation.job_id, tb.FINAL_STATES) in tb.FINAL_STATES
    assert not (deployed.master / ".oar-nxc/deployed-g5k-nfs-store.json").exists()
