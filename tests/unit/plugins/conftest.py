"""The collection's plugins are imported as Ansible imports them: ansible_collections.oar.nxc.*,
through the checkout's collections/ansible_collections/oar/nxc symlink.

Under ``ansible-test units`` (scripts/ansible-test.sh units), ansible-test installs its own collection
finder, and its module_utils tests see only ``ansible.module_utils``: there is nothing to install then."""

from __future__ import annotations

import gc
import importlib.util
import sys
from collections.abc import Iterator

import pytest
from tests.conftest import REPO

FINDER_INSTALLED = any(type(f).__name__ == "_AnsibleCollectionFinder" for f in sys.meta_path)
if importlib.util.find_spec("ansible.plugins") is not None and not FINDER_INSTALLED:
    from ansible.plugins.loader import init_plugin_loader

    # installs Ansible's collection finder (a sys.meta_path hook) for the whole test session
    init_plugin_loader([str(REPO / "collections")])


@pytest.fixture(autouse=True)
def _unfrozen_heap() -> Iterator[None]:
    """The oar_nxc inventory plugin freezes the heap once it has read a source (gc.freeze(): an Ansible run forks
    a worker per task); the test process gets its collector back after each test."""
    yield
    gc.unfreeze()
