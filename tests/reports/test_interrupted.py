"""An interrupted run in every rendering: marked incomplete, never a pass."""

from __future__ import annotations

import io
import json
from collections import Counter
from xml.etree import ElementTree as ET

import pytest
from rich.console import Console

from mockgate.reports.console import print_report
from mockgate.reports.findings import Finding, Report
from mockgate.reports.html import render_html
from mockgate.reports.jsonreport import write_json
from mockgate.reports.junit import write_junit

WHY = "SIGTERM during fuzzing: GET /api/sessions"


def interrupted(*, finding: bool = False) -> Report:
    report = Report(api="agentlens", target="http://127.0.0.1:3400", interrupted=WHY)
    report.passed = Counter({("listSessions", "not_a_server_error"): 4})
    if finding:
        report.add(Finding("not_a_server_error", "listSessions", "500 for limit=0"))
    return report


@pytest.mark.parametrize("finding", [False, True], ids=["nothing-found", "a-finding"])
def test_an_interrupted_report_is_never_a_pass(finding):
    report = interrupted(finding=finding)
    assert report.incomplete
    assert not report.ok
    assert report.verdict == "interrupted"


def test_a_complete_report_is_not_incomplete():
    report = Report(api="agentlens", target="x")
    assert not report.incomplete
    assert report.verdict == "conforms"


def test_the_console_says_interrupted_and_shows_what_was_checked():
    out = io.StringIO()
    print_report(interrupted(), Console(file=out, width=200))
    text = out.getvalue()
    assert f"{WHY}: the run is incomplete" in text
    assert "listSessions" in text
    assert "agentlens: interrupted" in text
    assert "conforms" not in text


def test_junit_carries_an_error_and_an_incomplete_property(tmp_path):
    path = tmp_path / "junit.xml"
    write_junit(interrupted(), path)
    suite = ET.parse(path).getroot().find("testsuite")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["incomplete"] == "true"
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("2", "1", "0")
    [case] = [c for c in suite.iter("testcase") if c.get("name") == "interrupted"]
    error = case.find("error")
    assert error.get("message") == f"interrupted ({WHY}): the run is incomplete"


def test_junit_of_a_complete_run_says_complete(tmp_path):
    path = tmp_path / "junit.xml"
    write_junit(Report(api="agentlens", target="x"), path)
    suite = ET.parse(path).getroot().find("testsuite")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["incomplete"] == "false"
    assert suite.get("errors") == "0"


def test_html_has_a_banner_and_the_verdict():
    page = render_html(interrupted())
    assert f"Interrupted ({WHY}): the run is incomplete" in page
    assert "<title>mockgate · agentlens · interrupted</title>" in page


def test_json_says_interrupted(tmp_path):
    path = tmp_path / "report.json"
    write_json(interrupted(), path)
    data = json.loads(path.read_text())
    assert (data["verdict"], data["ok"], data["interrupted"]) == ("interrupted", False, WHY)
