"""A clone of this repository as a GitLab runner gets it, and gitlab-ci-local (the real runner of .gitlab-ci.yml,
from npm, with the Node 22 it needs) run in it with its shell executor."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO

GCL_BIN = REPO / "tests" / "gitlab-ci-local" / "node_modules" / ".bin"
GIT = ["git", "-c", "user.name=oar-nxc tests", "-c", "user.email=tests@oar-nxc.invalid", "-c",
       "init.defaultBranch=main"]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run([*GIT, *args], cwd=str(cwd), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def clone(target: Path) -> Path:
    """``target/repo``: this checkout's files (tracked and new, as git would commit them, without what it
    ignores) in one commit on main, with a bare ``origin`` whose default branch is main (gitlab-ci-local's
    ``rules: changes:`` compares with it); its own .venv comes from its `make setup`, as on a runner."""
    repo, origin = target / "repo", target / "origin.git"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=str(REPO),
                            capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, dest = REPO / name, repo / name
        if not source.is_symlink() and not source.exists():
            continue  # deleted in the work tree
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            dest.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, dest)
    git(repo.parent, "init", "-q", str(repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the checkout under test")
    git(target, "init", "-q", "--bare", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "-q", "origin", "main")
    git(repo, "remote", "set-head", "origin", "main")
    return repo


def available() -> bool:
    return (GCL_BIN / "gitlab-ci-local").exists() and (GCL_BIN / "node").exists()


def env() -> dict[str, str]:
    """The runner's environment: Node 22 first on PATH, and no variable of the test run's own."""
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TERM", "USER", "LOGNAME")}
    return {**keep, "PATH": f"{GCL_BIN}{os.pathsep}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "GCL_TIMESTAMPS": "false"}


def command(*args: str) -> list[str]:
    return [str(GCL_BIN / "gitlab-ci-local"), "--shell-executor-no-image", *args]


def run(repo: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), cwd=str(repo), env=env(), capture_output=True, text=True, timeout=timeout,
                          check=False, stdin=subprocess.DEVNULL)


def start(repo: Path, *args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command(*args), cwd=str(repo), env=env(), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
