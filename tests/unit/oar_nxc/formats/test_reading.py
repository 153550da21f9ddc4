"""oar_nxc.formats.reading: special files, size limits, strict JSON, bounded quotes."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from oar_nxc.errors import SourceError
from oar_nxc.formats import reading


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "nodefile"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(SourceError) as err:
        reading.read_bytes(str(fifo), "nodefile")
    assert time.monotonic() - started < 1
    assert str(err.value) == f"{fifo}: is a FIFO (named pipe), not a regular file: give the nodefile itself"


@pytest.mark.parametrize(("path", "kind"), [("/dev/zero", "a character device"), ("/", "a directory")])
def test_devices_and_directories_are_named(path: str, kind: str) -> None:
    with pytest.raises(SourceError, match=f"^{path}: is {kind}, not a regular file: give the deployment file itself$"):
        reading.read_bytes(path, "deployment file")


def test_a_socket_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(SourceError, match="is a socket, not a regular file"):
            reading.read_bytes(str(path), "configuration file")


def test_the_size_limit_is_named_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "deploy.json"
    with open(big, "wb") as handle:  # sparse: nothing is written
        handle.truncate(reading.LIMITS["deployment file"] + 1)
    with pytest.raises(SourceError) as err:
        reading.read_bytes(str(big), "deployment file")
    assert str(err.value) == f"{big}: 67108865 bytes: larger than the 64 MiB limit for a deployment file"


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read nodefile: No such file or directory"):
        reading.read_bytes(str(tmp_path / "nope"), "nodefile")


def test_chunks_stream_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a" * 10 + b"b" * 5)
    assert list(reading.chunks(str(path), "nodefile", size=10)) == [b"a" * 10, b"b" * 5]


@pytest.mark.parametrize(("text", "shown"), [
    ("node1", "'node1'"), ("x" * 100, "'" + "x" * 40 + "…'"), ("a\x1b[31m\tb", "'a\\x1b[31m\\tb'"),
    ("it's", "'it\\'s'"), (b"\xff\xfeab", "'\ufffd\ufffdab'")])
def test_excerpt_is_short_and_printable(text: str | bytes, shown: str) -> None:
    assert reading.excerpt(text) == shown


@pytest.mark.parametrize(("text", "message"), [
    ('{"a": 1, "a": 2}', "refused JSON: duplicate key 'a': the second one would silently replace the first"),
    ('{"a": ' + "1" * 5000 + "}", "refused JSON: an integer of 5000 digits (at most 18)"),
    ('{"a": NaN}', "refused JSON: NaN is not JSON"),
    ("[" * 100000 + "]" * 100000, "refused JSON: nested deeper than 32 levels"),
    ('{"a": ' + "[" * 40 + "]" * 40 + "}", "key 'a" + ".0" * 31 + "': refused JSON: nested deeper than 32 levels"),
    ('{"a": 1,\n "b": }', "f.json:2: invalid JSON: Expecting value (column 7)"),
])
def test_strict_json(text: str, message: str) -> None:
    with pytest.raises(SourceError) as err:
        reading.loads_json(text, "f.json")
    assert message in str(err.value)


def test_strict_json_accepts_normal_documents() -> None:
    assert reading.loads_json('{"deployment": {"10.0.0.1": {"role": "node", "vm_id": 3}}}', "f") == {
        "deployment": {"10.0.0.1": {"role": "node", "vm_id": 3}}}
