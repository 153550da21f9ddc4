# Copyright: (c) 2026, the oar-nxc developers
# MIT License (see LICENSE)
"""The base of the oar.nxc actions: what every one of them repeated, written once.

- the attributes of an action that runs on the controller and transfers no file;
- the guard that names how to install the oar_nxc core when it is missing;
- validation of the task's arguments against the very spec ``ansible-doc`` shows: the options of
  the ``DOCUMENTATION`` of ``plugins/modules/<name>.py``, read once and turned into an argument
  spec (as ansible.netcommon's ``convert_doc_to_ansible_module_kwargs`` does). A default, a type
  or a choice is therefore written in one place, the documentation.

An action subclasses :class:`OarNxcAction`, sets ``NAME`` (and ``NO_LOG`` for secret options)
and implements :meth:`act`.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any, ClassVar

import yaml
from ansible.plugins.action import ActionBase
from ansible_collections.oar.nxc.plugins.plugin_utils import core

# the keys of a documented option that are also keys of an argument spec
SPEC_KEYS = ("type", "default", "choices", "required", "elements", "aliases")


def _spec_of(options: dict[str, Any], no_log: frozenset[str]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for name, doc in options.items():
        entry = {key: doc[key] for key in SPEC_KEYS if key in doc}
        if "suboptions" in doc:
            entry["options"] = _spec_of(doc["suboptions"], no_log)
        if name in no_log:
            entry["no_log"] = True
        spec[name] = entry
    return spec


def _fragment_options(fragment: str) -> dict[str, Any]:
    """The options of one of this collection's doc fragments, ``oar.nxc.<name>[.<variable>]``."""
    if not fragment.startswith("oar.nxc."):
        return {}
    name, _unused, variable = fragment.removeprefix("oar.nxc.").partition(".")
    module = importlib.import_module(f"ansible_collections.oar.nxc.plugins.doc_fragments.{name}")
    text = getattr(module.ModuleDocFragment, (variable or "DOCUMENTATION").upper())
    return yaml.safe_load(text).get("options") or {}


@cache
def documented_spec(name: str, no_log: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The argument spec of the module NAME's documented options (plugins/modules/NAME.py, with the
    options of its oar.nxc doc fragments)."""
    module = importlib.import_module(f"ansible_collections.oar.nxc.plugins.modules.{name}")
    doc = yaml.safe_load(module.DOCUMENTATION)
    options: dict[str, Any] = {}
    for fragment in doc.get("extends_documentation_fragment") or []:
        options.update(_fragment_options(fragment))
    options.update(doc.get("options") or {})
    return _spec_of(options, no_log)


class OarNxcAction(ActionBase):
    """An oar.nxc action: runs on the controller, validates its documented arguments, needs the core."""

    NAME: ClassVar[str] = ""  # the module whose DOCUMENTATION holds the options
    NO_LOG: ClassVar[frozenset[str]] = frozenset()  # options whose values are secrets
    NEEDS_CORE: ClassVar[bool] = True
    RULES: ClassVar[dict[str, Any]] = {}  # required_if, mutually_exclusive, ... of the argument spec
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True  # every oar.nxc action supports check mode (its result says what would run)

    @classmethod
    def argument_spec(cls) -> dict[str, Any]:
        return documented_spec(cls.NAME, cls.NO_LOG)

    def run(self, tmp: Any = None, task_vars: Any = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        if self.NEEDS_CORE:
            core.require()
        _unused, args = self.validate_argument_spec(argument_spec=self.argument_spec(), **self.RULES)
        return self.act(dict(args), task_vars or {}, result)

    def act(self, args: dict[str, Any], task_vars: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        """The action's work, on validated ARGS; fills and returns RESULT."""
        raise NotImplementedError
