"""Reports are safe to open whatever their data: every value escaped in HTML, the XML well-formed, a
Content-Security-Policy that allows no script, numbers given as text, a clock a day off, a garbled build
record or a lone surrogate handled; property-based over any JSON-like values."""

from __future__ import annotations

import json
import re
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oar_nxc.smoke import reports

PAYLOAD = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"


class Tags(HTMLParser):
    """The elements and attributes of a page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _value in attrs]


def tags_of(page: str) -> Tags:
    parser = Tags()
    parser.feed(page)
    parser.close()
    return parser


# the elements and attributes the writer itself uses: a value never adds one
ELEMENTS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "span", "b", "svg", "line", "text",
            "rect", "table", "tr", "th", "td", "code"}
ATTRIBUTES = {"lang", "charset", "http-equiv", "content", "name", "class", "xmlns", "width", "height", "role",
              "aria-label", "x1", "y1", "x2", "y2", "x", "y", "text-anchor", "rx", "fill", "id", "data-check"}


def hostile(value: Any) -> dict[str, Any]:
    check = {"name": value, "status": value, "seconds": value, "message": value, "job": value, "job_hosts": [value],
             "started": value, "ended": value, "job_started": value, "job_stopped": value}
    return {"user": value, "submit_host": value, "oar_version": value, "started": value, "ended": value,
            "summary": {"passed": value, "failed": value, "skipped": value}, "checks": [check, value],
            "hosts": [{"name": value, "role": value, "machine": value, "ip": value, "address": value}],
            "build": {"variant": value, "fingerprint": value, "sources": {"oar": value}}}


def assert_safe(report: Any, phases: list[Any] | None = None) -> None:
    page = reports.html(report, phases or [])
    found = tags_of(page)
    assert set(found.tags) <= ELEMENTS, set(found.tags) - ELEMENTS
    assert set(found.attributes) <= ATTRIBUTES, set(found.attributes) - ATTRIBUTES
    assert found.tags.count("meta") == 3 and reports.CSP in page
    ET.fromstring(reports.junit(report if isinstance(report, dict) else {}))  # noqa: S314 (well-formed: our output)
    with tempfile.TemporaryDirectory() as directory:
        paths = reports.write(report if isinstance(report, dict) else {}, directory, phases or [])
        json.loads(Path(paths["report.json"]).read_text())
        ET.parse(paths["junit.xml"])  # noqa: S314 (our own output)


def test_a_script_in_every_field_stays_text() -> None:
    page = reports.html(hostile(PAYLOAD), [{"name": PAYLOAD, "started": 1.0, "seconds": 1}])
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;document.title=&#x27;PWNED&#x27;&lt;/script&gt;" in page
    assert_safe(hostile(PAYLOAD))


def test_numbers_given_as_text_are_not_written_as_they_came() -> None:
    report = {"summary": {"passed": "<b>7</b>", "failed": "1e400", "skipped": None},
              "checks": [{"name": "a", "status": "passed", "seconds": "<i>2</i>", "started": "x"}]}
    page = reports.html(report)
    assert '<span class="s-passed">0 passed</span>' in page and '<span class="s-failed">0 failed</span>' in page
    assert "<td>0 s</td>" in page and "<i>" not in page
    assert 'time="0"' in reports.junit(report) and 'failures="0"' in reports.junit(report)


def test_a_clock_a_day_off_still_draws_the_timeline() -> None:
    later = 1_000.0 + 2 * 86_400
    report = {"checks": [{"name": "a", "status": "passed", "started": 1_000.0, "ended": 1_001.0},
                         {"name": "b", "status": "passed", "started": later, "ended": later}]}
    svg = reports.timeline(report)
    ticks = re.findall(r'text-anchor="middle">(\d+) s<', svg)
    assert 2 <= len(ticks) <= 13 and ticks[0] == "0" and int(ticks[-1]) <= 2 * 86_400 + 1


def test_a_garbled_build_record_is_said_and_the_page_still_made() -> None:
    page = reports.html({"build": "not an object", "checks": "nor a list", "hosts": [1, None]})
    assert "<th>build record</th><td><code>garbled (not an object): not shown</code></td>" in page


def test_a_lone_surrogate_or_a_control_character_is_replaced() -> None:
    report = {"checks": [{"name": "a\udc80b", "status": "failed", "message": "x\x00y\x1b[31m"}]}
    assert_safe(report)
    assert "a\ufffdb" in reports.html(report) and "x\ufffdy\ufffd[31m" in reports.junit(report)


def test_too_many_rows_are_counted_not_drawn() -> None:
    report = {"checks": [{"name": f"c{i}", "status": "passed", "started": 1.0 + i, "ended": 2.0 + i}
                         for i in range(reports.MAX_ROWS + 7)]}
    svg = reports.timeline(report)
    assert svg.count("<rect ") == reports.MAX_ROWS and "7 more rows not drawn" in svg


TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40) | st.sampled_from(
    [PAYLOAD, "\udc80", "\x00", "]]>", "&amp;", "\"'", "1e999", "nan"])
JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
                       lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
                       max_leaves=20)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSONISH)
def test_any_value_in_any_field_gives_a_safe_report(value: Any) -> None:
    assert_safe(hostile(value), [{"name": value, "started": value, "seconds": value}])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(TEXT, JSONISH, max_size=8))
def test_any_report_gives_a_safe_page(report: dict[str, Any]) -> None:
    assert_safe(report)


def test_a_start_time_beyond_the_calendar_is_shown_as_unknown() -> None:
    # found by the property test: localtime() raises OSError (EOVERFLOW) for such a time
    page = reports.html({"started": 67_768_036_191_676_796, "ended": -1e300})
    assert '<p class="muted">? to ?, as ? from ?</p>' in page
