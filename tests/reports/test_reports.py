"""The console, JUnit and HTML renderings of a report."""

from __future__ import annotations

import io
from collections import Counter
from xml.etree import ElementTree as ET

from rich.console import Console

from mockgate.reports.console import print_report
from mockgate.reports.findings import Finding, Report
from mockgate.reports.html import render_html
from mockgate.reports.junit import write_junit


def make_report() -> Report:
    report = Report(api="agentlens", target="http://127.0.0.1:3400", elapsed=1.25)
    report.passed = Counter(
        {("listSessions", "response_schema_conformance"): 12, ("getSession", "page_size_bound"): 3}
    )
    report.add(
        Finding(
            "response_schema_conformance",
            "listSessions",
            "Response violates schema: 'tags' is a required property <script>",
            ("curl -X GET 'http://127.0.0.1:3400/api/sessions?limit=2'",),
        )
    )
    report.skipped.append("session_counters: sends writes (read-only mode)")
    return report


def test_findings_are_deduplicated():
    report = make_report()
    report.add(report.findings[0])
    assert len(report.findings) == 1
    assert report.verdict == "does not conform"


def test_console_shows_the_matrix_each_finding_and_the_verdict():
    out = io.StringIO()
    print_report(make_report(), Console(file=out, width=120, color_system=None))
    text = out.getvalue()
    assert "listSessions" in text
    assert "response_schema_conformance" in text
    assert "curl -X GET 'http://127.0.0.1:3400/api/sessions?limit=2'" in text
    assert "agentlens: does not conform · 1 finding(s), 15 passed assertions" in text
    assert "skipped: session_counters" in text


def test_junit_has_a_case_per_operation_and_check_and_fails_the_broken_one(tmp_path):
    path = tmp_path / "out" / "junit.xml"
    write_junit(make_report(), path)
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "1")
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    failed = cases[("agentlens.listSessions", "response_schema_conformance")]
    failure = failed.find("failure")
    assert failure is not None
    assert "curl -X GET" in (failure.text or "")
    assert cases[("agentlens.getSession", "page_size_bound")].find("failure") is None


def test_html_is_one_self_contained_escaped_page():
    page = render_html(make_report())
    assert page.startswith("<!doctype html>")
    assert "does not conform" in page
    assert "&lt;script&gt;" in page
    assert "<script>" not in page
    assert "http" not in page.split("<body>")[0].replace("http-equiv", "")  # no external assets
    assert "curl -X GET" in page
    assert 'class="fail"' in page
    assert 'class="pass"' in page


def test_a_clean_report_conforms():
    report = Report(api="fasting", target="x")
    assert (report.ok, report.verdict) == (True, "conforms")
    report.errors.append("cannot reach")
    assert (report.ok, report.verdict) == (False, "could not be judged")
