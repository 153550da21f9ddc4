"""Every plugin's DOCUMENTATION, RETURN and EXAMPLES are YAML that parses (EXAMPLES may hold several
documents): an unquoted ': ' in a description breaks ansible-doc, ansible-lint and the argument specs that
the actions read from their documentation, and only ansible-test would say so, minutes later."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

PLUGINS = Path(__file__).resolve().parents[3] / "plugins"
FILES = sorted(p for p in PLUGINS.rglob("*.py") if p.parent.name in (
    "modules", "inventory", "lookup", "filter", "callback", "doc_fragments") and p.name != "__init__.py")


def blocks(path: Path) -> dict[str, str]:
    """The documentation strings assigned at the top level (or in a class, for doc fragments)."""
    found = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if not isinstance(target, ast.Name):
                    continue
                fragment = path.parent.name == "doc_fragments" and target.id.isupper()
                if fragment or target.id in ("DOCUMENTATION", "RETURN", "EXAMPLES"):
                    found[target.id] = node.value.value
    return found


def test_there_are_plugins_to_check() -> None:
    assert len(FILES) > 15
    assert sum(len(blocks(p)) for p in FILES) > 40


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_documentation_parses(path: Path) -> None:
    for name, text in blocks(path).items():
        try:
            if name == "EXAMPLES":
                list(yaml.safe_load_all(text))
            else:
                assert isinstance(yaml.safe_load(text), (dict, type(None))), name
        except yaml.YAMLError as exc:
            pytest.fail(f"{path.relative_to(PLUGINS.parent)} {name}: {exc}")
