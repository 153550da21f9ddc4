"""The changelog is antsibull-changelog's: its lint is clean, CHANGELOG.md is what it generates from
changelogs/changelog.yaml, and scripts/changelog-check.py fails a branch that changes plugins/, roles/ or src/
without a fragment (run on real git repositories)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BIN = Path(sys.executable).parent
CHECK = REPO / "scripts" / "changelog-check.py"


def tool_env() -> dict[str, str]:
    """antsibull-changelog runs ansible-doc: the checkout's, and the checkout's collection (ansible.cfg)."""
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def test_antsibull_changelog_lint_is_clean() -> None:
    done = subprocess.run([str(BIN / "antsibull-changelog"), "lint"], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env=tool_env(), check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_changelog_md_is_generated_from_changelog_yaml(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(REPO, copy, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "build", "oar-nxc-runs", "tests", ".plugin-cache.yaml"))
    done = subprocess.run([str(BIN / "antsibull-changelog"), "generate", "--output", str(tmp_path / "out.md"),
                           "--output-format", "md"], cwd=copy, capture_output=True, text=True, timeout=300,
                          env=tool_env(), check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.md").read_text() == (REPO / "CHANGELOG.md").read_text(), (
        "CHANGELOG.md is not antsibull-changelog's output: run `antsibull-changelog generate`")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose origin/main has a plugin, a role, the core and docs; HEAD is a branch off it."""
    origin, clone = tmp_path / "origin", tmp_path / "clone"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    for path in ("plugins/modules/m.py", "roles/r/tasks/main.yml", "src/oar_nxc/core.py", "docs/guide.md",
                 "changelogs/fragments/.keep"):
        (origin / path).parent.mkdir(parents=True, exist_ok=True)
        (origin / path).write_text("one\n")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "base")
    git(origin, "checkout", "-q", "--detach")  # so that the tests can push to its branches
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "checkout", "-q", "-b", "topic")
    return clone


def check(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CI_")}
    return subprocess.run([sys.executable, str(CHECK), *args], cwd=repo, capture_output=True, text=True, timeout=60,
                          env={**environ, **(env or {})}, check=False)


def commit(repo: Path, path: str, text: str = "two\n") -> None:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"change {path}")


@pytest.mark.parametrize("path", ["plugins/modules/m.py", "roles/r/tasks/main.yml", "src/oar_nxc/core.py"])
def test_a_change_without_a_fragment_fails_naming_the_file(repo: Path, path: str) -> None:
    commit(repo, path)
    done = check(repo)
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        f"1 changed file(s) under plugins/, roles/, src/ and no changelog fragment: {path}. "
        "Add changelogs/fragments/<name>.yml (antsibull-changelog's format; `trivial:` for a change users do not see).")
    commit(repo, "changelogs/fragments/fix.yml", "trivial:\n  - A fix.\n")
    done = check(repo)
    base = git(repo, "rev-parse", "origin/main")[:12]
    assert (done.returncode, done.stdout.strip()) == (0, f"changelog-check: since {base}: fine")


def test_a_deleted_file_counts_and_a_deleted_fragment_does_not(repo: Path) -> None:
    commit(repo, "changelogs/fragments/old.yml", "trivial:\n  - Old.\n")
    git(repo, "push", "-q", "origin", "topic:main")
    git(repo, "fetch", "-q", "origin")
    git(repo, "rm", "-q", "plugins/modules/m.py", "changelogs/fragments/old.yml")
    git(repo, "commit", "-q", "-m", "remove")
    done = check(repo)
    assert done.returncode == 1 and ": plugins/modules/m.py. Add" in done.stderr, done.stderr


def test_other_changes_and_releases_need_no_fragment(repo: Path) -> None:
    commit(repo, "docs/guide.md")
    assert check(repo).returncode == 0
    commit(repo, "plugins/modules/m.py")
    commit(repo, "changelogs/changelog.yaml", "releases: {}\n")  # a release consumed the fragments
    assert check(repo).returncode == 0


def test_many_files_are_counted_and_ten_named(repo: Path) -> None:
    for i in range(12):
        (repo / f"src/oar_nxc/m{i:02}.py").write_text("x\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "many")
    done = check(repo)
    assert done.returncode == 1
    assert "12 changed file(s)" in done.stderr and "src/oar_nxc/m09.py and 2 more. Add" in done.stderr, done.stderr


def test_the_base_comes_from_the_merge_request_then_the_default_branch(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    commit(repo, "src/oar_nxc/core.py")
    # the merge request's base is this commit: the change since it has no fragment
    assert check(repo, env={"CI_MERGE_REQUEST_DIFF_BASE_SHA": first}).returncode == 1
    # a base that is HEAD itself: nothing changed since
    head = git(repo, "rev-parse", "HEAD").strip()
    assert check(repo, env={"CI_MERGE_REQUEST_DIFF_BASE_SHA": head}).returncode == 0
    assert check(repo, "--base", head).returncode == 0
    git(repo, "branch", "-q", "-m", "topic", "devel")
    git(repo, "push", "-q", "origin", "devel")
    assert check(repo, env={"CI_DEFAULT_BRANCH": "devel"}).returncode == 0  # origin/devel is HEAD


def test_no_base_is_an_error_that_names_what_was_tried(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "f").write_text("x")
    git(tmp_path, "add", "f")
    git(tmp_path, "commit", "-q", "-m", "one")
    done = check(tmp_path, "--base", "nosuch")
    assert done.returncode == 2
    assert done.stderr == (f"changelog-check: no base to compare with: none of nosuch is a commit of "
                           f"{tmp_path.resolve()} (give --base REF, or fetch the default branch)\n")
    assert done.stdout == ""
