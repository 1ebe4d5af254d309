"""The report written when the proxy stops: JSON, JUnit XML or HTML, by extension."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from mockgate.proxy.report import report_format, write_report
from mockgate.proxy.violations import Exchange, ViolationStore

UPSTREAM = "http://staging.example:3400"


@pytest.fixture
def store() -> ViolationStore:
    store = ViolationStore()
    store.record(
        "listSessions",
        Exchange(
            "GET",
            "/api/sessions",
            "limit=5",
            {"host": "proxy", "authorization": "[redacted]"},
            None,
            200,
            {"content-type": "application/json"},
            '{"sessions":[{"id":7}]}',
        ),
        response=["body at sessions/0/id: 7 is not of type 'string'"],
    )
    store.record("getSession", Exchange("GET", "/api/sessions/s1", "", {}, None, 200, {}, None))
    return store


def write(store, path):
    write_report(store, path, api="agentlens", upstream=UPSTREAM, strict=False, elapsed=1.5)


def test_the_json_report_has_the_verdict_counts_and_violations(store, tmp_path):
    path = tmp_path / "out" / "proxy.json"
    write(store, path)
    report = json.loads(path.read_text("utf-8"))
    assert report["verdict"] == "does not conform"
    failed = report["operations"]["listSessions"]["response_conforms"]
    assert (failed["status"], failed["passed"], failed["failed"]) == ("failed", 0, 1)
    passed = report["operations"]["getSession"]["response_conforms"]
    assert (passed["status"], passed["passed"], passed["failed"]) == ("passed", 1, 0)
    assert report["exchanges"] == 2
    (finding,) = report["findings"]
    assert finding["response"]["status"] == 200
    assert finding["requires"] == ["MOCKGATE_AUTHORIZATION"]
    (violation,) = report["violations"]
    assert violation["exchange"]["query"] == "limit=5"


def test_the_junit_report_fails_the_operation_and_check_with_a_reproduction(store, tmp_path):
    path = tmp_path / "proxy.xml"
    write(store, path)
    suite = ET.parse(path).getroot().find("testsuite")
    # One test case per operation: the upstream's responses (the requests were all in the contract).
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    (failed,) = [case for case in suite.iter("testcase") if case.find("failure") is not None]
    assert (failed.get("classname"), failed.get("name")) == (
        "agentlens.listSessions",
        "response_conforms",
    )
    text = failed.find("failure").text
    assert "GET /api/sessions?limit=5 -> 200" in text
    assert "body at sessions/0/id: 7 is not of type 'string'" in text
    # A curl to the upstream itself, the redacted credential read from a variable.
    assert "set MOCKGATE_AUTHORIZATION to the authorization header the client sent" in text
    assert (
        'curl -sS -i -g -X GET -H "authorization: $MOCKGATE_AUTHORIZATION" '
        f"'{UPSTREAM}/api/sessions?limit=5'" in text
    )


def test_the_html_report_is_one_page_with_the_verdict(store, tmp_path):
    path = tmp_path / "proxy.html"
    write(store, path)
    page = path.read_text("utf-8")
    assert "does not conform" in page
    assert "7 is not of type" in page


def test_an_unknown_extension_is_refused():
    with pytest.raises(ValueError, match=r"must be one of \.json, \.xml, \.html"):
        report_format(Path("report.txt"))


@pytest.fixture
def client_only() -> ViolationStore:
    """An upstream that answered every request as the spec says, one of them a client's
    malformed request (refused with a 400)."""
    store = ViolationStore()
    malformed = Exchange("GET", "/api/sessions", "limit=abc", {}, None, 400, {}, None)
    problem = "query parameter limit: Failed to cast value to integer type: abc"
    store.record("listSessions", malformed, request=[problem])
    store.record("getSession", Exchange("GET", "/api/sessions/s1", "", {}, None, 200, {}, None))
    return store


@pytest.mark.parametrize("name", ["proxy.json", "proxy.xml", "proxy.html"], ids=str)
def test_a_clients_request_outside_the_contract_is_reported_apart(client_only, tmp_path, name):
    path = tmp_path / name
    write(client_only, path)
    text = path.read_text("utf-8")
    assert "client request outside the contract · listSessions: query parameter limit" in text
    if name.endswith(".json"):
        report = json.loads(text)
        assert (report["verdict"], report["findings"]) == ("conforms", [])
        assert (report["upstream_violations"], report["client_requests_outside_contract"]) == (0, 1)
    elif name.endswith(".xml"):
        suite = ET.parse(path).getroot().find("testsuite")
        assert (suite.get("failures"), suite.get("skipped")) == ("0", "2")  # the 2 lines apart
    else:
        assert "does not conform" not in text
