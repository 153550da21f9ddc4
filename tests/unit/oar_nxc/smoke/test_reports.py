"""The smoke reports, from a real report of the testbed (tests/fixtures/oar/smoke-report-2.5.9.json)."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from oar_nxc.smoke import reports

REPORT = json.loads((Path(__file__).parents[3] / "fixtures" / "oar" / "smoke-report-2.5.9.json").read_text())
PHASES = [{"name": "Install nixos-compose and nix", "seconds": 1.5, "started": REPORT["started"] - 20},
          {"name": "Build the composition", "seconds": 2.0, "started": REPORT["started"] - 18.5},
          {"name": "Start the composition with nxc", "seconds": 16.5, "started": REPORT["started"] - 16.5},
          {"name": "Smoke-test OAR on the deployed composition", "seconds": 14.0, "started": REPORT["started"]}]


def with_failure() -> dict[str, Any]:
    report = copy.deepcopy(REPORT)
    report["checks"][6].update(status="failed", message="GET http://oar-server:6668/oarapi/version.json: no answer: "
                                                        "<urlopen error [Errno 111] Connection refused>")
    report["summary"] = {"passed": 6, "failed": 1, "skipped": 0}
    return report


def test_junit_has_a_testcase_per_check() -> None:
    root = ET.fromstring(reports.junit(with_failure()))  # noqa: S314 (our own output)
    suite = root.find("testsuite")
    assert suite is not None
    assert [c.get("name") for c in suite.iter("testcase")] == [c["name"] for c in REPORT["checks"]]
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped"), suite.get("hostname")) == (
        "7", "1", "0", "frontend")
    failure = suite.find("testcase[@name='rest_api']/failure")
    assert failure is not None
    assert failure.get("message", "").endswith("<urlopen error [Errno 111] Connection refused>")


def test_the_page_draws_one_bar_per_phase_check_and_job() -> None:
    page = reports.html(REPORT, PHASES)
    assert len(re.findall(r'<rect class="bar phase"', page)) == 4
    assert len(re.findall(r'<rect class="bar check passed"', page)) == 7
    jobs = [c for c in REPORT["checks"] if c.get("job") is not None]
    assert len(re.findall(r'<rect class="bar job"', page)) == len(jobs) == 4
    assert "OAR job 39 on oarnode2, oarnode3" in page
    assert "The run took 34.0 s; the longest phase was <b>Start the composition with nxc</b> (16.5 s)." in page


def test_a_failed_check_is_shown_failed_with_its_message() -> None:
    page = reports.html(with_failure())
    row = re.search(r'<tr class="check failed" data-check="rest_api">(.*?)</tr>', page)
    assert row is not None
    assert '<td class="status">failed</td>' in row.group(1)
    assert "no answer: &lt;urlopen error [Errno 111] Connection refused&gt;" in row.group(1)
    assert '<span class="s-failed">1 failed</span>' in page


def test_the_page_is_self_contained_and_escapes_what_it_shows() -> None:
    report = copy.deepcopy(REPORT)
    report["checks"][0]["message"] = '<script>alert(1)</script><img src="http://example.org/x.png">'
    report["build"] = {"variant": "mine", "fingerprint": "ab" * 32, "sources": {"oar": "/home/a/<oar>"}}
    page = reports.html(report)
    assert "<script" not in page
    assert "<img" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched: no CDN, no font, no image
    assert "<code>/home/a/&lt;oar&gt;</code>" in page


def test_write_puts_the_three_files_together(tmp_path: Path) -> None:
    paths = reports.write(REPORT, tmp_path / "r")
    assert sorted(paths) == sorted(reports.FILES)
    assert json.loads(Path(paths["report.json"]).read_text()) == REPORT
    assert Path(paths["report.html"]).read_text().startswith("<!DOCTYPE html>")
    assert {oct(Path(p).stat().st_mode & 0o777) for p in paths.values()} == {"0o644"}
