"""Where the oar-nxc project is: the directory with ansible.cfg, playbooks/ and roles/.

The CLI and the Python API run the project's playbooks with the project's ansible.cfg,
whatever the current directory. The package is installed from a checkout (pip install -e),
so the project is found above the package; OAR_NXC_PROJECT overrides it.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from oar_nxc.errors import ConfigError

IMPORT_KEYS = ("ansible.builtin.import_playbook", "import_playbook")


def project_dir() -> Path:
    candidates = []
    if os.environ.get("OAR_NXC_PROJECT"):
        candidates.append(Path(os.environ["OAR_NXC_PROJECT"]))
    candidates += list(Path(__file__).resolve().parents)
    for path in candidates:
        if (path / "ansible.cfg").is_file() and (path / "playbooks").is_dir() and (path / "roles").is_dir():
            return path
    raise ConfigError("cannot find the oar-nxc project (ansible.cfg, playbooks/, roles/): install the package "
                      "from a checkout (pip install -e .) or set OAR_NXC_PROJECT")


def plays(playbook: Path) -> list[str]:
    """The play names of a playbook, its imports expanded (for the progress bar)."""
    names: list[str] = []
    for entry in yaml.safe_load(playbook.read_text()) or []:
        target = next((entry[k] for k in IMPORT_KEYS if k in entry), None)
        if target is not None:
            names += plays(playbook.parent / target)
        else:
            names.append(str(entry.get("name", "")))
    return names
