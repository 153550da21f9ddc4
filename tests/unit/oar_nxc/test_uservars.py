"""oar_nxc.uservars: the user's -e values Ansible could not read are refused before it starts, naming them."""

from __future__ import annotations

from pathlib import Path

import pytest

from oar_nxc import uservars
from oar_nxc.errors import ConfigError


def refusal(values: list[str]) -> str:
    with pytest.raises(ConfigError) as err:
        uservars.check(values)
    return str(err.value)


def test_what_ansible_reads_passes_as_given(tmp_path: Path) -> None:
    vault = tmp_path / "vault.yml"
    vault.write_text("secret: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\nraw: !unsafe '{{ x }}'\n")
    uservars.check(["a=b", "x={{ y }}", '{"oar_nxc_job": {"nodes": 2}}', f"@{vault}", "[1, 2]"])


def test_nesting_deeper_than_a_json_input_is_named_with_its_key(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"oar_nxc_params": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}")
    assert refusal(["a=b", f"@{deep}"]) == (f"-e @{deep}: key 'oar_nxc_params" + ".a" * 31
                                            + "': nested deeper than 32 levels")
    assert refusal(['{"p": ' + "[" * 1500 + "]" * 1500 + "}"]) == (
        "-e '{\"p\": " + "[" * 54 + "…': nested deeper than 32 levels")


def test_a_file_or_text_ansible_cannot_read_is_named(tmp_path: Path) -> None:
    assert refusal(['{"a": [1,']) == ("-e '{\"a\": [1,': not YAML or JSON Ansible can read: expected the node "
                                      "content, but found '<stream end>' (line 1, column 10)")
    assert refusal([f"@{tmp_path}/missing.yml"]) == (
        f"-e @{tmp_path}/missing.yml: {tmp_path}/missing.yml: cannot read configuration file: No such file or "
        "directory")
    big = tmp_path / "big.yml"
    big.write_bytes(b"a: " + b"x" * (2 << 20) + b"\n")
    assert refusal([f"@{big}"]) == (f"-e @{big}: {big}: {(2 << 20) + 4} bytes: larger than the 1 MiB limit for a "
                                    "configuration file")
