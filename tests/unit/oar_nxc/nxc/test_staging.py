"""oar_nxc.nxc.staging: where a composition is used, and the copy of the shipped ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from oar_nxc.nxc import staging


def test_an_absolute_composition_is_used_in_place(tmp_path: Path) -> None:
    where = staging.place(str(tmp_path / "mine" / "oar"), "/c/compositions", "/c", "/w")
    assert where == staging.Place(str(tmp_path / "mine" / "oar"), str(tmp_path / "mine"), "")


def test_a_compositions_dir_of_ones_own_is_used_in_place(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    where = staging.place("oar", str(tmp_path / "mine"), str(tmp_path / "collection"), "/w")
    assert where == staging.Place(str(tmp_path / "mine" / "oar"), str(tmp_path / "mine"), "")


def test_a_shipped_composition_is_used_from_a_copy(tmp_path: Path) -> None:
    collection = tmp_path / "collection"
    (collection / "compositions").mkdir(parents=True)
    where = staging.place("master", str(collection / "compositions"), str(collection), str(tmp_path / "work"))
    assert where == staging.Place(str(tmp_path / "work/compositions/master"), str(tmp_path / "work/compositions"),
                                  str(collection / "compositions"))


@pytest.mark.parametrize(("composition", "message"), [
    ("", "oar_nxc_composition: empty (a name of oar_nxc_compositions_dir, or an absolute path)"),
    ("../etc", "oar_nxc_composition: '../etc' is neither the name of a directory of oar_nxc_compositions_dir "
               "nor an absolute path"),
    ("a/b", "oar_nxc_composition: 'a/b' is neither the name of a directory of oar_nxc_compositions_dir "
            "nor an absolute path"),
    ("..", "oar_nxc_composition: '..' is neither the name of a directory of oar_nxc_compositions_dir "
           "nor an absolute path"),
])
def test_a_bad_composition_is_refused_naming_the_variable(composition: str, message: str) -> None:
    with pytest.raises(staging.StagingError) as err:
        staging.place(composition, "/c/compositions", "/c", "/w")
    assert str(err.value) == message


def test_the_work_dir_must_be_absolute_and_outside_the_collection(tmp_path: Path) -> None:
    collection = tmp_path / "collection"
    (collection / "compositions").mkdir(parents=True)
    with pytest.raises(staging.StagingError) as relative:
        staging.place("master", str(collection / "compositions"), str(collection), "work")
    assert str(relative.value) == "oar_nxc_work_dir: 'work' is not an absolute path"
    with pytest.raises(staging.StagingError) as inside:
        staging.place("master", str(collection / "compositions"), str(collection), str(collection / "w"))
    assert str(inside.value) == (f"oar_nxc_work_dir: {collection / 'w'} is inside the collection ({collection}), "
                                 f"which is never written")


def shipped(root: Path) -> Path:
    src = root / "compositions"
    (src / "master").mkdir(parents=True)
    (src / "master" / "composition.nix").write_text("{ }\n")
    (src / "master" / "flake.nix").write_text("{ outputs = _: { }; }\n")
    (src / "nfs-home").mkdir()
    (src / "nfs-home" / "master").symlink_to("../master")
    (src / "nfs-home" / "composition.nix").write_text("import ../master/composition.nix\n")
    # a developer's own build in the checkout's tree is not copied
    (src / "master" / "build").mkdir()
    (src / "master" / "build" / "composition::vm").write_text("x")
    (src / "master" / ".git").mkdir()
    (src / "master" / ".git" / "HEAD").write_text("ref")
    return src


def test_stage_copies_the_sources_and_not_the_outputs(tmp_path: Path) -> None:
    src, dest = shipped(tmp_path), tmp_path / "work" / "compositions"
    written, removed = staging.stage(str(src), str(dest))
    assert (written, removed) == (["master/composition.nix", "master/flake.nix", "nfs-home/composition.nix",
                                   "nfs-home/master"], [])
    assert (dest / "master/composition.nix").read_text() == "{ }\n"
    assert os.readlink(dest / "nfs-home/master") == "../master"
    assert not (dest / "master/build").exists() and not (dest / "master/.git").exists()


def test_a_second_stage_changes_nothing_and_keeps_what_nxc_wrote(tmp_path: Path) -> None:
    src, dest = shipped(tmp_path), tmp_path / "work" / "compositions"
    staging.stage(str(src), str(dest))
    for output in ("build", "deploy", "artifact", ".oar-nxc"):
        (dest / "master" / output).mkdir()
        (dest / "master" / output / "kept").write_text("nxc's")
    mtime = (dest / "master/flake.nix").stat().st_mtime_ns
    assert staging.stage(str(src), str(dest)) == ([], [])
    assert (dest / "master/flake.nix").stat().st_mtime_ns == mtime
    assert sorted(p.name for p in (dest / "master").iterdir()) == [
        ".oar-nxc", "artifact", "build", "composition.nix", "deploy", "flake.nix"]


def test_stage_rewrites_changed_files_and_removes_gone_ones(tmp_path: Path) -> None:
    src, dest = shipped(tmp_path), tmp_path / "work" / "compositions"
    staging.stage(str(src), str(dest))
    (src / "master" / "composition.nix").write_text("{ changed = 1; }\n")
    (src / "nfs-home" / "composition.nix").unlink()
    (dest / "master" / "stray.nix").write_text("left by hand")
    assert staging.stage(str(src), str(dest), check=True) == (["master/composition.nix"],
                                                              ["master/stray.nix", "nfs-home/composition.nix"])
    assert (dest / "master" / "stray.nix").exists()  # check mode writes nothing
    assert staging.stage(str(src), str(dest)) == (["master/composition.nix"],
                                                  ["master/stray.nix", "nfs-home/composition.nix"])
    assert (dest / "master/composition.nix").read_text() == "{ changed = 1; }\n"
    assert not (dest / "master" / "stray.nix").exists()


def test_the_copy_of_a_read_only_collection_is_the_users_to_write(tmp_path: Path) -> None:
    src, dest = shipped(tmp_path), tmp_path / "work" / "compositions"
    (src / "master" / "flake.nix").chmod(0o444)
    staging.stage(str(src), str(dest))
    assert (dest / "master/flake.nix").stat().st_mode & 0o777 == 0o644


def test_a_missing_source_is_refused_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(staging.StagingError) as err:
        staging.stage(str(tmp_path / "nowhere"), str(tmp_path / "work"))
    assert str(err.value) == f"oar_nxc_compositions_dir: {tmp_path / 'nowhere'} is not a directory"
