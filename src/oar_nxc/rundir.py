"""The CLI's run directories: made by oar-nxc, marked as such, and the only directories it writes
ansible-runner's private data into or scrubs.

ansible-runner reads a private data directory's ``env/`` (``extravars``, ``cmdline``, ``envvars``...)
and writes ``artifacts/``. A directory oar-nxc did not make may be anything of the user's (a project whose
``env/`` is a virtualenv): it is never scrubbed nor trusted. So:

- a directory that does not exist is made, with the marker ``.oar-nxc-run``;
- an empty directory is taken, and marked;
- a marked directory (a run directory given again) is reused, its ``env/`` removed first: only
  oar-nxc writes there, and a planted ``env/extravars`` must not reach the run;
- anything else (a file, a device, a directory with files and no marker, a special file as marker)
  is refused with :class:`RunDirError`, naming the path and why.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

from oar_nxc.errors import ConfigError

MARKER = ".oar-nxc-run"
MARKER_MAX = 4096  # bytes: the marker is one small JSON object


class RunDirError(ConfigError):
    """A run directory oar-nxc cannot use."""


def _is_marked(path: Path) -> bool:
    marker = path / MARKER
    try:
        info = os.lstat(marker)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size > MARKER_MAX:
        raise RunDirError(f"--run-dir {path}: {MARKER} is not oar-nxc's marker (not a small regular file)")
    try:
        data = json.loads(marker.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        data = None
    if not isinstance(data, dict) or data.get("made_by") != "oar-nxc":
        raise RunDirError(f"--run-dir {path}: {MARKER} is not oar-nxc's marker (garbled): remove it, or give "
                          "another directory")
    return True


def _mark(path: Path) -> None:
    (path / MARKER).write_text(json.dumps({"made_by": "oar-nxc"}) + "\n")


def prepare(path: Path) -> Path:
    """The run directory PATH, ready for ansible-runner: made or taken, marked, its env/ removed."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:  # a component that is a file: NotADirectoryError
        raise RunDirError(f"--run-dir {path}: {exc.strerror}") from None
    if info is None:
        try:
            path.mkdir(parents=True)
        except OSError as exc:
            raise RunDirError(f"--run-dir {path}: cannot be made: {exc.strerror}") from None
        _mark(path)
        return path
    if not stat.S_ISDIR(info.st_mode):
        raise RunDirError(f"--run-dir {path}: not a directory")
    if not _is_marked(path):
        try:
            entries = next(os.scandir(path), None)
        except OSError as exc:
            raise RunDirError(f"--run-dir {path}: {exc.strerror}") from None
        if entries is not None:
            raise RunDirError(f"--run-dir {path}: a directory with files that oar-nxc did not make (no {MARKER}): "
                              "it is never written into nor scrubbed; give a new or an empty directory")
        try:
            _mark(path)
        except OSError as exc:
            raise RunDirError(f"--run-dir {path}: {exc.strerror}") from None
    env = path / "env"
    if env.is_symlink() or env.is_file():
        env.unlink()
    elif env.is_dir():
        shutil.rmtree(env)
    return path
