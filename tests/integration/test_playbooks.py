"""Every playbook passes --syntax-check, and the root ones are the one-line wrappers."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import BIN, REPO, run

ROOT = ["build.yml", "deploy.yml", "install_nix.yml", "redeploy.yml", "smoke.yml", "teardown.yml"]
ALL = ROOT + [f"playbooks/{p.name}" for p in sorted((REPO / "playbooks").glob("*.yml"))]


@pytest.mark.parametrize("name", ALL)
def test_syntax_check(name: str) -> None:
    result = run([str(BIN / "ansible-playbook"), "--syntax-check", name])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"playbook: {name}"


@pytest.mark.parametrize("name", ROOT)
def test_root_playbook_imports_playbooks_dir(name: str) -> None:
    assert yaml.safe_load((REPO / name).read_text()) == [
        {"name": yaml.safe_load((REPO / name).read_text())[0]["name"],
         "ansible.builtin.import_playbook": f"playbooks/{name}"}]


def test_every_role_is_documented() -> None:
    for role in sorted((REPO / "roles").iterdir()):
        defaults = yaml.safe_load((role / "defaults/main.yml").read_text())
        spec = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
        readme = (role / "README.md").read_text()
        assert sorted(defaults) == sorted(spec), role.name
        for var in defaults:
            assert var.startswith(f"{role.name}_"), var
            assert f"`{var}`" in readme, f"{role.name}/README.md does not document {var}"
