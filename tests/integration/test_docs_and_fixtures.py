"""The plugin's documentation renders, and the deployment fixtures are what the real nxc writes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import BIN, FIXTURES, REPO, clean_env, run


def test_ansible_doc_renders_from_the_repository_root() -> None:
    result = run([str(BIN / "ansible-doc"), "-t", "inventory", "oar.nxc.oar_nxc"])
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "Reads an OAR nodefile" in text
    assert "ansible-playbook deploy.yml -i $OAR_NODEFILE" in text.replace("`", "").replace("'", "")
    for option in ("nodefile", "deployment", "nodes", "exclude", "keyed_groups", "cache_plugin"):
        assert f"{option}" in text


def test_plugin_listed_by_ansible_doc() -> None:
    result = run([str(BIN / "ansible-doc"), "-t", "inventory", "-l"])
    assert result.returncode == 0
    listed = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "OAR nodefiles and NixOS-Compose" in listed["oar.nxc.oar_nxc"]


def documented() -> list[tuple[str, str]]:
    """(type, FQCN) of everything the collection ships that ansible-doc can show."""
    items = [("inventory", "oar.nxc.oar_nxc")]
    items += [("module", f"oar.nxc.{p.stem}") for p in sorted((REPO / "plugins/modules").glob("*.py"))]
    items += [("filter", f"oar.nxc.{p.stem}") for p in sorted((REPO / "plugins/filter").glob("*.yml"))]
    items += [("role", f"oar.nxc.{p.name}") for p in sorted((REPO / "roles").iterdir())]
    return items


@pytest.mark.parametrize(("kind", "name"), documented())
def test_ansible_doc_by_fqcn_is_clean(kind: str, name: str) -> None:
    result = run([str(BIN / "ansible-doc"), "-t", kind, name], env=clean_env(ANSIBLE_NOCOLOR="1"))
    assert (result.returncode, result.stderr) == (0, "")
    assert name in result.stdout
    if kind == "role":
        specs = yaml.safe_load((REPO / "roles" / name.split(".")[-1] / "meta/argument_specs.yml").read_text())
        for entry in specs["argument_specs"]:
            assert f"ENTRY POINT: *{entry}* - " in result.stdout


def test_deployment_fixtures_match_the_real_nxc(tmp_path: Path) -> None:
    """Regenerate every deployment fixture with nixos-compose 0.7.11 and compare."""
    result = subprocess.run([sys.executable, str(FIXTURES / "deployments/generate.py"), str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr + result.stdout
    names = sorted(p.name for p in tmp_path.glob("*.json"))
    assert names == sorted(p.name for p in (FIXTURES / "deployments").glob("*.json"))
    for name in names:
        assert json.loads((tmp_path / name).read_text()) == json.loads((FIXTURES / "deployments" / name).read_text())


def test_the_readmes_list_of_compositions_is_generated_from_the_kept_reports() -> None:
    from oar_nxc import statustable

    runs, notes = statustable.collect([str(REPO / "docs" / "ci-status")])
    assert notes == []
    assert sorted(runs) == [(c, f) for c in ("master", "nfs-home") for f in ("g5k-nfs-store", "g5k-ramdisk")]
    assert all((r.exit_code, r.passed, r.checks) == (0, 7, 7) and r.report is not None for r in runs.values())
    assert len({r.commit for r in runs.values()}) == 1
    readme = (REPO / "README.md").read_text()
    table = statustable.markdown(runs, compositions=str(REPO / "compositions"), cwd=REPO)
    assert statustable.update(readme, table, "README.md") == readme  # what `make status-table` writes
    done = run([str(BIN / "oar-nxc"), "report", "--table", "docs/ci-status", "--compositions", "compositions"],
               cwd=REPO)
    assert done.stdout == table + "\n"


def test_the_architecture_names_every_package_and_module_of_the_core() -> None:
    """ARCHITECTURE.md's code map stays true: every subpackage and every top-level module of src/oar_nxc is
    named in it, every module a subpackage holds too, and it stays short; the README's Layout points at it."""
    text = (REPO / "ARCHITECTURE.md").read_text()
    assert len(text.splitlines()) < 300
    core = REPO / "src" / "oar_nxc"
    for package in sorted(p for p in core.iterdir() if (p / "__init__.py").is_file()):
        assert f"`src/oar_nxc/{package.name}/`" in text, package.name
        for module in sorted(package.glob("*.py")):
            if module.stem != "__init__":
                assert re.search(rf"`{module.stem}[`.]", text), f"{package.name}/{module.name}"
    for module in sorted(core.glob("*.py")):
        if module.stem != "__init__":
            assert re.search(rf"`{module.stem}[`.]", text), module.name
    readme = (REPO / "README.md").read_text()
    layout = readme[readme.index("## Layout"):readme.index("## Development")]
    assert "[ARCHITECTURE.md](ARCHITECTURE.md)" in layout
