"""Whatever a server answers or a fuzzer sends, every rendering stays readable by its reader:
JUnit XML parses, JSON parses, the HTML page is written, the console prints."""

from __future__ import annotations

import io
import json
from pathlib import Path
from tempfile import TemporaryDirectory
from xml.etree import ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from mockgate.reports.console import print_report
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding, Report
from mockgate.reports.html import write_html
from mockgate.reports.jsonreport import write_json
from mockgate.reports.junit import write_junit
from mockgate.reports.secrets import Secrets
from mockgate.reports.text import printable

# Any code point at all: control characters (0x1C, 0x1A), lone surrogates, U+FFFE.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)


@st.composite
def exchanges(draw: st.DrawFn) -> Exchange:
    return Exchange(
        operation_id=draw(ANY_TEXT),
        method=draw(st.sampled_from(["GET", "POST", "DELETE"])),
        path="/x/{id}",
        url="http://server.test/x/" + draw(ANY_TEXT),
        status=draw(st.integers(100, 599)),
        response_headers={
            "content-type": draw(st.sampled_from(["application/json", "text/html", "", "a/b"])),
            "location": draw(ANY_TEXT),
            "x-ratelimit-remaining": draw(ANY_TEXT),
        },
        content=draw(st.binary(max_size=60)),
        headers={"X-Fuzzed": draw(ANY_TEXT)},
        request_content=draw(st.none() | st.binary(max_size=30)),
    )


@st.composite
def reports(draw: st.DrawFn) -> Report:
    report = Report(
        api="agentlens",
        target=draw(ANY_TEXT),
        elapsed=draw(st.floats(0, 100)),
        secrets=Secrets.of(("als_secret_key_in_the_run",)),
    )
    for _ in range(draw(st.integers(1, 3))):
        seen = tuple(draw(st.lists(exchanges(), max_size=2)))
        operation = draw(ANY_TEXT)
        check = draw(st.sampled_from(["not_a_server_error", "page_walk"]))
        report.passed[(operation, check)] += draw(st.integers(0, 3))
        report.passed[(draw(ANY_TEXT), check)] += 1
        report.spend(operation, check, draw(st.floats(0, 10)))
        steps = tuple(draw(st.lists(ANY_TEXT, max_size=2)))
        report.add(Finding(check, operation, draw(ANY_TEXT), steps, seen))
    report.errors += draw(st.lists(ANY_TEXT, max_size=2))
    report.skipped += draw(st.lists(ANY_TEXT, max_size=2))
    return report


@settings(max_examples=150, deadline=None)
@given(report=reports())
def test_junit_parses_whatever_the_findings_hold(report: Report) -> None:
    with TemporaryDirectory() as folder:
        path = Path(folder) / "junit.xml"
        write_junit(report, path)
        suite = ET.parse(path).getroot().find("testsuite")  # expat: a strict XML 1.0 parser
    assert suite is not None
    failed = [case for case in suite.iter("testcase") if case.find("failure") is not None]
    assert len(failed) == int(suite.get("failures", "-1"))
    texts = "\n".join(f.text or "" for case in failed for f in case.iter("failure"))
    for finding in report.findings:
        if (finding.operation, finding.check) in {
            (op, check) for op, row in report.matrix().items() for check in row
        }:
            assert printable(finding.message).strip() in texts


@settings(max_examples=75, deadline=None)
@given(report=reports())
def test_json_html_and_console_take_whatever_the_findings_hold(report: Report) -> None:
    with TemporaryDirectory() as folder:
        write_json(report, Path(folder) / "report.json")
        data = json.loads((Path(folder) / "report.json").read_text("utf-8"))
        write_html(report, Path(folder) / "report.html")
        page = (Path(folder) / "report.html").read_text("utf-8")
    assert len(data["findings"]) == len(report.findings)
    assert page.startswith("<!doctype html>")
    out = io.StringIO()
    print_report(report, Console(file=out, width=100, color_system=None))
    assert "\x1b" not in out.getvalue()  # nothing a server sent drives the terminal
