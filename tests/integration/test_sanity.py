"""ansible-test sanity and units on the collection, from its path (scripts/ansible-test.sh stages the checkout
at ansible_collections/oar/nxc): ansible-core 2.19 of the project's .venv here; 2.20 and 2.21 in
test_versions' virtual environments. Each sanity run must be clean with only tests/sanity/ignore-2.*.txt;
each units run must pass every test of tests/unit/plugins/, the same tests pytest runs from the checkout."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from tests.conftest import BIN, REPO, WORK_DIR
from tests.integration.packaging import venv_env

CORES = ("2.19", "2.20", "2.21")


def sanity(ansible_test: Path, python: str, work: Path) -> subprocess.CompletedProcess[str]:
    env = venv_env(ansible_test.parent, ANSIBLE_TEST=str(ansible_test), OAR_NXC_ANSIBLE_TEST_DIR=str(work))
    return subprocess.run([str(REPO / "scripts/ansible-test.sh"), "sanity", "--venv", "--python", python],
                          cwd=REPO, capture_output=True, text=True, timeout=1200, check=False, env=env)


def units(ansible_test: Path, python: str, work: Path) -> subprocess.CompletedProcess[str]:
    env = venv_env(ansible_test.parent, ANSIBLE_TEST=str(ansible_test), OAR_NXC_ANSIBLE_TEST_DIR=str(work))
    return subprocess.run([str(REPO / "scripts/ansible-test.sh"), "units", "--venv", "--python", python,
                           "--requirements", "tests/unit/plugins/"], cwd=REPO, capture_output=True, text=True,
                          timeout=1200, check=False, env=env)


def plugin_tests() -> int:
    """How many tests pytest collects in tests/unit/plugins/ from the checkout."""
    done = subprocess.run([str(BIN / "pytest"), "--collect-only", "-q", "tests/unit/plugins/"], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=True)
    (line,) = [x for x in done.stdout.splitlines() if " tests collected" in x or " test collected" in x]
    return int(line.split()[0])


def assert_units_pass(proc: subprocess.CompletedProcess[str]) -> None:
    """Both of ansible-test's runs (module_utils, controller) pass, and together they ran every plugin test."""
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "Unit test module_utils with Python" in out and "Unit test controller with Python" in out
    counts = [int(n) for n in re.findall(r"^=+ (\d+) passed[ ,]", out, re.MULTILINE)]
    assert len(counts) == 2 and "failed" not in " ".join(re.findall(r"^=+ .* =+$", out, re.MULTILINE)), out[-3000:]
    assert sum(counts) == plugin_tests()


def assert_clean(proc: subprocess.CompletedProcess[str]) -> None:
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith(("ERROR:", "FATAL:"))]
    assert proc.returncode == 0 and errors == [], "\n".join(errors) or proc.stderr[-3000:]
    assert 'Running sanity test "validate-modules"' in proc.stdout
    assert 'Running sanity test "pylint"' in proc.stdout


def test_the_ignore_files_are_the_same_for_every_version_and_give_a_reason() -> None:
    texts = {core: (REPO / f"tests/sanity/ignore-{core}.txt").read_text() for core in CORES}
    assert len(set(texts.values())) == 1, "tests/sanity/ignore-2.*.txt differ"
    for line in texts["2.19"].splitlines():
        entry, _sep, reason = line.partition("  # ")
        path, rule = entry.split(" ")
        assert (REPO / path).exists() or (REPO / path.rstrip("/")).is_symlink(), line
        assert rule and len(reason) > 20, f"no reason given: {line}"


def test_sanity_is_clean_on_the_projects_ansible_core(tmp_path: Path) -> None:
    assert_clean(sanity(BIN / "ansible-test", "3.11", tmp_path))


def work_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob(WORK_DIR.name.rpartition("-")[0] + "-*"))


def test_units_pass_on_the_projects_ansible_core(tmp_path: Path) -> None:
    before = work_dirs()
    assert_units_pass(units(BIN / "ansible-test", "3.11", tmp_path))
    # its pytest processes import tests/conftest.py as a plain module too: none leaves a work directory behind
    assert work_dirs() - before == set()
