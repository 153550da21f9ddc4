"""Sphinx extension of the oar.nxc docs site: links to Ansible's own documentation, offline.

antsibull-docs' pages refer to labels of docs.ansible.com (`common_return_values`, `action_plugins`,
ansible.builtin's modules, the ANSIBLE_* environment variables), which Sphinx resolves with that
site's intersphinx inventory. The inventory is out of reach from a machine that only reaches the
package index, so this resolves those references, and only those, to their page on docs.ansible.com.
Any other unresolved reference stays a warning, which fails the build (-W).
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes

ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/latest/"
# Ansible's labels used by antsibull-docs' templates, and their page
LABELS = {
    "common_return_values": "reference_appendices/common_return_values.html",
    "action_plugins": "plugins/action.html",
    "ansible_configuration_settings": "reference_appendices/config.html",
}
BUILTIN = re.compile(r"ansible_collections\.ansible\.builtin\.(\w+)_(module|lookup|filter|test|inventory|connection)$")
ENVVAR = re.compile(r"ANSIBLE_[A-Z0-9_]+$")


def target_url(domain: str, reftype: str, target: str) -> str | None:
    """The docs.ansible.com page of a reference of Ansible's own documentation, else None."""
    if domain == "std" and reftype == "ref":
        if target in LABELS:
            return ANSIBLE_DOCS + LABELS[target]
        found = BUILTIN.match(target)
        if found:
            return f"{ANSIBLE_DOCS}collections/ansible/builtin/{found.group(1)}_{found.group(2)}.html"
    if domain == "std" and reftype == "envvar" and ENVVAR.match(target):
        return f"{ANSIBLE_DOCS}reference_appendices/config.html#envvar-{target}"
    return None


def missing_reference(_app: Any, _env: Any, node: Any, contnode: nodes.Node) -> nodes.reference | None:
    url = target_url(node.get("refdomain", ""), node.get("reftype", ""), node.get("reftarget", ""))
    if url is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=url)
    reference.append(contnode)
    return reference


def setup(app: Any) -> dict[str, Any]:
    app.connect("missing-reference", missing_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
