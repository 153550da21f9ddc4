"""The inventory plugin's options, as ansible-doc shows them, are the core's lists: the options every source
takes, a configuration's own, the ones only Ansible applies (constructed, the cache), and each option's
environment variable. oar-nxc inventory reads a configuration with the same lists."""

from __future__ import annotations

import importlib

import yaml

from oar_nxc import api
from oar_nxc.inventory import sources


def documented() -> dict[str, dict[str, object]]:
    module = importlib.import_module("ansible_collections.oar.nxc.plugins.inventory.oar_nxc")
    return dict(yaml.safe_load(module.DOCUMENTATION)["options"])


def test_the_options_are_the_cores_lists() -> None:
    from ansible.plugins.loader import inventory_loader

    plugin = inventory_loader.get("oar.nxc.oar_nxc")
    assert plugin is not None
    plugin.set_options()
    every = set(plugin._options)
    own = set(documented())
    assert own == set(sources.COMMON_OPTIONS) | set(sources.CONFIG_OPTIONS)
    # the constructed and inventory_cache fragments' options: what only ansible-inventory applies
    assert every - own == set(api.ANSIBLE_ONLY_KEYS), every - own


def test_each_options_environment_variable_is_the_cores() -> None:
    env = {name: [e["name"] for e in doc.get("env", [])] for name, doc in documented().items()}  # type: ignore[attr-defined]
    assert {name: names[0] for name, names in env.items() if names} == sources.OPTION_ENV
