#!/usr/bin/python
"""Ansible module: a digest of an nxc build's inputs (composition files, setup, flavour)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nxc_fingerprint
short_description: Digest of the inputs of an nxc build
description:
  - Hashes the relative path and content of every regular file under O(paths), in sorted
    order, skipping the directories named in O(exclude), plus the JSON of O(extra).
  - The nxc_build role compares it with the digest of the last successful build to skip
    C(nxc build) when nothing changed. Read-only; supports check mode.
options:
  paths:
    description: Directories (or files) to hash.
    type: list
    elements: path
    required: true
  exclude:
    description: Directory names to skip anywhere below O(paths).
    type: list
    elements: str
    default: [build, deploy, artifact, result, .oar-nxc, .git, __pycache__]
  extra:
    description: Other build inputs (flavour, setup variant, parameters, nxc version).
    type: raw
    default: {}
author: oar-nxc
"""

EXAMPLES = r"""
- name: Fingerprint the composition
  nxc_fingerprint:
    paths: [/home/alice/oar-nxc/compositions]
    extra: {flavour: g5k-nfs-store, setup: "", params: {}}
  register: fp
"""

RETURN = r"""
digest:
  description: sha256 hex digest of the inputs.
  returned: success
  type: str
files:
  description: Number of files hashed.
  returned: success
  type: int
"""

import hashlib
import json
import os

from ansible.module_utils.basic import AnsibleModule


def fingerprint(paths: list[str], exclude: set[str], extra: object) -> tuple[str, int]:
    digest = hashlib.sha256()
    count = 0
    for root_path in paths:
        root_path = os.path.abspath(root_path)
        if os.path.isfile(root_path):
            entries = [(os.path.dirname(root_path), os.path.basename(root_path))]
        else:
            entries = []
            for directory, dirs, files in os.walk(root_path):
                dirs[:] = sorted(d for d in dirs if d not in exclude)
                entries.extend((directory, name) for name in sorted(files))
        for directory, name in entries:
            full = os.path.join(directory, name)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            digest.update(os.path.relpath(full, root_path).encode() + b"\0")
            with open(full, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 16), b""):
                    digest.update(block)
            digest.update(b"\0")
            count += 1
    digest.update(json.dumps(extra, sort_keys=True).encode())
    return digest.hexdigest(), count


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "paths": {"type": "list", "elements": "path", "required": True},
            "exclude": {"type": "list", "elements": "str",
                        "default": ["build", "deploy", "artifact", "result", ".oar-nxc", ".git", "__pycache__"]},
            "extra": {"type": "raw", "default": {}},
        },
        supports_check_mode=True,
    )
    missing = [p for p in module.params["paths"] if not os.path.exists(p)]
    if missing:
        module.fail_json(msg=f"nxc_fingerprint: no such file or directory: {', '.join(missing)}")
    digest, count = fingerprint(module.params["paths"], set(module.params["exclude"]), module.params["extra"])
    module.exit_json(changed=False, digest=digest, files=count)


if __name__ == "__main__":
    main()
