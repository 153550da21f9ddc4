"""The collection's plugins are imported as Ansible imports them: ansible_collections.oar.nxc.*,
through the checkout's collections/ansible_collections/oar/nxc symlink.

Under ``ansible-test units`` (scripts/ansible-test.sh units), ansible-test installs its own collection
finder, and its module_utils tests see only ``ansible.module_utils``: there is nothing to install then."""

from __future__ import annotations

import importlib.util
import sys

from tests.conftest import REPO

FINDER_INSTALLED = any(type(f).__name__ == "_AnsibleCollectionFinder" for f in sys.meta_path)
if importlib.util.find_spec("ansible.plugins") is not None and not FINDER_INSTALLED:
    from ansible.plugins.loader import init_plugin_loader

    # installs Ansible's collection finder (a sys.meta_path hook) for the whole test session
    init_plugin_loader([str(REPO / "collections")])
