from __future__ import annotations

import pytest

from oar_nxc.errors import ConfigError
from oar_nxc.inventory.selection import machine_file, select

NAMES = ["dahu-1.g", "dahu-2.g", "dahu-7.g", "troll-1.g"]


def test_exclude_then_first_n() -> None:
    assert select(NAMES, NAMES, exclude=["dahu-7*"]) == ["dahu-1.g", "dahu-2.g", "troll-1.g"]
    assert select(NAMES, NAMES, nodes=2, exclude=["dahu-1*"]) == ["dahu-2.g", "dahu-7.g"]
    assert select(NAMES, NAMES) == NAMES


def test_too_many_nodes_is_an_error() -> None:
    message = r"^nodes: 4 hosts requested but only 3 available after exclude \['troll\*'\]$"
    with pytest.raises(ConfigError, match=message):
        select(NAMES, NAMES, nodes=4, exclude=["troll*"])
    with pytest.raises(ConfigError, match=r"^nodes: 0 is not a positive number of hosts$"):
        select(NAMES, NAMES, nodes=0)


def test_machine_file_is_unique_and_ordered() -> None:
    assert machine_file(["b", "a", "b", "c"]) == "b\na\nc\n"
