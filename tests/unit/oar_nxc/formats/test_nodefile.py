from __future__ import annotations

from pathlib import Path

import pytest

from oar_nxc.errors import SourceError
from oar_nxc.formats.names import G5kName
from oar_nxc.formats.nodefile import Machine, job_id_from_path, job_id_from_value, load, parse_text
from oar_nxc.formats.reading import decode


def test_per_core_lines_give_cores_in_first_seen_order() -> None:
    text = "node2\nnode2\nnode10\nnode1\nnode1\nnode1\n"
    parsed = parse_text(text, "nf")
    assert parsed.machines == (Machine("node2", 2), Machine("node10", 1), Machine("node1", 3))
    assert parsed.lines == 6


def test_crlf_blank_lines_and_spaces_are_tolerated() -> None:
    parsed = parse_text("node1\r\nnode1 \r\n\r\n  node2\t\r\n10.16.0.7\r\n\r\n", "nf")
    assert parsed.machines == (Machine("node1", 2), Machine("node2", 1), Machine("10.16.0.7", 1))


def test_g5k_names_are_analysed() -> None:
    parsed = parse_text("dahu-3.grenoble.grid5000.fr\n", "nf")
    assert parsed.machines[0].g5k == G5kName("dahu", 3, "grenoble")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "nf: empty nodefile: no host name in it (is the OAR job started?)"),
        ("\n \r\n", None, "nf: empty nodefile: no host name in it (is the OAR job started?)"),
        ("node1\nnode 2\n", 2, "nf:2: 'node 2' is not a valid host name or IPv4 address "
                               "(forbidden character ' '); a nodefile holds one host name or IPv4 address per line"),
        ("node1\n\nnode1;rm\n", 3,
         "nf:3: 'node1;rm' is not a valid host name or IPv4 address "
         "(forbidden character ';'); a nodefile holds one host name or IPv4 address per line"),
    ],
)
def test_bad_text(text: str, line: int | None, message: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_text(text, "nf")
    assert str(info.value) == message
    assert info.value.line == line


def test_binary_data_names_the_line() -> None:
    with pytest.raises(SourceError) as info:
        decode(b"node1\nnode2\n\x00\x01", "nf")
    assert str(info.value) == "nf:3: binary data (NUL byte): not a text nodefile or deployment file"


def test_invalid_utf8_names_the_line() -> None:
    with pytest.raises(SourceError) as info:
        decode(b"node1\n\xff\xfe\n", "nf")
    assert str(info.value) == "nf:2: binary data: not valid UTF-8 text (invalid start byte)"


@pytest.mark.parametrize(
    ("path", "job_id"),
    [
        ("/home/alice/OAR.1894417.stdout", 1894417),
        ("OAR.myrun.42.stdout", 42),
        ("/var/lib/oar/17", 17),
        ("/tmp/nodes", None),
        ("OAR.1894417.stderr", None),
    ],
)
def test_job_id_from_path(path: str, job_id: int | None) -> None:
    assert job_id_from_path(path) == job_id


def test_job_id_from_value() -> None:
    assert job_id_from_value("42", "$OAR_JOB_ID") == 42
    assert job_id_from_value(None, "$OAR_JOB_ID") is None
    with pytest.raises(SourceError, match=r"^\$OAR_JOB_ID: 'abc' is not an OAR job id"):
        job_id_from_value("abc", "$OAR_JOB_ID")


def test_load_prefers_the_file_name_id(tmp_path: Path) -> None:
    path = tmp_path / "OAR.7.stdout"
    path.write_text("node1\n")
    assert load(path, job_id=99).job_id == 7
    other = tmp_path / "nodes"
    other.write_text("node1\n")
    assert load(other, job_id=99).job_id == 99


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read nodefile: No such file or directory"):
        load(tmp_path / "absent")
