"""Where the oar.nxc collection is, as ansible-playbook will find it, and what its playbooks hold.

The CLI and the Python API run the collection's playbooks by FQCN (``oar.nxc.deploy``), so they
work from any directory once the collection is installed. This module answers, without starting
Ansible, the two questions they have before a run: is ``oar.nxc`` reachable with the caller's
configuration (to refuse early, naming the paths searched), and which plays a playbook has (for
the progress display). The search follows ansible-core's own order: ``$ANSIBLE_COLLECTIONS_PATH``
or the ``collections_path`` of the ansible.cfg Ansible would read, else its default paths, then
``ansible_collections`` packages on the Python path.
"""

from __future__ import annotations

import configparser
import os
import stat
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from oar_nxc.errors import ConfigError

NAMESPACE, NAME = "oar", "nxc"
FQCN = f"{NAMESPACE}.{NAME}"
IMPORT_KEYS = ("ansible.builtin.import_playbook", "import_playbook")
DEFAULT_PATHS = ("~/.ansible/collections", "/usr/share/ansible/collections")
CONFIG_KEYS = ("collections_path", "collections_paths")
ENV_KEYS = ("ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS")


def config_file(cwd: Path, env: Mapping[str, str]) -> Path | None:
    """The ansible.cfg ansible-core reads when started in ``cwd`` with ``env``."""
    if env.get("ANSIBLE_CONFIG"):
        given = Path(os.path.expanduser(env["ANSIBLE_CONFIG"]))
        given = given / "ansible.cfg" if given.is_dir() else given
        if given.is_file():
            return given
    local = cwd / "ansible.cfg"
    # Ansible ignores ./ansible.cfg in a world-writable directory
    if local.is_file() and not cwd.stat().st_mode & stat.S_IWOTH:
        return local
    for candidate in (Path(os.path.expanduser("~/.ansible.cfg")), Path("/etc/ansible/ansible.cfg")):
        if candidate.is_file():
            return candidate
    return None


def search_paths(cwd: Path, env: Mapping[str, str], python_path: Sequence[str] = ()) -> list[Path]:
    """The directories ansible-core looks into for ``ansible_collections/``, in its order."""
    raw: list[str] = []
    base = cwd
    env_value = next((env[k] for k in ENV_KEYS if env.get(k)), None)
    if env_value is not None:
        raw = env_value.split(os.pathsep)
    else:
        cfg = config_file(cwd, env)
        parser = configparser.ConfigParser(interpolation=None)
        value = None
        if cfg is not None:
            from oar_nxc.errors import OarNxcError
            from oar_nxc.formats import reading

            try:
                parser.read_string(reading.decode(reading.read_bytes(str(cfg), "configuration file"), str(cfg)),
                                   source=str(cfg))
            except configparser.Error as exc:
                raise ConfigError(f"{cfg}: cannot read it: {exc}") from None
            except OarNxcError as exc:
                raise ConfigError(f"{exc} (the ansible.cfg Ansible would read)") from None
            value = next((parser.get("defaults", k) for k in CONFIG_KEYS if parser.has_option("defaults", k)), None)
            base = cfg.parent
        raw = value.split(os.pathsep) if value else list(DEFAULT_PATHS)
    paths = [Path(os.path.expanduser(p.strip())) for p in raw if p.strip()]
    paths = [p if p.is_absolute() else base / p for p in paths]
    return paths + [Path(p) for p in python_path if p]


def _collection_in(path: Path) -> Path | None:
    root = path if path.name == "ansible_collections" else path / "ansible_collections"
    candidate = root / NAMESPACE / NAME
    if (candidate / "galaxy.yml").is_file() or (candidate / "MANIFEST.json").is_file():
        return candidate
    return None


def locate(cwd: Path | None = None, env: Mapping[str, str] | None = None,
           python_path: Sequence[str] | None = None) -> Path:
    """The oar.nxc collection's directory, or a ConfigError naming the paths searched."""
    cwd = cwd or Path.cwd()
    env = os.environ if env is None else env
    paths = search_paths(cwd, env, sys.path if python_path is None else python_path)
    for path in paths:
        found = _collection_in(path)
        if found is not None:
            return found
    searched = ", ".join(str(p) for p in paths) or "none"
    raise ConfigError(
        f"the {FQCN} collection is not installed where Ansible looks (searched: {searched}). Install it "
        f"(ansible-galaxy collection install oar-nxc-<version>.tar.gz) or set ANSIBLE_COLLECTIONS_PATH or "
        f"collections_path in ansible.cfg; from an oar-nxc checkout, run oar-nxc in its root directory")


def playbook_path(collection: Path, name: str) -> Path:
    """``deploy`` or ``oar.nxc.deploy`` -> <collection>/playbooks/deploy.yml."""
    short = name.removeprefix(f"{FQCN}.")
    return collection / "playbooks" / f"{short}.yml"


def plays(collection: Path, name: str) -> list[str]:
    """The play names of a collection playbook, its imports expanded (for the progress bar)."""
    path = playbook_path(collection, name)
    try:
        entries = yaml.safe_load(path.read_text()) or []
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the playbook: {exc}") from None
    names: list[str] = []
    for entry in entries:
        target = next((entry[k] for k in IMPORT_KEYS if k in entry), None)
        if target is not None:
            target = str(target)
            names += plays(collection, target if target.startswith(f"{FQCN}.") else Path(target).stem)
        else:
            names.append(str(entry.get("name", "")))
    return names
