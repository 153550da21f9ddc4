"""The collection's plugins are imported as Ansible imports them: ansible_collections.oar.nxc.*,
through the checkout's collections/ansible_collections/oar/nxc symlink."""

from __future__ import annotations

from ansible.plugins.loader import init_plugin_loader
from tests.conftest import REPO

# installs Ansible's collection finder (a sys.meta_path hook) for the whole test session
init_plugin_loader([str(REPO / "collections")])
