"""The console, JUnit, HTML and JSON renderings of a report."""

from __future__ import annotations

import io
import json
from collections import Counter
from xml.etree import ElementTree as ET

from rich.console import Console

from mockgate.reports.console import print_report
from mockgate.reports.evidence import response_evidence
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding, Report
from mockgate.reports.html import render_html
from mockgate.reports.jsonreport import write_json
from mockgate.reports.junit import write_junit
from mockgate.reports.secrets import Secrets


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
    assert "agentlens: does not conform · 1 finding(s)" in text
    assert "15 passed assertions" in text
    assert "skipped: session_counters" in text


def test_junit_has_a_case_per_operation_and_check_and_fails_the_broken_one(tmp_path):
    path = tmp_path / "out" / "junit.xml"
    write_junit(make_report(), path)
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    # 2 judged cases, 2 not applicable (each check judged one operation only), 1 skipped probe
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "3")
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    failed = cases[("agentlens.listSessions", "response_schema_conformance")]
    failure = failed.find("failure")
    assert failure is not None
    assert "curl -X GET" in (failure.text or "")
    assert cases[("agentlens.getSession", "page_size_bound")].find("failure") is None
    not_applicable = cases[("agentlens.listSessions", "page_size_bound")].find("skipped")
    assert not_applicable is not None
    assert not_applicable.get("message", "").startswith("not applicable")


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


def _failed_exchange(body: bytes = b'{"error": "boom"}') -> Exchange:
    return Exchange(
        operation_id="listSessions",
        method="GET",
        path="/api/sessions",
        url="http://127.0.0.1:3400/api/sessions?limit=2",
        status=429,
        response_headers={
            "content-type": "application/json",
            "retry-after": "7",
            "x-ratelimit-remaining": "0",
            "set-cookie": "session=other",
            "etag": "abc",
        },
        content=body,
        headers={"Authorization": "Bearer als_mockgate_dev_key"},
    )


def test_a_finding_shows_the_status_the_headers_that_matter_and_the_body() -> None:
    evidence = response_evidence(_failed_exchange())
    assert evidence.splitlines() == [
        "HTTP 429",
        "Content-Type: application/json",
        "Retry-After: 7",
        "X-RateLimit-Remaining: 0",
        "",
        '{"error": "boom"}',
    ]
    long = response_evidence(_failed_exchange(b"x" * 10_000))
    assert long.endswith("… (10000 bytes in all)")
    assert len(long) < 2000


def test_the_console_prints_each_reproduction_whole_outside_its_panel() -> None:
    report = Report(api="agentlens", target="t", secrets=Secrets.of(("als_mockgate_dev_key",)))
    report.add(Finding.from_exchanges("not_a_server_error", "[bold]boom[/x]", _failed_exchange()))
    out = io.StringIO()
    print_report(report, Console(file=out, width=60, color_system=None))
    lines = out.getvalue().splitlines()
    curl = next(line for line in lines if line.startswith("curl "))
    assert curl.endswith("'http://127.0.0.1:3400/api/sessions?limit=2'")  # not wrapped
    assert '"Authorization: Bearer $MOCKGATE_API_KEY"' in curl
    assert "Reproduce (set MOCKGATE_API_KEY to the first --api-key):" in lines
    assert any("[bold]boom[/x]" in line for line in lines)  # shown, not read as markup
    assert any("HTTP 429" in line for line in lines)
    assert "als_mockgate_dev_key" not in out.getvalue()


def test_the_html_says_not_applicable_where_a_check_judged_nothing() -> None:
    page = render_html(make_report())
    assert 'class="none" title="not applicable: page_size_bound judged nothing here">n/a' in page


def test_the_json_report_has_every_cell_finding_and_variable(tmp_path) -> None:
    report = make_report()
    report.secrets = Secrets.of(("als_mockgate_dev_key",))
    report.spend("listSessions", "response_schema_conformance", 0.5)
    report.add(Finding.from_exchanges("page_size_bound", "too many", _failed_exchange()))
    write_json(report, tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert (data["format"], data["verdict"], data["ok"]) == (
        "mockgate-report/1",
        "does not conform",
        False,
    )
    assert data["operations"]["listSessions"]["response_schema_conformance"] == {
        "status": "failed",
        "passed": 12,
        "failed": 1,
        "seconds": 0.5,
    }
    assert data["operations"]["getSession"]["response_schema_conformance"] == {
        "status": "not applicable"
    }
    assert data["summary"]["passed"] == 15
    assert data["credentials"] == [
        {"variable": "MOCKGATE_API_KEY", "source": "the first --api-key"}
    ]
    finding = data["findings"][-1]
    assert finding["requires"] == ["MOCKGATE_API_KEY"]
    assert finding["response"]["status"] == 429
    assert finding["response"]["headers"]["Retry-After"] == "7"
    assert "$MOCKGATE_API_KEY" in finding["reproduction"][0]
    assert "als_mockgate_dev_key" not in (tmp_path / "r.json").read_text("utf-8")
