"""oar.nxc.nxc_build through the real ansible and the real nixos-compose 0.7.11; only the image
build is the testbed stand-in (tests/testbed/standin/nix, first on nxc's PATH). Each case asserts
the decision (run, skip, would run), `changed`, the command and the message."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BIN, REPO, clean_env, run

NXC = str(BIN / "nxc")
ENV = {"PATH": f"{REPO / 'tests/testbed/standin'}:{BIN}:/usr/sbin:/usr/bin:/sbin:/bin", "USER": "root"}


def build(comp: Path, *, check: bool = False, as_module: bool = False, **args: Any) -> dict[str, Any]:
    """`ansible localhost -m oar.nxc.nxc_build -a <args>`; the result as tests/callback/record.py saw it. On
    localhost the up-to-date test runs in the controller's process (plugins/plugin_utils/local.py); AS_MODULE
    adds --become (to root, as root), with which the module always runs."""
    params = {"composition_dir": str(comp), "flavour": "g5k-nfs-store", "nxc": NXC, "environment": ENV,
              "timeout": 120, **args}
    argv = [str(BIN / "ansible"), "localhost", "-m", "oar.nxc.nxc_build", "-a", json.dumps(params)]
    with tempfile.NamedTemporaryFile(suffix=".json") as record:
        run(argv + (["--check"] if check else []) + (["--become", "--become-method", "su"] if as_module else []),
            env=clean_env(
                ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_CALLBACK_PLUGINS=str(REPO / "tests" / "callback"),
                ANSIBLE_CALLBACKS_ENABLED="record", OAR_NXC_RECORD=record.name))
        data = json.loads(Path(record.name).read_text())
    return data["plays"][0]["tasks"][0]["hosts"]["localhost"]


@pytest.fixture
def comp(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "compositions" / "master", tmp_path / "master",
                    ignore=shutil.ignore_patterns("build", "deploy", "artifact", ".oar-nxc"))
    return tmp_path / "master"


def test_build_then_up_to_date_then_rebuilt_after_an_edit(comp: Path) -> None:
    setup = (comp / "setup.toml").read_bytes()
    first = build(comp)
    assert (first["changed"], first["why"]) == (True, "no build result yet")
    assert first["cmd"] == ["timeout", "-k", "30", "120", NXC, "build", "-f", "g5k-nfs-store"]
    assert first["elapsed"] > 0 and first["stdout"].endswith("Build completed\n")
    assert (comp / "build/composition::g5k-nfs-store").is_symlink()
    record = json.loads((comp / "build/.oar-nxc-g5k-nfs-store.json").read_text())
    assert (record["fingerprint"], record["argv"], record["nxc"]) == (first["digest"], first["cmd"],
                                                                      "nxc, version 0.7.11")
    assert (comp / "setup.toml").read_bytes() == setup

    again = build(comp)
    assert (again["changed"], again["up_to_date"], again["digest"]) == (False, True, first["digest"])
    assert again["why"] == (f"up to date ({first['files']} input files unchanged since the last build): "
                            "nxc build skipped")
    assert again["plan"] == {"step": "build", "command": f"timeout -k 30 120 {NXC} build -f g5k-nfs-store",
                             "cwd": str(comp), "run": False, "why": again["why"], "inputs": [str(comp)]}
    assert "stdout" not in again  # nxc did not run

    (comp / "oar.nix").write_text((comp / "oar.nix").read_text() + "\n# edited\n")
    edited = build(comp)
    assert (edited["changed"], edited["why"]) == (True, f"rebuilt because {comp / 'oar.nix'} changed")
    assert edited["digest"] != first["digest"]
    forced = build(comp, force=True)
    assert (forced["changed"], forced["why"]) == (True, "forced (force=true)")


def result(record: dict[str, Any]) -> dict[str, Any]:
    """A task's result without the recording callback's own keys (when it ended)."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


def test_the_up_to_date_test_answers_the_same_in_process_and_as_a_module(comp: Path) -> None:
    first = build(comp)
    assert first["changed"] is True
    for check in (False, True):
        here, sent = build(comp, check=check), build(comp, check=check, as_module=True)
        assert (here["changed"], here["up_to_date"], here["digest"]) == (False, True, first["digest"])
        assert result(here) == result(sent)
    (comp / "oar.nix").write_text((comp / "oar.nix").read_text() + "\n# edited\n")
    here, sent = build(comp, check=True), build(comp, check=True, as_module=True)
    assert (here["changed"], here["why"]) == (True, f"rebuilt because {comp / 'oar.nix'} changed")
    assert result(here) == result(sent)
    refused = {"composition_dir": str(comp / "nowhere")}
    here, sent = build(comp, **refused), build(comp, as_module=True, **refused)
    assert (here["failed"], here["msg"]) == (True, f"{comp / 'nowhere'}: not an nxc composition (no flake.nix)")
    assert result(here) == result(sent)


def test_check_mode_runs_nothing(comp: Path) -> None:
    result = build(comp, check=True, setup="large", params={"nb_nodes": 3})
    assert (result["changed"], result["why"]) == (True, "no build result yet")
    assert result["command"] == f"timeout -k 30 120 {NXC} build -f g5k-nfs-store -s large -p nb_nodes=3"
    assert result["plan"]["run"] is True
    assert not (comp / "build").exists()
    missing = build(comp, check=True, nxc="/nonexistent/nxc")
    assert missing["changed"] is True
    assert missing["why"] == "nixos-compose is not installed yet (/nonexistent/nxc --version: rc 127)"
    assert missing["plan"]["command"] == "timeout -k 30 120 /nonexistent/nxc build -f g5k-nfs-store"


def test_a_failed_build_names_nxcs_error_and_restores_setup_toml(comp: Path) -> None:
    setup = (comp / "setup.toml").read_bytes()
    failed = build(comp, flavour="docker")  # docker load: no docker here
    assert failed["failed"] is True
    assert failed["msg"] == (f"nxc build failed (rc 127): Error: Build return code: 127 "
                             f"[timeout -k 30 120 {NXC} build -f docker]")
    assert (failed["rc"], failed["cmd"][-3:]) == (127, ["build", "-f", "docker"])
    assert "docker: not found" in failed["stderr"]
    assert (comp / "setup.toml").read_bytes() == setup
    assert not (comp / "build/.oar-nxc-docker.json").exists()  # no record of a failed build
    # an unknown variant is refused before nxc runs (nxc itself would say "Missing asked setup variant")
    bad_setup = build(comp, setup="nope")
    assert bad_setup["msg"].startswith(f"{comp / 'setup.toml'}: no setup variant 'nope' (variants: ")
    assert (bad_setup["failed"], bad_setup["oar_nxc_exit"], "rc" in bad_setup) == (True, "bad_input", False)
    assert (comp / "setup.toml").read_bytes() == setup


def test_bad_arguments_are_named(comp: Path, tmp_path: Path) -> None:
    assert build(tmp_path / "nowhere")["msg"] == f"{tmp_path / 'nowhere'}: not an nxc composition (no flake.nix)"
    assert build(comp, inputs=[str(tmp_path / "gone")])["msg"] == f"build inputs not found: {tmp_path / 'gone'}"
    assert build(comp, nxc="/nonexistent/nxc")["msg"] == (
        "cannot run nxc: /nonexistent/nxc --version failed (rc 127): /nonexistent/nxc: command not found")
    flavour = build(comp, flavour="vmm")
    assert flavour["msg"].startswith("value of flavour must be one of: docker, g5k-image, g5k-nfs-store")


def test_a_dev_variant_rebuilds_when_its_oar_checkout_changes(comp: Path, tmp_path: Path) -> None:
    """The seed's development loop: a variant points OAR's src at a local checkout; editing a file
    there must rebuild, and the record says which source was built."""
    checkout = tmp_path / "oar3"
    (checkout / "oar/lib").mkdir(parents=True)
    (checkout / "oar/lib/job.py").write_text("VERSION = 1\n")
    (checkout / ".git").mkdir()
    (checkout / ".git/index").write_text("not an input\n")
    setup = comp / "setup.toml"
    setup.write_text(setup.read_text() + f'\n[mine.options]\nnix-flags = "--impure"\n\n'
                     f'[mine.build.nur.repos.kapack.oar]\nsrc = "{checkout}"\n')
    first = build(comp, setup="mine")
    assert first["changed"] is True, first.get("msg")
    assert first["sources"] == {"build.nur.repos.kapack.oar.src": str(checkout)}
    assert first["inputs"] == first["plan"]["inputs"] == [str(comp), str(checkout)]
    record = json.loads((comp / "build/.oar-nxc-g5k-nfs-store.json").read_text())
    assert record["variant"] == "mine"
    assert record["sources"]["build.nur.repos.kapack.oar.src"]["path"] == str(checkout)
    digest = record["sources"]["build.nur.repos.kapack.oar.src"]["digest"]

    (checkout / ".git/index").write_text("still not an input\n")
    unchanged = build(comp, setup="mine")
    assert (unchanged["changed"], unchanged["up_to_date"]) == (False, True)

    (checkout / "oar/lib/job.py").write_text("VERSION = 2\n")
    edited = build(comp, setup="mine")
    assert (edited["changed"], edited["why"]) == (True, f"rebuilt because {checkout / 'oar/lib/job.py'} changed")
    record = json.loads((comp / "build/.oar-nxc-g5k-nfs-store.json").read_text())
    assert record["sources"]["build.nur.repos.kapack.oar.src"]["digest"] != digest


def test_a_variant_whose_checkout_is_missing_is_named(comp: Path, tmp_path: Path) -> None:
    setup = comp / "setup.toml"
    setup.write_text(setup.read_text() + f'\n[mine.build.nur.repos.kapack.oar]\nsrc = "{tmp_path / "nope"}"\n')
    result = build(comp, setup="mine")
    assert result["failed"] is True
    assert result["msg"] == (f"setup.toml variant mine: build.nur.repos.kapack.oar.src = {tmp_path / 'nope'} does not "
                             "exist (the OAR checkout to build)")
