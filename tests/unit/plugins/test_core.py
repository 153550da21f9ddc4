"""The collection's link to the oar_nxc core: a missing core is named with the fix, as the failure of
the plugin that needed it."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleActionFail, AnsibleLookupError
from ansible_collections.oar.nxc.plugins.plugin_utils import core


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
