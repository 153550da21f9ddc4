"""Inventory sources: several jobs in one configuration (one per site), and jobs given by id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oar_nxc.errors import SourceError
from oar_nxc.inventory import sources
from oar_nxc.oar import jobs as oarjob

MULTI = Path(__file__).resolve().parents[3] / "fixtures" / "nodefiles" / "multisite"
LIVE = Path(__file__).resolve().parents[3] / "fixtures" / "oar" / "live"


def config(tmp_path: Path, **keys: Any) -> sources.Request:
    path = tmp_path / "inv.oar_nxc.yml"
    path.write_text("plugin: oar_nxc\n")
    common = {"job_id": keys.pop("job_id", None), "live_job": keys.pop("live_job", "auto"), **keys}
    return sources.Request.for_config(str(path), nodefile=common.pop("nodefile", None),
                                      deployment=common.pop("deployment", None), tag=None, **common)


def test_two_sites_merge_with_their_own_job_and_site(tmp_path: Path) -> None:
    request = config(tmp_path, nodefile=[str(MULTI / "OAR.2231907.stdout"), str(MULTI / "OAR.1877311.stdout")])
    spec = request.describe()
    assert list(spec.hosts) == ["dahu-3.grenoble.grid5000.fr", "dahu-4.grenoble.grid5000.fr",
                                "nova-7.lyon.grid5000.fr", "nova-8.lyon.grid5000.fr", "nova-9.lyon.grid5000.fr"]
    assert {h: (v["oar_job_id"], v["g5k_site"]) for h, v in spec.hosts.items()} == {
        "dahu-3.grenoble.grid5000.fr": (2231907, "grenoble"), "dahu-4.grenoble.grid5000.fr": (2231907, "grenoble"),
        "nova-7.lyon.grid5000.fr": (1877311, "lyon"), "nova-8.lyon.grid5000.fr": (1877311, "lyon"),
        "nova-9.lyon.grid5000.fr": (1877311, "lyon")}
    assert spec.groups["oar_job_2231907"] == ["dahu-3.grenoble.grid5000.fr", "dahu-4.grenoble.grid5000.fr"]
    assert len(spec.groups["oar_nodes"]) == 5
    # oarstat is not here (the unit tests' fixture): said once per job, and the files are read alone
    assert spec.notes == [
        f"OAR job 2231907 not read, going on from {MULTI / 'OAR.2231907.stdout'} alone: oarstat is not on this "
        "machine's PATH",
        f"OAR job 1877311 not read, going on from {MULTI / 'OAR.1877311.stdout'} alone: oarstat is not on this "
        "machine's PATH"]


def test_the_same_machine_in_two_jobs_names_both(tmp_path: Path) -> None:
    request = config(tmp_path, nodefile=[str(MULTI / "OAR.1877311.stdout"), str(MULTI / "OAR.1877400.stdout")],
                     live_job="never")
    with pytest.raises(SourceError) as info:
        request.describe()
    assert str(info.value) == (
        f"{MULTI / 'OAR.1877400.stdout'}:1: nova-9.lyon.grid5000.fr is a machine of OAR job 1877311 "
        f"({MULTI / 'OAR.1877311.stdout'}, line 3) and of OAR job 1877400 ({MULTI / 'OAR.1877400.stdout'}, line 1): "
        "the same machine cannot be in two jobs")


@pytest.mark.parametrize(("keys", "message"), [
    ({"nodefile": []}, "key 'nodefile': an empty list: give at least one"),
    ({"nodefile": [str(MULTI / "OAR.2231907.stdout")] * 2}, "is listed twice"),
    ({"nodefile": [str(MULTI / "OAR.2231907.stdout"), 3]}, "key 'nodefile[1]': an integer is not a path"),
    ({"nodefile": [str(MULTI / "OAR.2231907.stdout"), str(MULTI / "OAR.1877311.stdout")], "job_id": [1, 2]},
     "key 'job_id': with several nodefiles, each job's id comes from its file's name"),
    ({"job_id": [5, 5]}, "key 'job_id': job 5 is listed twice"),
    ({"job_id": [5, "x"]}, "key 'job_id[1]': 'x' is not an OAR job id"),
    ({"job_id": list(range(1, 70))}, "key 'job_id': 69 items: at most 64"),
])
def test_bad_multi_job_configs_name_the_key(tmp_path: Path, keys: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceError) as info:
        config(tmp_path, **keys)
    assert message in str(info.value)


def test_a_job_given_by_id_alone_must_be_read(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        config(tmp_path, job_id=[11, 12]).describe()
    assert str(info.value).endswith("OAR job 11 cannot be read: oarstat is not on this machine's PATH")
    with pytest.raises(SourceError) as never:
        config(tmp_path, job_id=11, live_job="never").describe()
    assert "OAR job 11 is given by id alone, and live_job is never" in str(never.value)


def test_jobs_given_by_id_come_from_oar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """oarstat's recorded answers for the testbed's job 1; a second job on other machines."""
    recorded = oarjob.parse_job((LIVE / "oarstat-f-J-running-2.5.9.json").read_text(), 1)
    machines = oarjob.machines_of(oarjob.parse_properties((LIVE / "oarstat-p-running-2.5.9.txt").read_text(), "p"))
    jobs = {1: oarjob.Job(1, "Running", "oartest", 1800, recorded.started, machines),
            2: oarjob.Job(2, "Running", "oartest", 600, recorded.started, (oarjob.JobMachine("oarnode4", 2),))}
    monkeypatch.setattr(oarjob, "query", lambda job_id, **_: jobs[job_id])
    spec = config(tmp_path, job_id=[1, 2]).describe()
    assert {h: (v["oar_job_id"], v["oar_cores"], v["oar_in_job"]) for h, v in spec.hosts.items()} == {
        "oarnode1": (1, 2, True), "oarnode2": (1, 2, True), "oarnode3": (1, 2, True), "oarnode4": (2, 2, True)}
    assert spec.hosts["oarnode2"]["oar_properties"]["cluster"] == "beta"
    assert "oar_nodefile" not in spec.hosts["oarnode1"]
    assert {g: v["oar_job"]["walltime"] for g, v in spec.group_vars.items()} == {"oar_job_1": 1800, "oar_job_2": 600}


def test_two_nodefiles_of_the_same_job_are_refused_naming_both(tmp_path: Path) -> None:
    for directory, host in (("a", "dahu-1"), ("b", "dahu-2")):
        (tmp_path / directory).mkdir()
        (tmp_path / directory / "OAR.7.stdout").write_text(f"{host}.grenoble.grid5000.fr\n")
    first, second = str(tmp_path / "a" / "OAR.7.stdout"), str(tmp_path / "b" / "OAR.7.stdout")
    with pytest.raises(SourceError) as info:
        config(tmp_path, nodefile=[first, second], live_job="never")
    assert str(info.value) == (f"{tmp_path / 'inv.oar_nxc.yml'}: key 'nodefile': '{first}' and '{second}' are both "
                               "the nodefile of OAR job 7: give one file per job")


@pytest.mark.parametrize(("text", "said"), [
    ("plugin: oar.nxc.oar_nxc\nnodes: 2\nplugin: ansible.builtin.constructed\n",
     ":3: key 'plugin' is given twice (lines 1 and 3): the second would silently replace the first"),
    ("plugin: oar.nxc.oar_nxc\nkeyed_groups:\n  - key: a\n    prefix: x\n    key: b\n",
     ":5: key 'key' is given twice (lines 3 and 5): the second would silently replace the first"),
    ("plugin: oar.nxc.oar_nxc\nnodes: [1\n", ":3: not valid YAML: expected ',' or ']', but got '<stream end>'"),
])
def test_a_config_with_a_key_twice_or_bad_yaml_is_refused_naming_the_line(tmp_path: Path, text: str,
                                                                          said: str) -> None:
    path = tmp_path / "c.oar_nxc.yml"
    path.write_text(text)
    with pytest.raises(SourceError) as info:
        assert sources.check_config_file(str(path)) == {"plugin": "oar.nxc.oar_nxc", "compose": {"x": "{{ y }}"}}
    assert str(info.value) == f"{path}{said}"


def test_a_config_with_ansible_tags_is_read(tmp_path: Path) -> None:
    path = tmp_path / "c.oar_nxc.yml"
    path.write_text("plugin: oar.nxc.oar_nxc\ncompose:\n  x: !unsafe '{{ y }}'\n")
    assert sources.check_config_file(str(path)) == {"plugin": "oar.nxc.oar_nxc", "compose": {"x": "{{ y }}"}}
