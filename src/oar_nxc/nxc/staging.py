"""Where a composition is built and deployed: the user's own in place, the shipped ones in a copy.

``nxc build`` and ``nxc start`` write ``build/``, ``deploy/`` and oar-nxc's ``.oar-nxc/`` into
the composition directory. A composition given by absolute path, or found in a compositions
directory of the user's own, is used in place. The compositions shipped inside the collection
(or any compositions directory inside it) are copied first into a work directory that the user
owns, so that an installed collection, read-only or not, is never written.

The copy is a sync of the whole compositions directory (a composition may import its siblings'
files): files whose bytes differ are rewritten, files gone from the source are removed, and
what nxc and oar-nxc wrote into each copied composition (:data:`OUTPUTS`) is left alone. A
second sync of an unchanged source changes nothing.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from oar_nxc.errors import OarNxcError

# What nxc (build/, deploy/, artifact/) and oar-nxc (.oar-nxc/) write into a composition directory; never
# copied from the source, never removed from the copy
OUTPUTS = frozenset({"build", "deploy", "artifact", ".oar-nxc"})
# Never copied at any depth
IGNORED = frozenset({".git", "__pycache__"})
_SPECIAL = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class StagingError(OarNxcError):
    """A composition that cannot be placed or copied."""


@dataclass(frozen=True)
class Place:
    """Where one composition is used."""

    directory: str  # the directory nxc runs in
    root: str  # the compositions directory it belongs to (its siblings' files are inputs too)
    source: str  # the compositions directory to copy from ("": used in place)

    def as_dict(self) -> dict[str, str]:
        return {"directory": self.directory, "root": self.root, "source": self.source}


def _inside(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def place(composition: str, compositions_dir: str, collection_dir: str, work_dir: str) -> Place:
    """Where COMPOSITION (a name, or an absolute path used in place) is built and deployed."""
    if not composition:
        raise StagingError("oar_nxc_composition: empty (a name of oar_nxc_compositions_dir, or an absolute path)")
    if os.path.isabs(composition):
        directory = os.path.normpath(composition)
        return Place(directory, os.path.dirname(directory), "")
    name = Path(composition)
    if len(name.parts) != 1 or composition in {".", ".."}:
        raise StagingError(f"oar_nxc_composition: {composition!r} is neither the name of a directory of "
                           f"oar_nxc_compositions_dir nor an absolute path")
    source = Path(os.path.realpath(compositions_dir))
    if not _inside(source, Path(os.path.realpath(collection_dir))):
        return Place(str(source / composition), str(source), "")
    if not os.path.isabs(work_dir):
        raise StagingError(f"oar_nxc_work_dir: {work_dir!r} is not an absolute path")
    root = Path(os.path.normpath(work_dir)) / "compositions"
    if _inside(root, Path(os.path.realpath(collection_dir))):
        raise StagingError(f"oar_nxc_work_dir: {work_dir} is inside the collection ({collection_dir}), "
                           f"which is never written")
    return Place(str(root / composition), str(root), str(source))


def _wanted(source: Path, strict: bool = True) -> dict[Path, Path]:
    """Relative path -> source path, for every file and symlink to copy (STRICT: a special file is refused; the
    copy's own are only listed, to be removed unopened)."""
    wanted: dict[Path, Path] = {}
    for top, dirs, files in os.walk(source):  # a symlink to a directory is listed in dirs, and not followed
        here = Path(top)
        rel = here.relative_to(source)
        kept = [d for d in dirs if d not in IGNORED and not (len(rel.parts) == 1 and d in OUTPUTS)]
        linked = [d for d in kept if (here / d).is_symlink()]
        dirs[:] = sorted(d for d in kept if d not in linked)
        for name in sorted(files) + sorted(linked):
            if name in IGNORED or (len(rel.parts) == 1 and name in OUTPUTS):
                continue
            if strict:
                _copyable(here / name)
            wanted[rel / name] = here / name
    return wanted


def _copyable(path: Path) -> None:
    """A regular file or a symlink (copied as a link, never followed); anything else is refused by name, unopened:
    a FIFO would hang the copy, a device would be copied without end, a socket cannot be copied."""
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        raise StagingError(f"{path}: cannot be read ({exc.strerror})") from None
    if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
        return
    kind = next((name for test, name in _SPECIAL if test(mode)), "not a regular file")
    raise StagingError(f"{path}: is {kind}: a composition holds regular files, directories and symlinks only "
                       "(remove it from the compositions directory)")


def _same(a: Path, b: Path) -> bool:
    if a.is_symlink() or b.is_symlink():
        return a.is_symlink() and b.is_symlink() and os.readlink(a) == os.readlink(b)
    if not b.is_file() or a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            chunk = fa.read(1 << 16)
            if chunk != fb.read(1 << 16):
                return False
            if not chunk:
                return True


def plan(source: str, dest: str) -> tuple[list[str], list[str]]:
    """(files to write, files to remove) to make DEST a copy of SOURCE, relative paths, sorted."""
    src, dst = Path(source), Path(dest)
    if not src.is_dir():
        raise StagingError(f"oar_nxc_compositions_dir: {source} is not a directory")
    wanted = _wanted(src)
    write = sorted(str(rel) for rel, path in wanted.items() if not _same(path, dst / rel))
    remove: list[str] = []
    if dst.is_dir():
        for rel in _wanted(dst, strict=False):
            if rel not in wanted:
                remove.append(str(rel))
    return write, sorted(remove)


def stage(source: str, dest: str, check: bool = False) -> tuple[list[str], list[str]]:
    """Sync DEST from SOURCE (see the module docs); returns what was (check: would be) written and removed."""
    write, remove = plan(source, dest)
    if check:
        return write, remove
    src, dst = Path(source), Path(dest)
    try:
        for rel in remove:
            (dst / rel).unlink()
        for rel in write:
            target, origin = dst / rel, src / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                else:
                    target.unlink()
            if origin.is_symlink():
                target.symlink_to(os.readlink(origin))
            else:
                # the copy is the user's: writable by them even when the collection is read-only
                shutil.copyfile(origin, target)
                os.chmod(target, stat.S_IMODE(origin.stat().st_mode) | stat.S_IRUSR | stat.S_IWUSR)
    except OSError as exc:
        raise StagingError(f"oar_nxc_work_dir: cannot copy the compositions of {source} into {dest}: "
                           f"{exc.strerror or exc}") from None
    return write, remove
