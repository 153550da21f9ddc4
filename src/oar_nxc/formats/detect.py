"""Cheap content sniffing: which kind of inventory source a file is.

Used by the plugin's ``verify_file``: it reads at most 64 KiB and never raises.
Returns one of ``"nodefile"``, ``"deployment"``, ``"config"``, ``"ini"``, ``"special"``
(a FIFO, a device or a socket: claimed so that no other plugin blocks on it or reads it
forever), ``"executable"`` (a nodefile with its execute bit set: claimed so that Ansible's
``script`` plugin never runs it) or None (None: not ours; another plugin such as ``yaml``,
``toml`` or ``script`` should read it).
"""

from __future__ import annotations

import os
import re
import stat

HEAD_BYTES = 65536
_CONFIG_RE = re.compile(r"""^plugin:\s*['"]?(?:[\w.]+\.)?oar_nxc['"]?\s*(?:#.*)?$""", re.MULTILINE)
_YAML_KEY_RE = re.compile(r"^(?:---|\.\.\.|[A-Za-z_][\w.-]*:(?:\s.*)?|-\s.*)$")
_INI_SECTION_RE = re.compile(r"^\s*\[[^\]]+\]\s*(?:[;#].*)?$")
_INI_ASSIGN_RE = re.compile(r"^\S+(?:\s+\S+=\S*)+\s*$|^\S+=\S*$")
_JSON_DEPLOY_RE = re.compile(r'"(?:deployment|ssh_key\.pub|compositions_info_path|docker-compose-file)"\s*:')
_YAML_EXTS = (".yml", ".yaml")
_OTHER_EXTS = (".toml", ".cfg", ".py", ".sh")


def _head(path: str) -> bytes | None:
    try:
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            return None
        with open(path, "rb") as handle:
            return handle.read(HEAD_BYTES)
    except OSError:
        return None


def _first_lines(text: str, limit: int = 50) -> list[str]:
    lines = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(line)
            if len(lines) >= limit:
                break
    return lines


def sniff(path: str) -> str | None:
    """Classify ``path`` without parsing it fully."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(mode):
        return None  # Ansible reads a directory's files one by one
    if not stat.S_ISREG(mode):
        return "special"
    head = _head(path)
    if head is None:
        return None
    name = os.path.basename(path)
    ext = os.path.splitext(name)[1].lower()
    text = head.decode("utf-8", errors="replace")
    if ext in _YAML_EXTS:
        return "config" if _CONFIG_RE.search(text) else None
    if ext == ".json":
        return "deployment" if "::" in name or _JSON_DEPLOY_RE.search(text) else None
    if ext in _OTHER_EXTS:
        return None
    if os.access(path, os.X_OK):  # an inventory script, unless it is a nodefile with the execute bit set
        scripted = head.startswith(b"#!") or b"\x00" in head or not head.strip()
        return None if scripted or _classify(head, name, text) != "nodefile" else "executable"
    return _classify(head, name, text)


def _classify(head: bytes, name: str, text: str) -> str | None:
    if not head.strip():
        return "nodefile"  # empty: ours, so that it is an error and not an empty INI inventory
    if b"\x00" in head:
        return "nodefile"  # binary: ours, for a clear error
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return "deployment" if "::" in name or _JSON_DEPLOY_RE.search(text) else None
    lines = _first_lines(text)
    if _CONFIG_RE.search(text):
        return "config"
    if lines and _YAML_KEY_RE.match(lines[0]) and not _INI_SECTION_RE.match(lines[0]):
        return None
    if any(_INI_SECTION_RE.match(line) or _INI_ASSIGN_RE.match(line) for line in lines):
        return "ini"
    return "nodefile"
