#!/usr/bin/python
# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""Documentation of the composition_stage action (plugins/action/composition_stage.py); it runs on the controller."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: composition_stage
short_description: Copy the compositions shipped in the collection into your work directory
version_added: "1.1.0"
description:
  - C(nxc build) and C(nxc start) write C(build/), C(deploy/) and C(.oar-nxc/) into the composition directory.
    A composition of your own (an absolute O(composition), or an O(compositions_dir) outside the collection)
    is used in place and left alone by this module.
  - A composition shipped inside the collection is used from a copy, C(<work_dir>/compositions/<name>), so that
    an installed collection, read-only or not, is never written. The whole compositions directory is copied,
    since a composition may import its siblings' files.
  - The copy is a sync. Files whose bytes differ are rewritten and files gone from the source are removed;
    the C(build/), C(deploy/) and C(.oar-nxc/) of each copied composition are kept. A second run changes nothing.
  - "The playbooks compute the same place with the P(oar.nxc.composition_place#filter) filter, and run this module
    outside check mode too (C(oar-nxc plan)): the copy is a cache of read-only sources, and the plan of the build
    reads the composition where the build would run."
options:
  composition:
    description: The composition (C(oar_nxc_composition)), a name of O(compositions_dir) or an absolute path.
    type: str
    required: true
  compositions_dir:
    description: Where compositions named by their name are found.
    type: path
    required: true
  collection_dir:
    description: The collection's directory; a compositions directory inside it is copied.
    type: path
    required: true
  work_dir:
    description: The writable directory the copies go into (an absolute path outside the collection).
    type: path
    required: true
author:
  - oar-nxc developers (@oar-nxc)
extends_documentation_fragment:
  - oar.nxc.attributes
"""

EXAMPLES = r"""
- name: Copy the shipped compositions into the work directory
  oar.nxc.composition_stage:
    composition: master
    compositions_dir: "{{ oar_nxc_compositions_dir }}"
    collection_dir: "{{ oar_nxc_collection_dir }}"
    work_dir: "{{ oar_nxc_work_dir }}"
"""

RETURN = r"""
composition_dir:
  description: Where nxc runs for this composition.
  returned: success
  type: str
root:
  description: The compositions directory it belongs to.
  returned: success
  type: str
source:
  description: The compositions directory copied from; empty when the composition is used in place.
  returned: success
  type: str
staged:
  description: Whether the composition is used from a copy.
  returned: success
  type: bool
written:
  description: The files written (check mode, to be written), relative to O(work_dir)/compositions.
  returned: success
  type: list
  elements: str
removed:
  description: The files removed from the copy (check mode, to be removed).
  returned: success
  type: list
  elements: str
"""
