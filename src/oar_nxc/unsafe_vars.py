"""Extra variables as data, never templates: the CLI's values (options, paths, names) reach Ansible in
a YAML file whose every string carries Ansible's ``!unsafe`` tag, given with ``-e @FILE``.

Ansible templates the strings of extra variables, and a template can run a command
(``{{ lookup('pipe', ...) }}``); a value tagged ``!unsafe`` is never templated. JSON (what
ansible-runner writes for its ``extravars``) cannot carry the tag, hence this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

FILE = "extravars.yml"  # in the run directory


class _Dumper(yaml.SafeDumper):
    """Every string scalar (keys of mappings aside) as ``!unsafe``."""


def _unsafe_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("!unsafe", value, style="'")


def _mapping(dumper: yaml.SafeDumper, value: Mapping[Any, Any]) -> yaml.MappingNode:
    node = yaml.MappingNode("tag:yaml.org,2002:map", [])
    for key, item in value.items():
        node.value.append((dumper.represent_scalar("tag:yaml.org,2002:str", str(key)), dumper.represent_data(item)))
    return node


def _sequence(dumper: yaml.SafeDumper, value: tuple[Any, ...]) -> yaml.SequenceNode:
    return dumper.represent_list(list(value))


_Dumper.add_representer(str, _unsafe_str)
_Dumper.add_representer(dict, _mapping)
_Dumper.add_representer(tuple, _sequence)


def dumps(variables: Mapping[str, Any]) -> str:
    return "---\n# oar-nxc's extra variables: data, never templates (!unsafe)\n" + yaml.dump(
        dict(variables), Dumper=_Dumper, allow_unicode=True, sort_keys=True, width=1 << 16)


def write(run_dir: Path, variables: Mapping[str, Any]) -> Path:
    """RUN_DIR/extravars.yml, for ``-e @<it>``."""
    path = run_dir / FILE
    path.write_text(dumps(variables), encoding="utf-8")
    return path
