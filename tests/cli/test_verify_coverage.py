"""``mockgate verify --min-coverage`` against a real server on a loopback port: thresholds met
pass, unmet ones fail the gate (exit 1) saying what is missing, in every report."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from mockgate.cli import cli
from mockgate.mockserver.handles import MockFactory


@pytest.fixture(scope="module")
def agentlens_url() -> Iterator[str]:
    factory = MockFactory()
    yield factory.start("agentlens", live=True, seed=1).base_url
    factory.close()


def verify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", "agentlens", *args])
    return result.exit_code, result.output


def quick(url: str) -> list[str]:
    """A small run of one check: every operation is still called."""
    return [
        "--base-url",
        url,
        "--api-key",
        "als_mockgate_dev_key",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        "1",
        "--seed",
        "1",
    ]


@pytest.mark.slow
def test_met_thresholds_pass(agentlens_url):
    code, out = verify(
        *quick(agentlens_url),
        "--min-coverage",
        "operations=100",
        "--min-coverage",
        "parameters=80",
        "--min-coverage",
        "statuses=30",
    )
    assert code == 0, out
    assert "coverage: operations 4/4 (100%) · statuses " in out
    assert "below --min-coverage" not in out
    assert "agentlens: conforms ·" in out


@pytest.mark.slow
def test_an_unmet_threshold_fails_the_gate_saying_what_is_missing_in_every_report(
    agentlens_url, tmp_path
):
    junit, html, report = tmp_path / "junit.xml", tmp_path / "report.html", tmp_path / "r.json"
    code, out = verify(
        *quick(agentlens_url),
        "--min-coverage",
        "operations=100",
        "--min-coverage",
        "statuses=100",
        "--junit-xml",
        str(junit),
        "--report",
        str(html),
        "--report-json",
        str(report),
    )
    assert code == 1, out
    assert "below --min-coverage: statuses" in out
    assert "missing: listSessions 414, listSessions 431, listSessions 500" in out
    assert "below --min-coverage: operations" not in out
    assert "agentlens: conforms, below the coverage thresholds" in out

    data = json.loads(report.read_text())
    assert data["ok"] is False
    assert data["coverage"]["mockgate_coverage"] == 1
    assert set(data["coverage"]["operations"]) == {
        "listSessions",
        "getSession",
        "getSessionTimeline",
        "ingestEvents",
    }
    (shortfall,) = data["coverage_summary"]["shortfalls"]
    assert shortfall["area"] == "statuses"
    assert shortfall["required_percent"] == 100
    assert "listSessions 500" in shortfall["missing"]

    (case,) = [c for c in ET.parse(junit).iter("testcase") if c.get("name") == "coverage"]
    assert case.find("failure") is not None

    page = html.read_text()
    assert '<section id="coverage">' in page
    assert "Below <code>--min-coverage statuses=100</code>" in page


@pytest.mark.parametrize(
    "threshold",
    ["endpoints=50", "statuses", "statuses=200"],
    ids=["unknown-area", "no-percent", "above-100"],
)
def test_a_wrong_threshold_is_a_usage_error(threshold):
    code, out = verify("--base-url", "http://127.0.0.1:9", "--min-coverage", threshold)
    assert code == 2, out
    assert "--min-coverage" in out


def test_a_threshold_never_hides_an_unreachable_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out = verify(
        "--base-url",
        f"http://127.0.0.1:{port}",
        "--api-key",
        "k",
        "--min-coverage",
        "operations=100",
    )
    assert code == 3, out
    assert "cannot reach" in out
