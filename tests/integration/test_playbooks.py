"""Every playbook passes --syntax-check, and the root ones are the one-line wrappers."""

from __future__ import annotations

import re

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
def test_root_playbook_imports_the_collection_playbook(name: str) -> None:
    assert yaml.safe_load((REPO / name).read_text()) == [
        {"name": yaml.safe_load((REPO / name).read_text())[0]["name"],
         "ansible.builtin.import_playbook": f"oar.nxc.{name.removesuffix('.yml')}"}]


def test_every_tasks_from_is_an_entry_point() -> None:
    """A role entry point used by a playbook has an argument spec (ansible-doc shows it)."""
    used: set[tuple[str, str]] = set()
    for path in [*REPO.glob("playbooks/*.yml"), *REPO.glob("roles/*/tasks/*.yml")]:
        for match in re.finditer(r"name: oar\.nxc\.(\w+)\n\s+tasks_from: (\w+)", path.read_text()):
            used.add((match[1], match[2]))
    assert used == {("nxc_deploy", "load"), ("nxc_deploy", "wait")}
    for role, entry in used:
        specs = yaml.safe_load((REPO / "roles" / role / "meta/argument_specs.yml").read_text())["argument_specs"]
        assert entry in specs, f"{role}: no argument spec for the entry point {entry}"


def test_every_reference_is_by_fqcn() -> None:
    """Roles, modules, filters and imported playbooks of the collection are named oar.nxc.*."""
    short = re.compile(r"(include_role:\n\s+name: (?!oar\.nxc\.)\w+|import_playbook: (?!oar\.nxc\.)"
                       r"|\|\s*(oar_job_id|oar_node_states|oar_not_alive|oar_job_state|oar_job_info|oar_version|"
                       r"nxc_error|ansible_unsupported|missing_collections)\b|^\s+nxc_fingerprint:)", re.MULTILINE)
    offenders = [f"{p.relative_to(REPO)}: {m[0]!r}" for p in [*REPO.glob("*.yml"), *REPO.glob("playbooks/*.yml"),
                                                             *REPO.glob("roles/*/tasks/*.yml")]
                 for m in short.finditer(p.read_text())]
    assert offenders == []


def test_every_role_is_documented() -> None:
    for role in sorted((REPO / "roles").iterdir()):
        defaults = yaml.safe_load((role / "defaults/main.yml").read_text())
        spec = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
        readme = (role / "README.md").read_text()
        assert sorted(defaults) == sorted(spec), role.name
        for var in defaults:
            assert var.startswith(f"{role.name}_"), var
            assert f"`{var}`" in readme, f"{role.name}/README.md does not document {var}"
