"""Open a page in a real headless browser (Debian's chromium, driven by its chromium-driver through
selenium) and report what a person would see. No network: the page must be self-contained."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
# as root, without network: no sandbox, no first-run or background traffic, a fresh profile
ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--window-size=1280,1100")
SEEN = """
const text = (el) => el ? (el.innerText ?? el.textContent).trim() : null;
return {
  title: document.title,
  phases: document.querySelectorAll('svg rect.bar.phase').length,
  checks: document.querySelectorAll('svg rect.bar.check').length,
  jobs: document.querySelectorAll('svg rect.bar.job').length,
  job_titles: Array.from(document.querySelectorAll('svg rect.bar.job title')).map(text),
  rows: Array.from(document.querySelectorAll('#checks tr.check')).map(r => ({
    check: r.dataset.check, status: text(r.querySelector('td.status')), message: text(r.querySelector('td.message')),
    colour: getComputedStyle(r.querySelector('td.status')).color})),
  summary: text(document.querySelector('p.summary')),
  timeline_width: (document.querySelector('svg') || {getBoundingClientRect: () => ({width: 0})})
                    .getBoundingClientRect().width,
};
"""


@dataclass
class Seen:
    page: dict[str, Any]
    console: list[dict[str, Any]]  # the browser's console messages


def available() -> bool:
    return CHROMIUM.exists() and DRIVER.exists()


def look_at(page: Path, screenshot: Path, script: str = SEEN) -> Seen:
    """Open `page`, run `script` in it (what it returns is `Seen.page`), keep a screenshot."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="oar-nxc-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for arg in (*ARGS, f"--user-data-dir={profile}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
        try:
            driver.set_page_load_timeout(30)
            driver.get(page.resolve().as_uri())
            seen = driver.execute_script(script)
            console = driver.get_log("browser")
            driver.save_screenshot(str(screenshot))
        finally:
            driver.quit()
    return Seen(seen, console)
