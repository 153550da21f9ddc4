"""The OAR developer's loop on the testbed: a setup variant whose build.nur.repos.kapack.oar.src is a
temporary checkout. Edit it, deploy again: nxc build runs, naming the file, and the new source
digest reaches the deployed nodes (the build stand-in records it in each role's system, the kexec
stand-in copies it to /etc/nxc/source.json). Deploy once more: no build, no nxc start, and the
smoke report names the source it tested. Root only."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.integration.pipeline import Run, clear_jobs, copy_compositions, playbook
from tests.testbed import oar_testbed as tb

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(os.geteuid() != 0, reason="the testbed needs root (network namespaces, sshd, PostgreSQL)"),
]
KEY = "build.nur.repos.kapack.oar.src"
BUILD = "oar.nxc.nxc_build : Build the composition with nxc (-f g5k-nfs-store)"
START = "oar.nxc.nxc_deploy : Start the composition with nxc (-f g5k-nfs-store)"


def result_of(run: Run, task: str) -> dict:
    return next(res for play in run.result["plays"] for t in play["tasks"] if t["task"]["name"] == task
                for res in t["hosts"].values())


def node_sources(machines: list[str]) -> set[str]:
    return {json.loads((Path("/etc/netns") / m / "nxc/source.json").read_text())["sources"][KEY]["digest"]
            for m in machines}


def test_edit_rebuild_redeploy_then_nothing(cluster: None, tmp_path: Path) -> None:
    clear_jobs()
    reservation = tb.reserve(4, walltime="1:00:00")
    try:
        compositions = copy_compositions(tmp_path)
        master = compositions / "master"
        checkout = tmp_path / "oar3"
        (checkout / "oar/lib").mkdir(parents=True)
        (checkout / "oar/lib/job.py").write_text("VERSION = 1\n")
        (master / "setup.toml").write_text((master / "setup.toml").read_text() + f'\n[mine.options]\nnix-flags = '
                                           f'"--impure"\n\n[mine.build.nur.repos.kapack.oar]\nsrc = "{checkout}"\n')
        machines = list(reservation.hosts)

        def deploy(smoke: bool = False) -> Run:
            run = playbook("deploy.yml", "-e", "oar_nxc_setup=mine", "-e", f"oar_nxc_smoke={str(smoke).lower()}",
                           inventory=reservation.nodefile, compositions=compositions)
            assert run.rc == 0, run.explain()
            return run

        deploy()
        record = json.loads((master / "build/.oar-nxc-g5k-nfs-store.json").read_text())
        assert (record["variant"], record["sources"][KEY]["path"]) == ("mine", str(checkout))
        first = record["sources"][KEY]["digest"]
        assert node_sources(machines) == {first}

        (checkout / "oar/lib/job.py").write_text("VERSION = 2\n")
        edited = deploy()
        build = result_of(edited, BUILD)
        assert (build["changed"], build["why"]) == (True, f"rebuilt because {checkout / 'oar/lib/job.py'} changed")
        assert result_of(edited, START)["changed"] is True
        second = json.loads((master / "build/.oar-nxc-g5k-nfs-store.json").read_text())["sources"][KEY]["digest"]
        assert second != first
        assert node_sources(machines) == {second}  # every node runs the edited source

        again = deploy(smoke=True)  # the smoke report is traceable to the code under test
        assert result_of(again, BUILD)["changed"] is False
        start = result_of(again, START)
        assert (start["changed"], start["why"].startswith("this build is already deployed")) == (False, True)
        assert node_sources(machines) == {second}
        report = json.loads((master / ".oar-nxc/reports/report.json").read_text())
        assert report["summary"]["failed"] == 0
        assert (report["build"]["variant"], report["build"]["sources"][KEY]["digest"]) == ("mine", second)
    finally:
        tb.release(reservation.job_id)
