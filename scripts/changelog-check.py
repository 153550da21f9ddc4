"""Fail a branch that changes the collection or the core without a changelog fragment.

    python3 scripts/changelog-check.py [--base REF] [--repo DIR]

The branch is the commits from the merge base of REF and HEAD to HEAD. REF is, in this order:
--base, $CI_MERGE_REQUEST_DIFF_BASE_SHA (a GitLab merge request pipeline), origin/$CI_DEFAULT_BRANCH,
origin/main. A change under plugins/, roles/ or src/ needs a new or changed fragment in
changelogs/fragments/ (a `trivial:` one for a change users do not see), or a release
(changelogs/changelog.yaml changed: `antsibull-changelog release` consumes the fragments).

Exit 0: nothing to say or a fragment is there; 1: the fragment is missing (the changed paths are
named); 2: the base cannot be resolved or git fails.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

NEEDS_FRAGMENT = ("plugins/", "roles/", "src/")
FRAGMENTS = "changelogs/fragments/"
FRAGMENT_SUFFIXES = (".yml", ".yaml")
RELEASES = "changelogs/changelog.yaml"
SHOWN = 10


class CheckError(Exception):
    """The check cannot run (exit 2)."""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode:
        raise CheckError(f"git {' '.join(args)}: {done.stderr.strip() or f'exit {done.returncode}'}")
    return done.stdout


def candidate_bases(given: str | None, environ: Mapping[str, str]) -> list[str]:
    if given:
        return [given]
    out = [environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA", "")]
    if environ.get("CI_DEFAULT_BRANCH"):
        out.append(f"origin/{environ['CI_DEFAULT_BRANCH']}")
    out.append("origin/main")
    return [b for b in out if b]


def merge_base(repo: Path, bases: Sequence[str]) -> str:
    for ref in bases:
        try:
            return git(repo, "merge-base", ref, "HEAD").strip()
        except CheckError:
            continue
    raise CheckError(f"no base to compare with: none of {', '.join(bases)} is a commit of {repo} "
                     "(give --base REF, or fetch the default branch)")


def changed_paths(repo: Path, base: str) -> list[tuple[str, str]]:
    """(status letter, path) of each file the branch adds, changes or deletes."""
    out = git(repo, "diff", "--name-status", "--no-renames", "-z", base, "HEAD")
    fields = out.split("\0")
    return [(fields[i][:1], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]


def verdict(changes: Sequence[tuple[str, str]]) -> str | None:
    """None when the branch is fine, else what is missing."""
    needing = [p for _status, p in changes if p.startswith(NEEDS_FRAGMENT)]
    if not needing:
        return None
    fragments = [p for status, p in changes if status != "D" and p.startswith(FRAGMENTS)
                 and p.endswith(FRAGMENT_SUFFIXES)]
    if fragments or any(p == RELEASES for _status, p in changes):
        return None
    shown = ", ".join(needing[:SHOWN]) + (f" and {len(needing) - SHOWN} more" if len(needing) > SHOWN else "")
    return (f"{len(needing)} changed file(s) under {', '.join(NEEDS_FRAGMENT)} and no changelog fragment: {shown}. "
            f"Add {FRAGMENTS}<name>.yml (antsibull-changelog's format; `trivial:` for a change users do not see).")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--base", help="the branch's base (default: the merge request's, else origin's default branch)")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the repository (default: the current directory)")
    args = parser.parse_args(argv)
    try:
        base = merge_base(args.repo, candidate_bases(args.base, os.environ if environ is None else environ))
        missing = verdict(changed_paths(args.repo, base))
    except (CheckError, subprocess.TimeoutExpired, OSError) as exc:
        print(f"changelog-check: {exc}", file=sys.stderr)
        return 2
    if missing:
        print(f"changelog-check: since {base[:12]}: {missing}", file=sys.stderr)
        return 1
    print(f"changelog-check: since {base[:12]}: fine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
