"""The built artifacts users install: the collection tarball and the oar-nxc wheel, and
virtual environments made from them (each Python of the supported matrix)."""

from __future__ import annotations

import glob
import os
import subprocess
from pathlib import Path

from tests.conftest import BIN, REPO, clean_env

# (Python, ansible-core) pairs the collection supports besides the project's own .venv
# (Debian's Python 3.11 with ansible-core 2.19): ansible-core 2.20+ needs Python >= 3.12.
MATRIX = [("3.12", "2.20"), ("3.13", "2.21")]


def check(argv: list[str], *, cwd: Path = REPO, timeout: float = 600, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
                          env=env or clean_env())
    assert proc.returncode == 0, f"{' '.join(argv)}: rc {proc.returncode}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return proc.stdout


def python(minor: str) -> str:
    """A CPython of that minor version: on PATH, or one of pyenv's (this machine kind has 3.12 and 3.13)."""
    found = [f"/usr/bin/python{minor}"] if os.path.exists(f"/usr/bin/python{minor}") else []
    found += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{minor}.*/bin/python{minor}")))
    assert found, f"no Python {minor} on this machine (expected pyenv's ~/.pyenv/versions/{minor}.*)"
    return found[-1]


def build_wheel(dest: Path) -> Path:
    check([str(BIN / "pip"), "wheel", "-q", "--no-deps", "--disable-pip-version-check", "-w", str(dest), str(REPO)])
    (wheel,) = dest.glob("oar_nxc-*.whl")
    return wheel


def build_collection(dest: Path) -> Path:
    check([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(dest), str(REPO)])
    (tarball,) = dest.glob("oar-nxc-*.tar.gz")
    return tarball


def install_collection(tarball: Path, dest: Path) -> Path:
    """ansible-galaxy collection install into DEST; --no-deps: galaxy is out of reach here, and
    community.docker (declared for the docker flavour) is not needed by the g5k flavours."""
    dest.mkdir(parents=True, exist_ok=True)
    # not from the checkout: its ansible.cfg would show ansible-galaxy oar.nxc as installed already
    check([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", str(dest),
           str(tarball)], cwd=dest)
    return dest / "ansible_collections" / "oar" / "nxc"


def make_venv(dest: Path, interpreter: str, *requirements: str) -> Path:
    """A fresh virtual environment with the requirements (the wheel, a pinned ansible-core); its bin/."""
    check([interpreter, "-m", "venv", str(dest)])
    check([str(dest / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", *requirements], timeout=900)
    return dest / "bin"


def venv_env(bin_dir: Path, **extra: str) -> dict[str, str]:
    """clean_env() with BIN_DIR first on PATH instead of the project's .venv."""
    env = clean_env(**extra)
    env["PATH"] = os.pathsep.join([str(bin_dir)] + [p for p in env["PATH"].split(os.pathsep) if p != str(BIN)])
    return env
