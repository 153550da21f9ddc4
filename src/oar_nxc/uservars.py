"""The user's own ``-e`` values, looked at before ``ansible-playbook`` starts: each one Ansible could not read
(a file that is not a regular file or is too large, YAML or JSON it cannot parse, data nested deeper than a
JSON input may be) is refused naming the ``-e`` value, with exit 2.

Ansible reads ``-e`` itself, after the CLI; its refusal of such a value (a parse error, a recursion in its
YAML reader) comes without a task, so the run could only say "failed". Nothing here changes what Ansible
reads: a value that passes is handed over as given. Ansible's own tags (``!unsafe``, ``!vault``) are
accepted as they are; ``key=value`` words are not structured data and are not looked into.
"""

from __future__ import annotations

from typing import Any

import yaml

from oar_nxc.errors import ConfigError, OarNxcError
from oar_nxc.formats import reading
from oar_nxc.terminal import shown


class _Loader(yaml.SafeLoader):
    """YAML as Ansible reads a vars file, any tag (``!unsafe``, ``!vault``) read as its plain value."""


def _any_tag(loader: _Loader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _any_tag)


def _said(value: str) -> str:
    """A file as its whole path (escaped), inline data as an excerpt."""
    return f"@{shown(value[1:])}" if value.startswith("@") else reading.excerpt(value, 60)


def check(values: list[str]) -> None:
    """Refuse (ConfigError naming ``-e VALUE``) the first ``-e`` value Ansible could not read as data."""
    for value in values:
        if value.startswith("@"):
            path = value[1:]
            try:
                text = reading.decode(reading.read_bytes(path, "configuration file"), path)
            except OarNxcError as exc:
                raise ConfigError(f"-e {_said(value)}: {exc}") from None
        elif value.lstrip().startswith(("{", "[")):
            text = value
        else:
            continue  # key=value words
        try:
            data = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader)
        except RecursionError:
            raise ConfigError(f"-e {_said(value)}: nested deeper than {reading.JSON_MAX_DEPTH} levels") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(f"-e {_said(value)}: not YAML or JSON Ansible can read: {problem}{where}") from None
        try:
            reading.check_nesting(data, "-e")
        except OarNxcError as exc:
            raise ConfigError(f"-e {_said(value)}: {str(exc).removeprefix('-e: ')}") from None
