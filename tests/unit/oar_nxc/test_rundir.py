"""Run directories: oar-nxc writes into and scrubs only the directories it made (marked), and refuses the rest
naming the path and why; a user's env/ is never touched, a planted env/extravars never read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from oar_nxc import rundir


def test_a_new_directory_is_made_and_marked(tmp_path: Path) -> None:
    path = rundir.prepare(tmp_path / "a" / "b")
    assert json.loads((path / rundir.MARKER).read_text()) == {"made_by": "oar-nxc"}


def test_an_empty_directory_is_taken_and_a_marked_one_reused_without_its_env(tmp_path: Path) -> None:
    rundir.prepare(tmp_path)
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "extravars").write_text('{"oar_nxc_deploy_timeout": 4242}')
    (tmp_path / "summary.json").write_text("{}")
    assert rundir.prepare(tmp_path) == tmp_path
    assert not (tmp_path / "env").exists() and (tmp_path / "summary.json").exists()


def test_a_directory_with_files_and_no_marker_is_refused_and_left_alone(tmp_path: Path) -> None:
    project = tmp_path / "myproject"
    (project / "env" / "bin").mkdir(parents=True)
    (project / "env" / "bin" / "python").write_text("")
    with pytest.raises(rundir.RunDirError) as info:
        rundir.prepare(project)
    assert str(info.value) == (f"--run-dir {project}: a directory with files that oar-nxc did not make (no "
                               ".oar-nxc-run): it is never written into nor scrubbed; give a new or an empty directory")
    assert sorted(p.name for p in project.rglob("*")) == ["bin", "env", "python"]


@pytest.mark.parametrize(("make", "said"), [
    (lambda p: p.write_text("x"), "not a directory"),
    (lambda p: (p.parent / "file").write_text("x"), "Not a directory"),
])
def test_a_file_or_a_path_under_a_file_is_refused(tmp_path: Path, make: object, said: str) -> None:
    target = tmp_path / "run"
    make(target)  # type: ignore[operator]
    path = target if said == "not a directory" else tmp_path / "file" / "run"
    with pytest.raises(rundir.RunDirError, match=f"--run-dir {path}: {said}"):
        rundir.prepare(path)


def test_dev_null_is_refused() -> None:
    with pytest.raises(rundir.RunDirError, match="--run-dir /dev/null: not a directory"):
        rundir.prepare(Path("/dev/null"))


def test_a_marker_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    (tmp_path / rundir.MARKER).write_text("[1, 2]")
    with pytest.raises(rundir.RunDirError, match="is not oar-nxc's marker \\(garbled\\)"):
        rundir.prepare(tmp_path)
    (tmp_path / rundir.MARKER).unlink()
    os.mkfifo(tmp_path / rundir.MARKER)
    with pytest.raises(rundir.RunDirError, match="not a small regular file"):
        rundir.prepare(tmp_path)
