"""A smoke report built from hostile values, opened in a real headless Chromium: no script from the data runs
(the page's title stays its own), no element comes from the data, and the page says no script may run
(Content-Security-Policy)."""

from __future__ import annotations

from pathlib import Path

from oar_nxc.smoke import reports
from tests.integration import browser
from tests.unit.oar_nxc.smoke.test_reports_hostile import PAYLOAD, hostile

SEEN = """
return {
  title: document.title,
  scripts: document.querySelectorAll('script').length,
  images: document.querySelectorAll('img').length,
  csp: (document.querySelector('meta[http-equiv="Content-Security-Policy"]') || {}).content || null,
  message: (document.querySelector('#checks td.message') || {}).textContent || null,
};
"""


def test_chromium_runs_no_script_from_the_reports_data(tmp_path: Path) -> None:
    assert browser.available()
    report = hostile(PAYLOAD)
    report["checks"][0]["status"] = "failed"
    paths = reports.write(report, tmp_path, [{"name": PAYLOAD, "started": 1.0, "seconds": 2}])
    seen = browser.look_at(Path(paths["report.html"]), tmp_path / "hostile.png", SEEN)
    assert seen.page == {"title": "OAR smoke report", "scripts": 0, "images": 0, "csp": reports.CSP,
                         "message": PAYLOAD}
    assert [entry for entry in seen.console if "PWNED" in str(entry.get("message"))] == []
