from __future__ import annotations

from pathlib import Path

import pytest

from oar_nxc.formats.detect import sniff


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("12345", b"dahu-1.grenoble.grid5000.fr\n" * 3, "nodefile"),
        ("OAR.12.stdout", b"node1\nnode2\n", "nodefile"),
        ("nodes.txt", b"node1\r\nnode2\r\n", "nodefile"),
        ("nodes", b"", "nodefile"),
        ("nodes", b"\x00\x01\x02", "nodefile"),
        ("nodes", b"node1\nnode 2\n", "nodefile"),
        ("nodes", b"node1:22\n", "nodefile"),
        ("c::vm.json", b'{"whatever": 1}', "deployment"),
        ("deployment.json", b'{\n  "deployment": {}}', "deployment"),
        ("other.json", b'{"all": {"hosts": {}}}', None),
        ("hosts.yml", b"all:\n  hosts:\n    a:\n", None),
        ("inv.oar_nxc.yml", b"---\nplugin: oar_nxc\nnodes: 2\n", "config"),
        ("inv.yaml", b"plugin: 'oar_nxc'  # ours\n", "config"),
        ("inv.yml", b"plugin: community.general.nmap\n", None),
        ("hosts", b"all:\n  hosts:\n", None),
        ("hosts", b"[nodes]\nnode1\n", "ini"),
        ("hosts", b"node1 ansible_host=10.0.0.1\n", "ini"),
        ("hosts.toml", b"[all]\n", None),
    ],
)
def test_sniff(tmp_path: Path, name: str, content: bytes, kind: str | None) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert sniff(str(path)) == kind


def test_sniff_declines_what_it_cannot_read(tmp_path: Path) -> None:
    assert sniff(str(tmp_path)) is None
    assert sniff(str(tmp_path / "absent")) is None
    script = tmp_path / "inventory.sh"
    script.write_text("#!/bin/sh\necho {}\n")
    script.chmod(0o755)
    assert sniff(str(script)) is None
