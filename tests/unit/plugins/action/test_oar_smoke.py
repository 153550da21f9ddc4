"""oar.nxc.oar_smoke's decisions on the controller: which machines the report shows, and what a node's sshd
probe said."""

from __future__ import annotations

from types import SimpleNamespace

from ansible_collections.oar.nxc.plugins.action.oar_smoke import _hosts, _probe


def test_the_report_shows_the_submit_host_the_server_and_each_node_once() -> None:
    hostvars = {"frontend": {"nxc_role": "frontend", "oar_machine": "dahu-1", "ansible_host": "10.0.0.1"},
                "server": {"nxc_role": "server", "ansible_host": "10.0.0.2"},
                "node1": {"nxc_role": "node", "oar_machine": "dahu-3", "ansible_host": "10.0.0.3"}}
    nodes = [SimpleNamespace(name="node1", address="dahu-3"), SimpleNamespace(name="frontend", address="dahu-1")]
    assert _hosts(hostvars, "frontend", "server", nodes) == [
        {"name": "frontend", "role": "frontend", "machine": "dahu-1", "ip": "10.0.0.1", "address": "dahu-1"},
        {"name": "server", "role": "server", "machine": "", "ip": "10.0.0.2", "address": ""},
        {"name": "node1", "role": "node", "machine": "dahu-3", "ip": "10.0.0.3", "address": "dahu-3"}]


def test_a_host_without_variables_and_an_empty_server_name() -> None:
    assert _hosts({}, "frontend", "", []) == [
        {"name": "frontend", "role": "", "machine": "", "ip": "", "address": ""}]


def test_what_a_probe_result_says() -> None:
    assert _probe({"answered": True}) == ""
    assert _probe({"answered": False, "error": "connection refused", "msg": "x"}) == "connection refused"
    refused = "port: 0 is not a TCP port (1-65535)"
    assert _probe({"failed": True, "msg": refused}) == refused
    assert _probe({"answered": False}) == "no answer"
    for never in (None, {}, {"skipped": True}, "text"):
        assert _probe(never) is None
