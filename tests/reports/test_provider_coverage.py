"""A verify run's coverage: the thresholds and how each rendering shows it (pure: the coverage is
fed by hand)."""

from __future__ import annotations

import io
import json
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import pytest
from rich.console import Console

from mockgate.openapi.catalog import get_api
from mockgate.reports.console import print_report
from mockgate.reports.coverage import Coverage, Ratio
from mockgate.reports.findings import Report
from mockgate.reports.html import render_html
from mockgate.reports.jsonreport import report_json
from mockgate.reports.junit import write_junit
from mockgate.reports.provider_coverage import RunCoverage, Threshold

AGENTLENS = get_api("agentlens")


def listed_sessions(*statuses: int) -> Coverage:
    """agentlens' coverage after ``GET /api/sessions`` answered each of ``statuses``."""
    coverage = Coverage.for_spec(AGENTLENS)
    for status in statuses:
        coverage.record(
            operation_id="listSessions",
            method="GET",
            path="/api/sessions",
            status=status,
            query={"limit": ["5"]},
            response_body={"sessions": [{"id": "s1"}], "hasMore": False},
        )
    return coverage


def report_with(coverage: Coverage, *thresholds: str) -> Report:
    report = Report(api="agentlens", target="http://127.0.0.1:3400")
    report.coverage = RunCoverage.judge(
        coverage, AGENTLENS, [Threshold.parse(t) for t in thresholds]
    )
    return report


@pytest.mark.parametrize(
    ("text", "threshold"),
    [
        ("operations=100", Threshold("operations", 100)),
        ("statuses=60", Threshold("statuses", 60)),
        (" parameters = 80% ", Threshold("parameters", 80)),
        ("enum-values=12.5", Threshold("enum_values", 12.5)),
    ],
    ids=["operations", "statuses", "percent-sign-and-spaces", "dashed-area-and-fraction"],
)
def test_a_threshold_is_area_equals_percent(text, threshold):
    assert Threshold.parse(text) == threshold


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("endpoints=50", "AREA one of operations, statuses, parameters"),
        ("statuses", "expected AREA=PERCENT"),
        ("statuses=lots", "'lots' is not a percentage"),
        ("statuses=120", "between 0 and 100"),
    ],
    ids=["unknown-area", "no-percent", "not-a-number", "above-100"],
)
def test_a_wrong_threshold_says_what_is_expected(text, said):
    with pytest.raises(ValueError, match=said):
        Threshold.parse(text)


def test_a_threshold_is_met_at_exactly_its_percent_and_by_nothing_to_cover():
    sixty = Threshold("statuses", 60)
    assert sixty.met_by(Ratio(3, 5))
    assert not sixty.met_by(Ratio(2, 5))
    assert sixty.met_by(Ratio(0, 0))


def test_unmet_thresholds_fail_the_run_and_name_what_is_missing():
    report = report_with(listed_sessions(200, 401), "operations=100", "statuses=9")
    (shortfall,) = report.coverage_shortfalls  # two statuses of 22 is above 9 %
    assert shortfall.threshold == Threshold("operations", 100)
    assert shortfall.ratio.missing == ("getSession", "getSessionTimeline", "ingestEvents")
    assert shortfall.describe() == (
        "operations 25% (1/4), below 100%; missing: getSession, getSessionTimeline, ingestEvents"
    )
    assert (report.ok, report.verdict) == (False, "conforms, below the coverage thresholds")


def test_met_thresholds_leave_a_conforming_run_passing():
    report = report_with(listed_sessions(200, 401), "operations=25", "statuses=5")
    assert report.coverage_shortfalls == ()
    assert (report.ok, report.verdict) == (True, "conforms")


def test_examples_and_links_are_counted_against_the_spec():
    coverage = listed_sessions(200)
    coverage.operations["listSessions"].links["200:getSession"] += 1
    coverage.operations["ingestEvents"].examples["session-with-tool-call"] += 1
    run = RunCoverage.judge(coverage, AGENTLENS)
    assert (run.examples.covered, run.examples.total) == (1, 1)
    assert run.links.covered == 1
    assert "listSessions 200:getSession" not in run.links.missing
    assert "getSession 200:getSessionTimeline" in run.links.missing


def test_the_console_summarises_coverage_and_says_what_a_threshold_misses():
    out = io.StringIO()
    print_report(
        report_with(listed_sessions(200, 401), "operations=100"),
        Console(file=out, width=400, color_system=None),
    )
    text = out.getvalue()
    assert "coverage: operations 1/4 (25%) · statuses 2/22 (9%) · parameters 1/9 (11%)" in text
    assert "never called: getSession, getSessionTimeline, ingestEvents" in text
    assert "statuses never seen: listSessions 400, listSessions 414" in text
    assert "below --min-coverage: operations 25% (1/4), below 100%; missing: getSession" in text
    assert "agentlens: conforms, below the coverage thresholds" in text


def test_the_json_report_holds_the_coverage_file_and_its_summary():
    data = report_json(report_with(listed_sessions(200, 401), "statuses=50"))
    assert Coverage.from_json(data["coverage"]).operations["listSessions"].statuses == {
        "200": 1,
        "401": 1,
    }
    summary = data["coverage_summary"]
    assert summary["operations"] == {
        "covered": 1,
        "total": 4,
        "ratio": 0.25,
        "missing": ["getSession", "getSessionTimeline", "ingestEvents"],
    }
    assert summary["thresholds"] == {"statuses": 50}
    assert [s["area"] for s in summary["shortfalls"]] == ["statuses"]
    assert data["ok"] is False
    json.dumps(data)


def test_junit_has_a_coverage_case_failed_by_an_unmet_threshold(tmp_path):
    path = tmp_path / "junit.xml"
    write_junit(report_with(listed_sessions(200), "operations=100", "statuses=1"), path)
    suite = ET.parse(path).getroot().find("testsuite")
    (case,) = [c for c in suite.iter("testcase") if c.get("name") == "coverage"]
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("type") == "coverage"
    assert "operations 25% (1/4), below 100%" in failure.text
    assert "statuses" not in failure.text  # met: 1 of 22 is above 1 %
    assert suite.get("failures") == "1"


def test_junit_has_a_passed_coverage_case_when_thresholds_are_met_and_none_without(tmp_path):
    met, without = tmp_path / "met.xml", tmp_path / "without.xml"
    write_junit(report_with(listed_sessions(200), "operations=25"), met)
    write_junit(report_with(listed_sessions(200)), without)
    (case,) = [c for c in ET.parse(met).iter("testcase") if c.get("name") == "coverage"]
    assert list(case) == []
    assert not [c for c in ET.parse(without).iter("testcase") if c.get("name") == "coverage"]


class _Sections(HTMLParser):
    """The coverage section's cards (area -> text) and its banners."""

    def __init__(self) -> None:
        super().__init__()
        self.in_section = False
        self.cards: dict[str, str] = {}
        self.banners: list[str] = []
        self.rows = 0
        self._card: str | None = None
        self._banner = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and found.get("id") == "coverage":
            self.in_section = True
        elif self.in_section and found.get("data-area"):
            self._card = found["data-area"]
            self.cards[self._card or ""] = ""
        elif self.in_section and "shortfall" in (found.get("class") or ""):
            self._banner = True
            self.banners.append("")
        elif self.in_section and tag == "tr":
            self.rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.in_section = False
        if tag == "div":
            self._card, self._banner = None, False

    def handle_data(self, data: str) -> None:
        if self._card is not None:
            self.cards[self._card] += data
        if self._banner:
            self.banners[-1] += data


def test_the_html_report_has_a_coverage_section():
    page = _Sections()
    page.feed(render_html(report_with(listed_sessions(200, 401), "operations=100")))
    assert list(page.cards) == [
        "operations",
        "statuses",
        "parameters",
        "enum values",
        "body properties",
        "response properties",
        "examples",
        "links",
    ]
    assert page.cards["operations"] == "25%operations 1/4"
    assert page.rows == 1 + 4  # a heading, one row per operation
    (banner,) = page.banners
    assert "operations=100" in banner
    assert "missing: getSession, getSessionTimeline, ingestEvents" in banner
