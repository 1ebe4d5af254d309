"""Contract findings and advisories, one finding per cause with its count, and the seed, in the
report and each of its renderings."""

from __future__ import annotations

import io
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from rich.console import Console

from mockgate.reports.console import print_report
from mockgate.reports.findings import Finding, Report, normalised
from mockgate.reports.html import render_html
from mockgate.reports.jsonreport import write_json
from mockgate.reports.junit import write_junit

CURL = "curl -X TRACE 'http://127.0.0.1:3400/api/sessions'"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            "data[3] ('cm1abc') ended (2026-01-02T10:00:00.000Z) before it started",
            "data[7] ('cm9xyz') ended (2026-02-11T08:30:00Z) before it started",
            id="index-id-instant",
        ),
        pytest.param(
            "eventCount is 48, but the timeline holds 47 events",
            "eventCount is 3, but the timeline holds 2 events",
            id="counts",
        ),
        pytest.param(
            "session 550e8400-e29b-41d4-a716-446655440000 is listed twice",
            "session 6ba7b810-9dad-11d1-80b4-00c04fd430c8 is listed twice",
            id="uuid",
        ),
    ],
)
def test_what_varies_between_cases_is_not_the_cause(first: str, second: str) -> None:
    assert normalised(first) == normalised(second)


def test_the_statuses_a_message_names_are_part_of_its_cause() -> None:
    assert normalised("Received: 414") != normalised("Received: 500")


def _advisory(message: str = "Unsupported method TRACE returned 404, expected 405") -> Finding:
    return Finding("unsupported_method", "listSessions", message, (CURL,), kind="advisory")


def _contract(message: str = "Server error: 500") -> Finding:
    return Finding("not_a_server_error", "getSession", message, (CURL,))


def test_one_finding_per_cause_counting_the_cases() -> None:
    report = Report(api="agentlens", target="t")
    report.add(_contract("eventCount is 5, but the timeline holds 4 events"))
    report.add(_contract("eventCount is 9, but the timeline holds 8 events"))
    report.add(_contract("Server error: 503"))
    assert [(f.message, f.count) for f in report.findings] == [
        ("eventCount is 5, but the timeline holds 4 events", 2),
        ("Server error: 503", 1),
    ]
    assert report.matrix()["getSession"]["not_a_server_error"] == (0, 3)


def test_a_producer_may_name_the_cause_itself() -> None:
    report = Report(api="agentlens", target="t")
    report.add(Finding("response_schema_conformance", "getSession", "value one", cause="tags"))
    report.add(Finding("response_schema_conformance", "getSession", "value two", cause="tags"))
    report.add(Finding("response_schema_conformance", "getSession", "value one", cause="id"))
    assert [f.count for f in report.findings] == [2, 1]


def test_the_same_cause_as_advisory_and_contract_stays_two_findings() -> None:
    report = Report(api="agentlens", target="t")
    report.add(_contract())
    report.add(Finding("not_a_server_error", "getSession", "Server error: 500", kind="advisory"))
    assert [f.kind for f in report.findings] == ["contract", "advisory"]


def test_advisories_fail_a_run_only_in_strict_mode() -> None:
    report = Report(api="agentlens", target="t")
    report.add(_advisory())
    assert (report.ok, report.verdict, report.failures) == (True, "conforms", [])
    assert report.matrix() == {}
    report.strict = True
    assert (report.ok, report.verdict) == (False, "does not conform")
    assert report.matrix() == {"listSessions": {"unsupported_method": (0, 1)}}


def _report(*, strict: bool = False) -> Report:
    report = Report(api="agentlens", target="http://127.0.0.1:3400", seed=1234, strict=strict)
    report.passed[("getSession", "not_a_server_error")] += 4
    report.add(_contract())
    report.add(_advisory())
    report.add(_advisory())
    return report


def test_the_console_shows_advisories_apart_and_the_seed() -> None:
    out = io.StringIO()
    print_report(_report(), Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert "1. not_a_server_error · getSession" in text
    assert "2. advisory · unsupported_method · listSessions (2 cases)" in text
    assert "1 finding(s), 1 advisory(ies)" in text
    assert "seed 1234" in text


def test_junit_names_the_seed_and_fails_advisories_only_in_strict_mode(tmp_path: Path) -> None:
    for strict, failures in ((False, {"contract"}), (True, {"contract", "advisory"})):
        path = tmp_path / f"{strict}.xml"
        write_junit(_report(strict=strict), path)
        suite = ET.parse(path).getroot().find("testsuite")
        assert suite is not None
        properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert properties["seed"] == "1234"
        assert {f.get("type") for f in suite.iter("failure")} == failures
        advisory_cases = [c for c in suite.iter("testcase") if "(advisory)" in c.get("name", "")]
        assert len(advisory_cases) == (0 if strict else 1)


def test_html_names_the_seed_and_lists_advisories_apart() -> None:
    page = render_html(_report())
    assert "--seed 1234" in page
    findings, advisories = page.split("<h2>Findings</h2>")[1].split("<h2>Advisories</h2>")
    assert "not_a_server_error" in findings
    assert "unsupported_method" not in findings
    assert "unsupported_method" in advisories
    assert "(2 cases)" in advisories


def test_json_carries_the_seed_and_each_findings_kind_and_count(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_json(_report(), path)
    data = json.loads(path.read_text())
    assert (data["seed"], data["strict"], data["ok"]) == (1234, False, False)
    assert [(f["kind"], f["count"]) for f in data["findings"]] == [
        ("contract", 1),
        ("advisory", 2),
    ]
    assert (data["summary"]["contract_findings"], data["summary"]["advisories"]) == (1, 1)
