"""What OAR knows of the job and its machines, on the local testbed (real OAR 2.5.9, real sshd):
the live job in the inventory, and the preflight's refusals in seconds instead of timeouts.

Root only; each test makes its own reservation on the 4-node testbed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BIN, REPO, clean_env, inventory_list, run, unwrap
from tests.integration.conftest import run_testbed
from tests.integration.pipeline import clear_jobs, copy_compositions, playbook
from tests.testbed import oar_testbed as tb

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root (network namespaces, sshd, PostgreSQL)"),
]
LIVE = {"OAR_NXC_LIVE_JOB": "auto"}
PREFLIGHT = "Check the controller and the inventory"


def cluster_of(host: str) -> str:
    """The testbed gives odd nodes the cluster alpha, even ones beta (testbed.sh, step 6)."""
    return "alpha" if int(host.removeprefix("oarnode")) % 2 else "beta"


def address_of(host: str) -> str:
    return f"10.213.0.{10 + int(host.removeprefix('oarnode'))}"


@pytest.fixture
def job(cluster: None) -> Iterator[tb.Reservation]:
    clear_jobs()
    reservation = tb.reserve(3, walltime="0:30:00")
    yield reservation
    if tb.state(reservation.job_id) not in tb.FINAL_STATES:
        tb.release(reservation.job_id)


def job_id_inventory(job_id: int, tmp_path: Path) -> dict:
    """``ansible-inventory --list`` of a config that names the job by id alone, grouped by cluster."""
    config = tmp_path / "job.oar_nxc.yml"
    config.write_text(f"plugin: oar.nxc.oar_nxc\njob_id: {job_id}\n"
                      "keyed_groups:\n  - key: oar_properties.cluster\n    prefix: by_cluster\n")
    return inventory_list(config, env=clean_env(**LIVE))


def test_a_job_id_alone_gives_the_machines_real_cores_and_properties(job: tb.Reservation, tmp_path: Path) -> None:
    inventory = job_id_inventory(job.job_id, tmp_path)
    hostvars = inventory["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(job.hosts)
    assert {h: v["oar_cores"] for h, v in hostvars.items()} == dict.fromkeys(job.hosts, 2)
    assert {h: v["oar_properties"] for h, v in hostvars.items()} == {
        h: {"cluster": cluster_of(h), "cpu": int(h.removeprefix("oarnode")), "host": h, "memnode": 2048,
            "cpumodel": f"Testbed CPU {'A' if cluster_of(h) == 'alpha' else 'B'}", "type": "default"}
        for h in job.hosts}
    for cluster in ("alpha", "beta"):
        assert sorted(inventory.get(f"by_cluster_{cluster}", {}).get("hosts", [])) == sorted(
            h for h in job.hosts if cluster_of(h) == cluster)
    oar_job = hostvars[job.hosts[0]]["oar_job"]
    assert {k: oar_job[k] for k in ("id", "state", "owner", "walltime", "oar")} == {
        "id": job.job_id, "state": "Running", "owner": "oartest", "walltime": 1800, "oar": "2.5"}
    assert 1700 < oar_job["remaining"] <= 1800
    assert {v["oar_in_job"] for v in hostvars.values()} == {True}


def test_the_oar_stdout_gives_real_cores_while_the_job_runs(job: tb.Reservation) -> None:
    live = inventory_list(job.stdout, env=clean_env(**LIVE))["_meta"]["hostvars"]
    assert {h: (v["oar_cores"], v["oar_properties"]["cluster"]) for h, v in live.items()} == {
        h: (2, cluster_of(h)) for h in job.hosts}
    # asked not to read the job: the stdout lists hosts only, so the core count is unknown, not 1
    offline = inventory_list(job.stdout, env=clean_env(OAR_NXC_LIVE_JOB="never"))["_meta"]["hostvars"]
    assert {h: (v["oar_cores"], "oar_properties" in v) for h, v in offline.items()} == dict.fromkeys(
        job.hosts, (None, False))


def test_without_oarstat_the_file_alone_is_read_and_the_reason_said_once(job: tb.Reservation) -> None:
    env = clean_env(**LIVE)
    env["PATH"] = str(BIN)  # a laptop with a copied nodefile: no OAR commands
    result = run([str(BIN / "ansible-inventory"), "-i", job.nodefile, "--list"], env=env)
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert said.count("oar_nxc: OAR job") == 1
    assert (f"oar_nxc: OAR job {job.job_id} not read, going on from {job.nodefile} alone: oarstat is not on this "
            "machine's PATH") in said
    assert '"oar_cores": 2' in result.stdout  # $OAR_NODEFILE's lines still count the cores


def test_deploy_with_a_deleted_jobs_nodefile_is_refused_in_seconds(cluster: None, tmp_path: Path) -> None:
    clear_jobs()
    reservation = tb.reserve(4)
    state = tb.release(reservation.job_id)
    run_ = playbook("deploy.yml", inventory=reservation.nodefile, compositions=copy_compositions(tmp_path))
    assert run_.rc == 2, run_.explain()
    assert run_.seconds < 30
    assert run_.plays() == [PREFLIGHT]  # before anything changed
    (failure,) = run_.failures()
    assert (f"OAR job {reservation.job_id} is {state}, not Running: its machines are not yours any more: reserve "
            "again and give the new job's nodefile") in failure


def test_a_machine_whose_sshd_is_down_is_named_before_nxc_start(cluster: None, tmp_path: Path) -> None:
    clear_jobs()
    reservation = tb.reserve(4)
    dead = reservation.hosts[2]
    os.kill(int((tb.STATE / f"sshd-{dead}.pid").read_text()), signal.SIGTERM)
    try:
        run_ = playbook("deploy.yml", inventory=reservation.nodefile, compositions=copy_compositions(tmp_path))
    finally:
        assert run_testbed("up").returncode == 0  # restarts the node's sshd
        tb.release(reservation.job_id)
    assert run_.rc == 2, run_.explain()
    assert run_.seconds < 30
    assert run_.plays() == [PREFLIGHT]  # nxc start never ran
    (failure,) = run_.failures()
    assert (f"1 of the 4 reserved machines does not answer on its ssh port, and nxc start would wait out its "
            f"timeout: {dead} ({address_of(dead)}:22: connection refused after 0.0 s). Leave it out "
            f"(OAR_NXC_EXCLUDE={dead}) or reserve other machines") in failure


def test_a_job_about_to_end_is_refused_as_a_reservation_naming_the_time_left(cluster: None) -> None:
    clear_jobs()
    reservation = tb.reserve(2, walltime="0:05:00")
    try:
        refused = playbook("playbooks/preflight.yml", "-e", "oar_nxc_preflight_machines=true",
                           inventory=reservation.nodefile)
        planned = playbook("playbooks/preflight.yml", "--check", "-e", "oar_nxc_preflight_machines=true",
                           inventory=reservation.nodefile)
        forced = playbook("playbooks/preflight.yml", "-e", "oar_nxc_preflight_machines=true", "-e",
                          "oar_nxc_min_walltime=0", inventory=reservation.nodefile)
    finally:
        tb.release(reservation.job_id)
    assert refused.rc == 2, refused.explain()
    (failure,) = refused.failures()
    said = " ".join(failure.split())
    assert re.search(rf"OAR job {reservation.job_id} ends in 4 min \d\d s \(at \d\d:\d\d:\d\d\), less than the "
                     r"15 min 00 s of oar_nxc_min_walltime: the run would outlive the job and be cut short, so "
                     r"nothing was started", said), said
    (verdict,) = refused.result["plays"][0]["tasks"][-1]["hosts"].values()  # run_once: one host's result
    assert (verdict["check"], verdict["oar_nxc_exit"]) == ("walltime", "reservation")  # oar-nxc: exit 6
    assert planned.rc == 0, planned.explain()  # oar-nxc plan lists it as a warning
    assert f"[WARNING]: OAR job {reservation.job_id} ends in 4 min" in " ".join(planned.stderr.split())
    assert forced.rc == 0, forced.explain()


def test_a_job_whose_walltime_ends_mid_deploy_fails_the_run_naming_the_job(cluster: None, tmp_path: Path) -> None:
    """Issue 27, class 7: the machines boot past the job's end (the stand-in's knob holds nxc start until OAR
    ended the job); the run fails at its end as a failure of the reservation, naming the job, its state and
    OAR's WALLTIME event, instead of passing on machines the user no longer holds."""
    clear_jobs()
    reservation = tb.reserve(4, walltime="0:00:25")
    job_id = reservation.job_id
    try:
        run_ = playbook("deploy.yml", "-e", "oar_nxc_min_walltime=0", "-e", "oar_nxc_smoke=false",
                        inventory=reservation.nodefile, compositions=copy_compositions(tmp_path),
                        env={"OAR_NXC_STANDIN_HOLD_UNTIL_JOB_ENDS": str(job_id)})
    finally:
        if tb.state(job_id) not in tb.FINAL_STATES:
            tb.release(job_id)
    assert run_.rc == 2, run_.explain()
    assert run_.seconds < 120
    assert "Traceback" not in run_.stdout + run_.stderr
    assert run_.plays()[-1] == "Check that the OAR job still holds the machines"
    assert "Start the composition with nxc" in run_.plays()  # the deploy ran, past the job's end
    (failure,) = run_.failures()
    said = " ".join(failure.split())
    assert said.startswith("oar.nxc.oar_job : Check that the OAR jobs still run @ localhost: ")
    assert re.search(rf"OAR job {job_id} ended during the run: it is Error, not Running \(OAR's events: "
                     rf"FRAG_JOB_REQUEST: .*; WALLTIME: \[sarko\] Job \[{job_id}\] from \d+ with 25; current "
                     r"time=\d+ \(Elapsed\)\)\. The run's results come from machines the job no longer held",
                     said), said
    (verdict,) = run_.result["plays"][-1]["tasks"][-1]["hosts"].values()
    assert (verdict["states"], verdict["oar_nxc_exit"]) == ({str(job_id): "ended"}, "reservation")  # oar-nxc: 6


def awx_env(job_id: int, tools: Path, **extra: str) -> dict[str, str]:
    """What an AWX inventory source's execution environment gives ansible-inventory: no OAR command on PATH, the
    "OAR frontend" credential's variables and the source variable OAR_JOB_ID (README, AWX and Automation
    Platform); the frontend is the testbed's (its sshd on the bridge, where oarstat runs)."""
    env = clean_env(**{"OAR_JOB_ID": str(job_id), "OAR_NXC_FRONTEND": "oar-frontend", "OAR_NXC_FRONTEND_USER": "root",
                       "OAR_NXC_FRONTEND_PRIVATE_KEY_FILE": str(tb.STATE / "id_ed25519"),
                       "OAR_NXC_FRONTEND_KNOWN_HOSTS_FILE": str(tb.STATE / "known_hosts"), **extra})
    del env["OAR_NXC_LIVE_JOB"]  # the config says live_job: always
    # ssh, and no OAR command: a PATH of the project's .venv and a directory with ssh alone
    tools.mkdir(exist_ok=True)
    if not (tools / "ssh").exists():
        (tools / "ssh").symlink_to("/usr/bin/ssh")
    env["PATH"] = f"{BIN}:{tools}"
    assert not (BIN / "oarstat").exists()
    return env


AWX_SOURCE = REPO / "inventories" / "awx.oar_nxc.yml"


def test_the_awx_inventory_source_reads_the_job_on_the_frontend(job: tb.Reservation, tmp_path: Path) -> None:
    result = run([str(BIN / "ansible-inventory"), "-i", str(AWX_SOURCE), "--list", "--export",
                  "--playbook-dir", str(AWX_SOURCE.parent)], env=awx_env(job.job_id, tmp_path / "bin"))
    assert result.returncode == 0, result.stderr
    inventory = unwrap(json.loads(result.stdout))
    hostvars = inventory["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(job.hosts)
    assert {h: (v["oar_cores"], v["oar_in_job"], v["oar_properties"]["cluster"]) for h, v in hostvars.items()} == {
        h: (2, True, cluster_of(h)) for h in job.hosts}
    # --export: the job's variables stay on its group, as AWX stores them
    group = inventory[f"oar_job_{job.job_id}"]
    assert sorted(group["hosts"]) == sorted(job.hosts)
    assert {k: group["vars"]["oar_job"][k] for k in ("id", "state", "owner", "oar")} == {
        "id": job.job_id, "state": "Running", "owner": "oartest", "oar": "2.5"}
    for cluster in ("alpha", "beta"):
        assert sorted(inventory.get(f"cluster_{cluster}", {}).get("hosts", [])) == sorted(
            h for h in job.hosts if cluster_of(h) == cluster)


def test_the_awx_source_names_a_frontend_it_cannot_trust(job: tb.Reservation, tmp_path: Path) -> None:
    """An unknown host key is an error that names the frontend, in seconds; so is a job OAR does not know."""
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    start = time.monotonic()
    result = run([str(BIN / "ansible-inventory"), "-i", str(AWX_SOURCE), "--list"],
                 env=awx_env(job.job_id, tmp_path / "bin", OAR_NXC_FRONTEND_KNOWN_HOSTS_FILE=str(empty)))
    assert time.monotonic() - start < 30
    said = " ".join(result.stderr.split())
    assert result.returncode != 0
    assert (f"OAR job {job.job_id} cannot be read: oarstat -f -J -j {job.job_id} failed (rc 255): ssh to the "
            "frontend root@oar-frontend failed: Host key verification failed.") in said, said
    result = run([str(BIN / "ansible-inventory"), "-i", str(AWX_SOURCE), "--list"],
                 env=awx_env(999999, tmp_path / "bin"))
    said = " ".join(result.stderr.split())
    assert result.returncode != 0 and "OAR job 999999 cannot be read: " in said, said
