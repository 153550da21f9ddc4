"""The project's own state (build, deployment and job records, nxc.json, setup.toml, the smoke report) is read as
strictly as its inputs: a special file is refused without hanging, a huge or sparse file without reading it, deep
JSON and the wrong shape are named; the readers that may rebuild or ignore a record do, naming nothing worse."""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oar_nxc.errors import SourceError
from oar_nxc.formats import composition, nxcsetup, reading
from oar_nxc.nxc import start
from oar_nxc.oar import guard

LIMIT = reading.LIMITS["state record"]


@pytest.fixture
def hostile(tmp_path: Path) -> dict[str, Path]:
    fifo, sparse, deep = tmp_path / "fifo", tmp_path / "sparse", tmp_path / "deep"
    os.mkfifo(fifo)
    with sparse.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    deep.write_text("[" * 5000 + "]" * 5000)
    shapes = {}
    for name, text in (("list", "[1, 2]"), ("string", '"x"'), ("number", "42"), ("null", "null")):
        shapes[name] = tmp_path / f"{name}.json"
        shapes[name].write_text(text)
    return {"fifo": fifo, "sparse": sparse, "deep": deep, "zero": Path("/dev/zero"), **shapes}


EXPECTED = {
    "fifo": "is a FIFO (named pipe), not a regular file: give the state record itself",
    "sparse": "2147483648 bytes: larger than the 16 MiB limit for a state record",
    "deep": "refused JSON: nested deeper than 32 levels",
    "zero": "is a character device, not a regular file: give the state record itself",
    "list": "is an array where a JSON object is expected",
    "string": "is a string where a JSON object is expected",
    "number": "is a number where a JSON object is expected",
    "null": "is null where a JSON object is expected",
}


def test_each_hostile_record_is_named_in_bounded_time_and_memory(hostile: dict[str, Path]) -> None:
    tracemalloc.start()
    began = time.monotonic()
    said = {}
    for name, path in hostile.items():
        with pytest.raises(SourceError) as info:
            reading.load_record(str(path))
        assert info.value.source == str(path)
        said[name] = info.value.reason
    took, (_now, peak) = time.monotonic() - began, tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert said == EXPECTED
    assert took < 5 and peak < 3 * LIMIT, (took, peak)


def test_the_job_and_deployment_records_are_ignored_when_they_are_not_records(hostile: dict[str, Path]) -> None:
    for path in hostile.values():
        assert guard.read(path) == {}
        assert start._read_json(str(path)) is None


def test_nxc_json_and_setup_toml_name_their_file(tmp_path: Path, hostile: dict[str, Path]) -> None:
    (tmp_path / "flake.nix").write_text("{ outputs = _: {}; }\n")
    for name in ("fifo", "list", "deep"):
        target = tmp_path / "nxc.json"
        target.unlink(missing_ok=True)
        target.symlink_to(hostile[name])
        with pytest.raises(SourceError) as info:
            composition.files(tmp_path)
        assert str(info.value) == f"{target}: {EXPECTED[name]}"
    with pytest.raises(SourceError, match="is a FIFO"):
        nxcsetup.load(hostile["fifo"])
    with pytest.raises(SourceError, match=r"larger than the 1 MiB limit for a setup\.toml"):
        nxcsetup.load(hostile["sparse"])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_an_object_or_the_projects_own_error(
        tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("rec") / "record.json"
    path.write_bytes(data)
    try:
        assert isinstance(reading.load_record(str(path)), dict)
    except SourceError as exc:
        assert exc.source == str(path)
