"""Unit tests of plugins/inventory/oar_nxc.py over a real InventoryData, loaded as Ansible loads it."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

REPO = Path(__file__).resolve().parents[4]
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(scope="module")
def plugin_class() -> Any:
    """A factory of plugin instances, each loaded (and so configured) the way Ansible loads it."""
    # Ansible's collection finder is installed by tests/unit/plugins/conftest.py
    def load() -> Any:
        plugin = inventory_loader.get("oar.nxc.oar_nxc")
        assert plugin is not None
        return plugin

    return load


def parse(plugin_class: Any, path: Path | str) -> tuple[Any, InventoryData]:
    plugin = plugin_class()
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=False)
    inventory.reconcile_inventory()
    return plugin, inventory


def groups_of(inventory: InventoryData) -> dict[str, list[str]]:
    return {name: [h.name for h in group.get_hosts()] for name, group in inventory.groups.items()
            if name not in ("all", "ungrouped")}


def test_verify_file(plugin_class: Any, tmp_path: Path) -> None:
    plugin = plugin_class()
    assert plugin.verify_file(str(FIXTURES / "nodefiles" / "g5k-two-clusters"))
    assert plugin.verify_file(str(FIXTURES / "deployments" / "composition::vm.json"))
    assert plugin.verify_file(str(FIXTURES / "bad" / "empty"))
    assert not plugin.verify_file(str(tmp_path / "absent"))
    assert not plugin.verify_file(str(tmp_path))
    assert not plugin.verify_file("node1,node2,")
    (tmp_path / "hosts.yml").write_text("all:\n  hosts: {a: {}}\n")
    assert not plugin.verify_file(str(tmp_path / "hosts.yml"))


def test_nodefile_two_clusters(plugin_class: Any) -> None:
    _unused, inventory = parse(plugin_class, FIXTURES / "nodefiles" / "g5k-two-clusters")
    hosts = ["dahu-12.grenoble.grid5000.fr", "dahu-3.grenoble.grid5000.fr", "troll-4.grenoble.grid5000.fr",
             "chifflot-2-kavlan-4.lille.grid5000.fr"]
    assert groups_of(inventory) == {
        "oar_nodes": hosts,
        "cluster_dahu": hosts[:2],
        "site_grenoble": hosts[:3],
        "cluster_troll": [hosts[2]],
        "cluster_chifflot": [hosts[3]],
        "site_lille": [hosts[3]],
    }
    assert {h: inventory.get_host(h).vars["oar_cores"] for h in hosts} == dict(zip(hosts, [32, 32, 16, 18],
                                                                                   strict=True))
    assert inventory.get_host(hosts[3]).vars["g5k_cluster"] == "chifflot"
    assert "oar_job_id" not in inventory.get_host(hosts[0]).vars


def test_the_heap_read_is_out_of_the_collectors_walks(plugin_class: Any) -> None:
    """Once a source is read, the inventory's objects are in the collector's permanent generation: the workers
    Ansible forks for each task, and the run itself, do not walk them again at each full collection."""
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    _unused, inventory = parse(plugin_class, FIXTURES / "nodefiles" / "g5k-two-clusters")
    assert gc.get_freeze_count() > 0
    host = inventory.get_host("dahu-12.grenoble.grid5000.fr")
    assert not any(any(o is host for o in gc.get_objects(generation)) for generation in (0, 1, 2))
    gc.unfreeze()
    assert any(o is host for o in gc.get_objects(2))  # the collector's again (the fixture's unfreeze)


def test_job_id_from_environment(plugin_class: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAR_JOB_ID", "4242")
    _unused, inventory = parse(plugin_class, FIXTURES / "nodefiles" / "g5k-two-clusters")
    assert next(h.name for h in inventory.groups["oar_job_4242"].get_hosts()) == "dahu-12.grenoble.grid5000.fr"
    assert inventory.get_host("dahu-3.grenoble.grid5000.fr").vars["oar_job_id"] == 4242


def test_subset_from_environment(plugin_class: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAR_NXC_NODES", "2")
    monkeypatch.setenv("OAR_NXC_EXCLUDE", "dahu-12*,troll*")
    _unused, inventory = parse(plugin_class, FIXTURES / "nodefiles" / "g5k-two-clusters")
    assert sorted(inventory.hosts) == ["chifflot-2-kavlan-4.lille.grid5000.fr", "dahu-3.grenoble.grid5000.fr"]


def test_config_with_constructed_features(plugin_class: Any, tmp_path: Path) -> None:
    config = tmp_path / "inv.oar_nxc.yml"
    config.write_text(
        "plugin: oar_nxc\n"
        f"nodefile: {FIXTURES / 'nodefiles' / 'OAR.1894417.stdout'}\n"
        "exclude: ['paradoxe-14*']\n"
        "compose:\n  oar_short: inventory_hostname.split('.')[0]\n"
        "groups:\n  first_two: oar_short in ['paradoxe-1', 'paradoxe-2']\n"
        "keyed_groups:\n  - key: g5k_cluster\n    prefix: by\n"
    )
    _unused, inventory = parse(plugin_class, config)
    hosts = ["paradoxe-1.rennes.grid5000.fr", "paradoxe-2.rennes.grid5000.fr", "paradoxe-3.rennes.grid5000.fr"]
    assert groups_of(inventory) == {
        "oar_nodes": hosts, "cluster_paradoxe": hosts, "site_rennes": hosts, "oar_job_1894417": hosts,
        "first_two": hosts[:2], "by_paradoxe": hosts,
    }
    assert inventory.get_host(hosts[2]).vars["oar_short"] == "paradoxe-3"
    # OAR.<id>.stdout lists each host once: without the live job the core count is unknown, not 1
    assert inventory.get_host(hosts[0]).vars["oar_cores"] is None


def test_config_defaults_to_oar_nodefile(plugin_class: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAR_NODEFILE", str(FIXTURES / "nodefiles" / "crlf-blank-ip"))
    config = tmp_path / "inv.oar_nxc.yml"
    config.write_text("plugin: oar_nxc\nnodes: 2\n")
    _unused, inventory = parse(plugin_class, config)
    assert list(inventory.hosts) == ["node1", "node2"]
    assert inventory.get_host("node1").vars["oar_cores"] == 2


def test_config_envdir_picks_the_tagged_deployment(plugin_class: Any, tmp_path: Path) -> None:
    deploy = tmp_path / "envdir" / "deploy"
    deploy.mkdir(parents=True)
    for name in ("composition::g5k-ramdisk.json", "composition::g5k-ramdisk::run2.json"):
        (deploy / name).write_bytes((FIXTURES / "deployments" / name).read_bytes())
    config = tmp_path / "inv.oar_nxc.yml"
    config.write_text("plugin: oar_nxc\ndeployment: envdir\ntag: run2\n")
    _unused, inventory = parse(plugin_class, config)
    assert inventory.get_host("node2").vars["nxc_tag"] == "run2"
    assert groups_of(inventory)["role_node"] == ["node1", "node2"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("plugin: oar_nxc\nnodess: 2\n", "key 'nodess': unknown option; known options: "),
        ("plugin: oar_nxc\nnodefile: nope/OAR.1.stdout\n", "key 'nodefile': nodefile file '"),
        ("plugin: oar_nxc\n", "key 'nodefile': none of 'nodefile', 'deployment' and 'job_id' is set, and "
                              "$OAR_NODEFILE and $OAR_JOB_ID are unset"),
        ("plugin: oar_nxc\ndeployment: missing-envdir\n", "key 'deployment': deployment file '"),
    ],
)
def test_bad_config(plugin_class: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str,
                    message: str) -> None:
    config = tmp_path / "inv.oar_nxc.yml"
    config.write_text(content)
    assert f"oar_nxc: {config}: {message}" in refused(plugin_class, config, capsys)


def refused(plugin_class: Any, path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A source that is surely the plugin's and bad: the run stops (exit 1), the error on stderr, so
    that no other inventory plugin re-reads it."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        parse(plugin_class, path)
    assert info.value.code == 1
    return " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty", "{path}: empty nodefile: no host name in it (is the OAR job started?)"),
        ("binary", "{path}:1: binary data (NUL byte): not a text nodefile or deployment file"),
        ("pipe", "{path}:1: 'node1|cat' is not a valid host name or IPv4 address (forbidden character '|')"),
        ("composition::g5k-ramdisk.json", "{path}: key 'deployment': missing 'deployment' map"),
        ("norole/composition::g5k-nfs-store.json",
         "{path}: key 'deployment.10.16.0.8.role': missing 'role' in deployment entry"),
    ],
)
def test_bad_files_stop_the_run(plugin_class: Any, capsys: pytest.CaptureFixture[str], name: str,
                                message: str) -> None:
    path = FIXTURES / "bad" / name
    assert message.format(path=path) in refused(plugin_class, path, capsys)


def test_an_ini_looking_file_is_left_to_the_ini_plugin(plugin_class: Any) -> None:
    with pytest.raises(AnsibleParserError, match="looks like an INI inventory"):
        parse(plugin_class, FIXTURES / "bad" / "ini-like")


def test_cache_is_reused_until_the_file_changes(plugin_class: Any, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSIBLE_INVENTORY_CACHE", "true")
    monkeypatch.setenv("ANSIBLE_INVENTORY_CACHE_PLUGIN", "jsonfile")
    monkeypatch.setenv("ANSIBLE_INVENTORY_CACHE_CONNECTION", str(tmp_path / "cache"))
    nodes = tmp_path / "OAR.3.stdout"
    nodes.write_text("node1\nnode2\n")
    plugin = plugin_class()
    plugin.parse(InventoryData(), DataLoader(), str(nodes), cache=True)
    plugin.update_cache_if_changed()
    cached = plugin._cache[plugin.get_cache_key(str(nodes))]
    assert list(cached["hosts"]) == ["node1", "node2"]

    nodes.write_text("node1\nnode2\nnode3\n")
    os.utime(nodes, ns=(1, 1))
    plugin = plugin_class()
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(nodes), cache=True)
    assert sorted(inventory.hosts) == ["node1", "node2", "node3"]
