"""oar_nxc.statustable: the compositions' status table from the runs' summary.json, read strictly and escaped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from oar_nxc import statustable
from oar_nxc.errors import SourceError

COMMIT = "0123456789abcdef0123456789abcdef01234567"
CHECKS = [{"name": n, "status": "passed"} for n in ("a", "b", "c")]


def summary(directory: Path, **changes: object) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    data = {"command": "run", "composition": "master", "flavour": "g5k-nfs-store", "started": 1796285566.4,
            "commit": COMMIT, "exit_code": 0, "meaning": "success", "checks": CHECKS, **changes}
    path = directory / "summary.json"
    path.write_text(json.dumps(data))
    (directory / "report.html").write_text("<html></html>")
    return path


def compositions(root: Path) -> Path:
    for name, heading in (("master", "`master`: an OAR 3 cluster"), ("nfs-home", "`nfs-home`: homes over NFS")):
        (root / name).mkdir(parents=True)
        (root / name / "README.md").write_text(f"# {heading}\n\nStatus: maintained.\n\nMore.\n")
    return root


def test_the_table_has_the_seeds_columns_and_a_cell_per_flavour(tmp_path: Path) -> None:
    results = tmp_path / "oar-nxc-results"
    summary(results / "1")
    summary(results / "2", flavour="g5k-ramdisk", exit_code=5, meaning="smoke checks failed",
            checks=[*CHECKS[:2], {"name": "c", "status": "failed"}])
    summary(results / "3" / "job-7", composition="nfs-home")  # a batch run: <results>/<CI job>/job-<OAR job>
    runs, notes = statustable.collect([str(results)])
    table = statustable.markdown(runs, compositions=str(compositions(tmp_path / "compositions")), cwd=tmp_path)
    assert notes == []
    assert table.splitlines() == [
        "| Directory | Description | Status | CI@Grid5000 |",
        "|---|---|---|---|",
        "| [master](compositions/master/README.md) | an OAR 3 cluster | maintained | g5k-nfs-store: ✅ passed, "
        "3/3 checks, 2026-12-03 08:12 UTC, commit 01234567, [report](oar-nxc-results/1/report.html)<br>"
        "g5k-ramdisk: ❌ failed (smoke checks failed), 2/3 checks, 2026-12-03 08:12 UTC, commit 01234567, "
        "[report](oar-nxc-results/2/report.html) |",
        "| [nfs-home](compositions/nfs-home/README.md) | homes over NFS | maintained | g5k-nfs-store: ✅ passed, "
        "3/3 checks, 2026-12-03 08:12 UTC, commit 01234567, [report](oar-nxc-results/3/job-7/report.html) |"]


def test_the_last_run_of_each_composition_and_flavour_wins_and_links_take_the_base(tmp_path: Path) -> None:
    summary(tmp_path / "r" / "old", started=1000.0, exit_code=0)
    summary(tmp_path / "r" / "new", started=2000.0, exit_code=3, meaning="failed hosts")
    runs, _unused = statustable.collect([str(tmp_path / "r")])
    table = statustable.markdown(runs, link_base="https://ci.example/-/jobs/artifacts/", cwd=tmp_path)
    (row,) = table.splitlines()[2:]
    assert row == ("| master | - | - | g5k-nfs-store: ❌ failed (failed hosts), 3/3 checks, 1970-01-01 00:33 UTC, "
                   "commit 01234567, [report](https://ci.example/-/jobs/artifacts/r/new/report.html) |")


@pytest.mark.parametrize(("text", "why"), [
    ("[]", "a list is not a run's summary"),
    ('"x"', "a str is not a run's summary"),
    ("7", "a int is not a run's summary"),
    ('{"flavour": "vm", "started": 1, "exit_code": 0}', "composition: missing or not a name"),
    ('{"composition": "a|b", "flavour": "vm", "started": 1, "exit_code": 0}', "composition: missing or not a name"),
    ('{"composition": "<script>", "flavour": "vm", "started": 1, "exit_code": 0}', "composition: missing"),
    ('{"composition": "m", "flavour": "vm", "started": "yesterday", "exit_code": 0}', "started: missing"),
    ('{"composition": "m", "flavour": "vm", "started": 1, "exit_code": true}', "exit_code: missing or not an "),
    ('{"composition": "m", "composition": "n"}', "duplicate key"),
    ("[" * 100 + "]" * 100, "deeper than"),
])
def test_a_summary_of_the_wrong_shape_is_left_out_naming_the_file(tmp_path: Path, text: str, why: str) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "summary.json").write_text(text)
    summary(tmp_path / "ok")
    runs, notes = statustable.collect([str(tmp_path)])
    assert list(runs) == [("master", "g5k-nfs-store")]  # the good one still counts
    (note,) = notes
    assert note.startswith(f"left out: {tmp_path / 'r' / 'summary.json'}: ") and why in note, note


def test_a_fifo_is_refused_without_hanging_and_a_file_is_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    os.mkfifo(tmp_path / "r" / "summary.json")
    runs, notes = statustable.collect([str(tmp_path)])
    assert runs == {} and "FIFO" in notes[0]
    with pytest.raises(SourceError, match="is not a directory of run directories"):
        statustable.collect([str(tmp_path / "r" / "summary.json")])


def test_values_from_the_readme_are_escaped_for_markdown_and_html(tmp_path: Path) -> None:
    root = tmp_path / "c"
    (root / "master").mkdir(parents=True)
    (root / "master" / "README.md").write_text("# master: <img src=x onerror=alert(1)> | [x](javascript:y)\n"
                                               "Status: <b>gone</b>\n")
    summary(tmp_path / "r" / "1")
    runs, _unused = statustable.collect([str(tmp_path / "r")])
    row = statustable.markdown(runs, compositions=str(root), cwd=tmp_path).splitlines()[2]
    cells = row.split(" | ")
    assert cells[1] == r"&lt;img src=x onerror=alert\(1\)&gt; \| \[x\]\(javascript:y\)"
    assert cells[2] == "&lt;b&gt;gone&lt;/b&gt;"
    assert "<" not in row.replace("<br>", "")


def test_no_run_found_says_so(tmp_path: Path) -> None:
    assert statustable.markdown({}, cwd=tmp_path).splitlines()[2] == "| - | no run found | - | - |"
