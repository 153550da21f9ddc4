"""The collection's link to the oar_nxc core: a missing core is named with the fix, as the failure of
the plugin that needed it."""

from __future__ import annotations

import re
import sys

import pytest
from ansible.errors import AnsibleActionFail, AnsibleLookupError
from ansible_collections.oar.nxc.plugins.plugin_utils import core
from tests.conftest import REPO


def test_an_importable_core_requires_nothing() -> None:
    assert core.missing() is None
    core.require()


@pytest.mark.parametrize("error", [AnsibleActionFail, AnsibleLookupError])
def test_a_missing_core_fails_naming_the_fix(monkeypatch: pytest.MonkeyPatch, error: type[Exception]) -> None:
    monkeypatch.setattr(core, "IMPORT_ERROR", ImportError("No module named 'oar_nxc'"))
    with pytest.raises(error) as raised:
        core.require(error)
    message = str(raised.value)
    assert message.startswith("the oar.nxc collection needs the oar_nxc Python package in the Python of ansible-core (")
    assert message.endswith("): pip install oar-nxc (a wheel built from the oar-nxc repository, see the collection's "
                            "requirements.txt) [No module named 'oar_nxc']")


def test_a_core_of_another_plugin_api_fails_naming_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import oar_nxc

    monkeypatch.setattr(core, "FOUND_API", 2)
    with pytest.raises(AnsibleActionFail) as raised:
        core.require()
    assert str(raised.value) == (
        f"the oar.nxc collection needs the oar_nxc core's plugin API 1, and the oar-nxc {oar_nxc.__version__} "
        f"installed in {sys.executable} has 2: install the oar-nxc wheel of the same version as the collection "
        "(see its requirements.txt)")


def test_the_plugins_import_nothing_of_the_core_but_its_plugin_api() -> None:
    """Modules may move inside the core (a new subpackage): only oar_nxc/plugin_api.py changes with them."""
    imports = re.compile(r"^\s*(?:from (oar_nxc[\w.]*) import|import (oar_nxc[\w.]*))", re.M)
    found = {(str(p.relative_to(REPO)), a or b) for p in (REPO / "plugins").rglob("*.py")
             for a, b in imports.findall(p.read_text())}
    assert {name for _unused, name in found} == {"oar_nxc", "oar_nxc.plugin_api"}, found
    from oar_nxc import plugin_api

    assert plugin_api.API == core.API
