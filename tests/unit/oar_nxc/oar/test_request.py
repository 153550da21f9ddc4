"""oar_nxc.oar.request: the request is checked before anything is submitted, each error naming its key."""

from __future__ import annotations

import pytest

from oar_nxc.errors import ConfigError
from oar_nxc.oar import request as jobrequest


def test_the_argv_of_a_full_request() -> None:
    request = jobrequest.from_mapping({
        "nodes": 4, "walltime": "2:0", "types": ["deploy", "night", "deploy"], "queue": "default",
        "project": "oar-dev", "properties": "cluster = 'dahu'", "reservation": "2026-12-24 19:00",
        "name": "nightly", "command": "sleep 3600", "directory": "/home/alice/work"})
    assert request.argv() == [
        "oarsub", "--name", "nightly", "-l", "nodes=4,walltime=2:00:00", "-t", "deploy", "-t", "night", "-q", "default",
        "--project", "oar-dev", "-p", "cluster = 'dahu'", "-r", "2026-12-24 19:00", "-d", "/home/alice/work",
        "sleep 3600"]
    assert request.walltime_seconds == 7200


def test_defaults_and_added_types() -> None:
    request = jobrequest.from_mapping({"nodes": "3"}).with_types(["timesharing=*,*", "deploy"])
    assert request.argv() == ["oarsub", "--name", "oar-nxc", "-l", "nodes=3,walltime=1:00:00", "-t", "timesharing=*,*",
                              "-t", "deploy", "sleep infinity"]
    assert jobrequest.from_mapping({"resources": "{cluster='dahu'}/nodes=2", "walltime": 90}).resource_request == \
        "{cluster='dahu'}/nodes=2,walltime=0:01:30"


def test_a_cluster_is_added_to_the_properties() -> None:
    # one CI job per cluster: the cluster alone, or anded with the user's own properties
    assert jobrequest.from_mapping({"nodes": 2, "cluster": "dahu"}).properties == "cluster='dahu'"
    both = jobrequest.from_mapping({"nodes": 2, "cluster": "gros", "properties": "memnode > 1000 OR gpu_count > 0"})
    assert both.options()[-2:] == ["-p", "cluster='gros' AND (memnode > 1000 OR gpu_count > 0)"]
    assert jobrequest.from_mapping({"nodes": 2, "cluster": ""}).properties == ""


@pytest.mark.parametrize(("values", "message"), [
    ({"nodes": 1, "cluster": "dahu' OR '1'='1"}, "oar_nxc_job.cluster: \"dahu' OR '1'='1\" is not a cluster name"),
    ({"nodes": 1, "cluster": ["dahu"]}, "oar_nxc_job.cluster: a list is not a string"),
    ({}, "oar_nxc_job.nodes: missing: how many machines to reserve (or oar_nxc_job.resources)"),
    ({"nodes": 0}, "oar_nxc_job.nodes: 0 machines: between 1 and 100000"),
    ({"nodes": True}, "oar_nxc_job.nodes: 'True' is not a number of machines"),
    ({"nodes": "4; rm -rf ~"}, "oar_nxc_job.nodes: '4; rm -rf ~' is not a number of machines"),
    ({"nodes": 2, "resources": "nodes=2"}, "oar_nxc_job.nodes and oar_nxc_job.resources: give one of them"),
    ({"resources": "nodes=2,walltime=1:0:0"}, "oar_nxc_job.resources: 'nodes=2,walltime=1:0:0': give the walltime"),
    ({"resources": "{cluster='x'/nodes=2"}, "oar_nxc_job.resources: \"{cluster='x'/nodes=2\" is not an OAR"),
    ({"resources": "lots"}, "oar_nxc_job.resources: 'lots' is not an OAR resource request"),
    ({"nodes": 1, "walltime": "1h"}, "oar_nxc_job.walltime: '1h' is not a walltime: H[:MM[:SS]]"),
    ({"nodes": 1, "walltime": "1:75:00"}, "oar_nxc_job.walltime: '1:75:00': minutes and seconds go up to 59"),
    ({"nodes": 1, "walltime": "0:00"}, "oar_nxc_job.walltime: '0:00' is no time at all"),
    ({"nodes": 1, "walltime": 1.5}, "oar_nxc_job.walltime: a float is not a walltime"),
    ({"nodes": 1, "types": "deploy; reboot"}, "oar_nxc_job.types[0]: 'deploy; reboot' is not an OAR job type"),
    ({"nodes": 1, "types": {"a": 1}}, "oar_nxc_job.types: a mapping is not a list of job types"),
    ({"nodes": 1, "types": ["night", "bad type"]}, "oar_nxc_job.types[1]: 'bad type' is not an OAR job type"),
    ({"nodes": 1, "name": "my job"}, "oar_nxc_job.name: 'my job' is not a job name"),
    ({"nodes": 1, "queue": "$(id)"}, "oar_nxc_job.queue: '$(id)' is not a queue name"),
    ({"nodes": 1, "properties": "a\nb"}, "oar_nxc_job.properties: holds a control character"),
    ({"nodes": 1, "reservation": "tomorrow"}, "oar_nxc_job.reservation: 'tomorrow' is not a start time"),
    ({"nodes": 1, "directory": "work"}, "oar_nxc_job.directory: 'work' is not an absolute path"),
    ({"nodes": 1, "walltme": "1:00:00"}, "oar_nxc_job.walltme: unknown key; the keys are nodes, resources"),
    ({"nodes": 1, "command": "x" * 1001}, "oar_nxc_job.command: 1001 characters (at most 1000)"),
])
def test_bad_values_name_their_key(values: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        jobrequest.from_mapping(values, "oar_nxc_job")
    assert str(error.value).startswith(message), str(error.value)


def test_not_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"^oar_nxc_job: a list is not a mapping of nodes, resources"):
        jobrequest.from_mapping([4], "oar_nxc_job")


def test_a_string_is_named_a_string_whatever_its_class() -> None:
    class TaggedStr(str):  # what Ansible hands over
        pass

    with pytest.raises(ConfigError, match=r"^oar_nxc_job: a string is not a mapping of nodes, resources"):
        jobrequest.from_mapping(TaggedStr("four machines"), "oar_nxc_job")
