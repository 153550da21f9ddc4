"""plugins/module_utils/nxc.py on output captured from the real nixos-compose 0.7.11 (tests/fixtures/nxc/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ansible_collections.oar.nxc.plugins.module_utils import nxc
from tests.conftest import FIXTURES, REPO

CAPTURED = FIXTURES / "nxc"
VM = ("Platform detection: local mode will be used\nstart vlan\nError: vde_switch not found, please install vde2\n"
      "Exception ignored in: <function VLan.__del__>\nAttributeError: 'VLan' object has no attribute 'pid'\n")


def captured(name: str) -> str:
    return (CAPTURED / name).read_text()


def test_the_error_line_of_real_failures() -> None:
    assert nxc.error_line(captured("build-docker.stderr")) == "Error: Build return code: 127"
    assert nxc.error_line(captured("build-bad-setup.stderr")) == "Error: Missing asked setup variant: ${selected_setup}"
    assert nxc.error_line(VM) == "Error: vde_switch not found, please install vde2"


def test_spinner_frames_and_colours_are_lines() -> None:
    text = "\x1b[32m⠋ Waiting ssh ports, opened: 0/4\r⠸ Opened ssh ports: 3/4 (30.1s)\x1b[0m\n"
    assert nxc.lines(text) == ["⠋ Waiting ssh ports, opened: 0/4", "⠸ Opened ssh ports: 3/4 (30.1s)"]
    assert nxc.error_line(text) == "⠸ Opened ssh ports: 3/4 (30.1s)"
    assert nxc.error_line("/bin/sh: 1: docker: not found\nsomething failed with error 3\ntail\n") == \
        "something failed with error 3"
    assert nxc.error_line("") == "no output"


def test_build_argv() -> None:
    assert nxc.build_argv("/v/nxc", "g5k-nfs-store") == ["timeout", "-k", "30", "7200", "/v/nxc", "build", "-f",
                                                         "g5k-nfs-store"]
    assert nxc.build_argv("nxc", "docker", "g5k-dev", {"nb_nodes": 3, "x": "a b"}, ["--debug"], 60) == [
        "timeout", "-k", "30", "60", "nxc", "build", "-f", "docker", "-s", "g5k-dev", "-p", "nb_nodes=3", "-p",
        "x=a b", "--debug"]
    assert nxc.quote(["nxc", "build", "-p", "x=a b", "-s", "$(id)"]) == "nxc build -p 'x=a b' -s '$(id)'"


def test_failure_messages() -> None:
    argv = nxc.build_argv("nxc", "docker", timeout=60)
    assert nxc.failure("build", 127, captured("build-docker.stderr"), captured("build-docker.stdout"), argv, 60) == (
        "nxc build failed (rc 127): Error: Build return code: 127 [timeout -k 30 60 nxc build -f docker]")
    assert nxc.failure("build", 124, "", "Starting Build\n", argv, 60) == (
        "nxc build timed out after 60 s: Starting Build [timeout -k 30 60 nxc build -f docker]")


def test_fingerprint_follows_content_not_time(tmp_path: Path) -> None:
    comp = tmp_path / "master"
    (comp / "build").mkdir(parents=True)
    (comp / "composition.nix").write_text("{ }\n")
    (comp / "build" / "composition::docker").write_text("output, not input\n")
    first = nxc.fingerprint([str(comp)], extra={"flavour": "docker"})
    assert first[1] == 1
    (comp / "build" / "composition::docker").write_text("another output\n")
    (comp / "composition.nix").touch()
    assert nxc.fingerprint([str(comp)], extra={"flavour": "docker"}) == first
    assert nxc.fingerprint([str(comp)], extra={"flavour": "vm"})[0] != first[0]
    (comp / "composition.nix").write_text("{ x = 1; }\n")
    assert nxc.fingerprint([str(comp)], extra={"flavour": "docker"})[0] != first[0]
    # a file input hashes the same as its directory's listing of it
    (comp / "composition.nix").write_text("{ }\n")
    (comp / "link").symlink_to(comp / "composition.nix")  # symlinks are skipped
    assert nxc.fingerprint([str(comp)], extra={"flavour": "docker"}) == first


@pytest.mark.parametrize(
    ("force", "exists", "record", "expected"),
    [(True, True, {"fingerprint": "d"}, (True, "forced (force=true)")),
     (False, False, {"fingerprint": "d"}, (True, "no build result yet")),
     (False, True, None, (True, "no record of a successful build")),
     (False, True, {"fingerprint": "old"}, (True, "the build inputs changed since the last build")),
     (False, True, {"fingerprint": "d"},
      (False, "up to date (7 input files unchanged since the last build): nxc build skipped"))])
def test_build_decision(force: bool, exists: bool, record: dict | None, expected: tuple[bool, str]) -> None:
    assert nxc.build_decision(force, exists, record, "no record of a successful build", "d", 7) == expected


def test_read_record(tmp_path: Path) -> None:
    path = tmp_path / ".oar-nxc-docker.json"
    assert nxc.read_record(str(path)) == (None, "no record of a successful build")
    path.write_text("{not json")
    data, why = nxc.read_record(str(path))
    assert data is None
    assert why.startswith(f"the build record is unusable, so the build runs again: {path} is not JSON (")
    path.write_text("[1]")
    assert nxc.read_record(str(path)) == (
        None, f"the build record is unusable, so the build runs again: {path} is not a JSON object")
    path.write_text(json.dumps({"fingerprint": "d"}))
    assert nxc.read_record(str(path)) == ({"fingerprint": "d"}, "")
    assert nxc.build_paths("/c/master", "vm") == ("/c/master/build/composition::vm", "/c/master/build/.oar-nxc-vm.json")


def test_a_hostile_record_is_refused_in_bounded_time_and_memory(tmp_path: Path) -> None:
    import os
    import time
    import tracemalloc

    fifo, sparse, deep = tmp_path / "fifo.json", tmp_path / "sparse.json", tmp_path / "deep.json"
    os.mkfifo(fifo)
    with sparse.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # 2 GiB, no disk used
    deep.write_text("[" * 100_000 + "]" * 100_000)
    tracemalloc.start()
    start = time.monotonic()
    results = {p.name: nxc.read_json_object(str(p)) for p in (fifo, sparse, deep, Path("/dev/zero"))}
    took, (_now, peak) = time.monotonic() - start, tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert results == {"fifo.json": (None, f"{fifo} is not a regular file"),
                       "sparse.json": (None, f"{sparse} is larger than {nxc.RECORD_LIMIT} bytes"),
                       "deep.json": (None, f"{deep} is JSON nested too deep"),
                       "zero": (None, "/dev/zero is not a regular file")}
    assert took < 5 and peak < 3 * nxc.RECORD_LIMIT, (took, peak)


def test_the_build_is_named_after_nxc_json(tmp_path: Path) -> None:
    assert nxc.composition_name(str(tmp_path)) == "composition"  # no nxc.json: nxc's default
    (tmp_path / "nxc.json").write_text('{"composition": "oar.cluster.nix", "default_flavour": "vm"}')
    assert nxc.build_paths(str(tmp_path), "docker")[0] == f"{tmp_path}/build/oar.cluster::docker"
    (tmp_path / "nxc.json").write_text("{not json")
    assert nxc.composition_name(str(tmp_path)) == "composition"


@pytest.mark.parametrize("name", ["master", "nfs-home"])
def test_the_build_name_is_the_cores(name: str) -> None:
    from oar_nxc.formats import composition

    path = REPO / "compositions" / name
    assert nxc.composition_name(str(path)) == composition.load(path).name


def test_variant_sources_merge_the_top_level_and_the_variant(tmp_path: Path) -> None:
    (tmp_path / "setup.toml").write_text(
        '[project]\nselected = "dev"\n\n[build.nur.repos.kapack.oar]\nsrc = "../oar-default"\n\n'
        '[dev.build.nur.repos.kapack.oar]\nsrc = "~/oar3"\n\n[dev.build.other]\nsrc = "vendored/other"\n'
        '[other.build.nur.repos.kapack.oar]\nsrc = "/elsewhere"\n')
    sources, variant = nxc.variant_sources(str(tmp_path), "")
    assert variant == "dev"
    assert sources == {"build.nur.repos.kapack.oar.src": str(Path("~/oar3").expanduser()),
                       "build.other.src": str(tmp_path / "vendored/other")}
    assert nxc.variant_sources(str(tmp_path), "other")[0]["build.nur.repos.kapack.oar.src"] == "/elsewhere"
    assert nxc.variant_sources(str(tmp_path / "none"), "") == ({}, "")
    with pytest.raises(ValueError, match=r"setup\.toml: missing, so there is no setup variant 'x'"):
        nxc.variant_sources(str(tmp_path / "none"), "x")


@pytest.mark.parametrize(("text", "setup", "said"), [
    ('[dev.params]\nn = 1\n', "nosuch",
     "no setup variant 'nosuch' (variants: dev; project, params, options, override-params, overrides, build are "
     "sections, not variants)"),
    ('[dev.params]\nn = 1\n', "params", "no setup variant 'params' (variants: dev;"),
    ('[project]\nselected = ["dev"]\n[dev.params]\n', "",
     "key 'project.selected': must be the name of a variant, not a list"),
    ('[project.selected]\nx = 1\n', "", "key 'project.selected': must be the name of a variant, not a dict"),
    ('[project]\nselected = "gone"\n', "", "no setup variant 'gone' (variants: none;"),
    ('[dev.build.oar]\nsrc = 42\n', "dev", "key 'build.oar.src': must be a path, not int '42'"),
])
def test_a_setup_variant_or_a_source_nxc_would_refuse_is_named(
        tmp_path: Path, text: str, setup: str, said: str) -> None:
    (tmp_path / "setup.toml").write_text(text)
    with pytest.raises(ValueError) as info:
        nxc.variant_sources(str(tmp_path), setup)
    assert str(info.value).startswith(f"{tmp_path / 'setup.toml'}: {said}"), str(info.value)


def test_a_special_setup_toml_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "setup.toml")
    with pytest.raises(ValueError, match=r"setup\.toml is not a regular file"):
        nxc.variant_sources(str(tmp_path), "")


@pytest.mark.parametrize("root", ["/", "/proc", "/proc/self", "/sys/kernel", "/dev/null", "/tmp"])
def test_a_source_that_is_the_system_is_refused(root: str) -> None:
    with pytest.raises(nxc.InputError) as info:
        nxc.file_digests([root])
    assert "a system directory" in str(info.value) or "not a directory nor a regular file" in str(info.value)


def test_a_source_that_climbs_to_the_root_or_is_a_fifo_is_refused(tmp_path: Path) -> None:
    import os

    climbing = str(tmp_path) + "/" + "../" * 30
    with pytest.raises(nxc.InputError, match="is /, a system directory"):
        nxc.file_digests([climbing])
    os.mkfifo(tmp_path / "src")
    with pytest.raises(nxc.InputError, match="is not a directory nor a regular file"):
        nxc.file_digests([str(tmp_path / "src")])


def test_a_huge_sparse_file_in_a_source_is_refused_at_once(tmp_path: Path) -> None:
    import time

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x")
    with (tmp_path / "src" / "disk.img").open("wb") as handle:
        handle.truncate(2 * 1024**3)
    start = time.monotonic()
    with pytest.raises(nxc.InputError, match=r"disk.img has 2147483648 bytes, more than 1073741824"):
        nxc.file_digests([str(tmp_path / "src")])
    assert time.monotonic() - start < 2


def test_the_real_variants_of_master() -> None:
    master = str(REPO / "compositions/master")
    assert nxc.variant_sources(master, "g5k-dev") == ({"build.nur.repos.kapack.oar.src": "/home/user/oar3"},
                                                      "g5k-dev")
    assert nxc.variant_sources(master, "") == ({}, "")


def test_the_changed_input_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("1")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__/a.pyc").write_text("x")
    old = nxc.file_digests([str(tmp_path)])
    assert list(old) == [str(tmp_path / "a.py")]
    (tmp_path / "a.py").write_text("2")
    (tmp_path / "b.py").write_text("new")
    new = nxc.file_digests([str(tmp_path)])
    changed = nxc.changed_inputs(old, new)
    assert changed == [str(tmp_path / "a.py"), str(tmp_path / "b.py")]
    run, why = nxc.build_decision(False, True, {"fingerprint": "old"}, "", "new", 2, changed)
    assert (run, why) == (True, f"rebuilt because {tmp_path / 'a.py'} changed (and 1 more)")


def test_the_fingerprint_survives_a_move(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    (one / "f").write_text("x")
    shutil.copytree(one, two)
    assert nxc.fingerprint([str(one)])[0] == nxc.fingerprint([str(two)])[0]
    assert nxc.tree_digest(nxc.file_digests([str(one)]), str(one)) == nxc.tree_digest(
        nxc.file_digests([str(two)]), str(two))


def test_the_bad_input_signal_is_the_cores() -> None:
    from oar_nxc import errors

    assert nxc.BAD_INPUT_SIGNAL == errors.BAD_INPUT_SIGNAL


def test_the_timeout_bound_is_the_cores() -> None:
    from oar_nxc.nxc import start

    assert nxc.MAX_TIMEOUT == start.MAX_TIMEOUT == 604800


def test_the_setup_facts_are_the_cores() -> None:
    from oar_nxc.formats import nxcsetup, reading

    assert nxc.SETUP_SECTIONS == nxcsetup.SECTIONS
    assert reading.LIMITS["setup.toml"] == nxc.SETUP_LIMIT
    assert reading.LIMITS["state record"] == nxc.RECORD_LIMIT
    assert reading.JSON_MAX_DEPTH == nxc.MAX_DEPTH


def test_a_setup_toml_whose_section_is_a_value_is_refused_by_the_build_module(tmp_path: Path) -> None:
    (tmp_path / "setup.toml").write_text('project = "x"\n')
    with pytest.raises(ValueError) as err:
        nxc.variant_sources(str(tmp_path), "")
    assert str(err.value) == f"{tmp_path / 'setup.toml'}: key 'project': must be a table ([section]), not a value"


def test_params_nested_deeper_than_a_json_input_are_found_without_recursion() -> None:
    deep: dict[str, object] = {}
    for _unused in range(5000):
        deep = {"a": deep}
    assert nxc.too_deep({"n": deep}) is True
    assert nxc.too_deep({"n": 3, "x": [1, [2]]}) is False
    assert nxc.too_deep({"a": [[[[]]]]}, limit=4) is True
