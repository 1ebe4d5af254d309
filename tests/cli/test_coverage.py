"""``mockgate coverage report|check`` through the CLI entry point, and ``serve --coverage-out``
(the file written when the servers stop)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from mockgate.cli import cli
from mockgate.openapi.catalog import get_api
from mockgate.reports.coverage import ConsumerViolation, Coverage, dump_file

AGENTLENS = {"Authorization": "Bearer als_mockgate_dev_key"}


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def write(path: Path, *coverages: Coverage) -> str:
    path.write_text(json.dumps(dump_file(coverages)), encoding="utf-8")
    return str(path)


def used(operation_id: str, violation: bool = False) -> Coverage:
    coverage = Coverage.for_spec(get_api("agentlens"))
    usage = coverage.operations[operation_id]
    coverage.record(operation_id=operation_id, method=usage.method, path=usage.path, status=200)
    if violation:
        coverage.add_violation(
            ConsumerViolation("GET", "/api/nope", None, 404, "No operation at GET /api/nope", {})
        )
    return coverage


def test_report_merges_files_into_console_html_and_json(tmp_path):
    one = write(tmp_path / "job1.json", used("listSessions"))
    two = write(tmp_path / "job2.json", used("getSession"))
    html, summary = tmp_path / "cov.html", tmp_path / "cov-summary.json"
    code, out = invoke("coverage", "report", one, two, "--html", str(html), "--json", str(summary))
    assert code == 0, out
    assert "Operations called" in out
    assert "2/4" in out
    assert "getSessionTimeline" in out  # never called: listed as missing
    (api,) = json.loads(summary.read_text())["apis"]
    assert (api["operations"]["covered"], api["operations"]["total"]) == (2, 4)
    sections: list[str] = []

    class Sections(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "section":
                sections.append(dict(attrs).get("id") or "")

    Sections().feed(html.read_text())
    assert sections == ["coverage-agentlens"]


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        pytest.param(("--fail-on-violations",), 1, "GET /api/nope → 404", id="violations-fail"),
        pytest.param((), 0, "1 consumer violation(s) (not failing)", id="violations-listed"),
        pytest.param(("--min-operations", "50"), 1, "below 50%", id="too-few-operations"),
        pytest.param(("--min-operations", "25"), 0, "coverage check passed", id="enough"),
    ],
)
def test_check_is_the_consumer_gate(tmp_path, args, code, said):
    path = write(tmp_path / "cov.json", used("listSessions", violation=True))
    exit_code, out = invoke("coverage", "check", path, *args)
    assert (exit_code, said in out) == (code, True), out


def test_check_passes_without_violations(tmp_path):
    path = write(tmp_path / "cov.json", used("listSessions"))
    assert invoke("coverage", "check", path, "--fail-on-violations") == (
        0,
        "coverage check passed\n",
    )


def test_a_file_that_is_not_coverage_is_refused(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}')
    code, out = invoke("coverage", "report", str(path))
    assert code == 1
    assert "not a mockgate coverage file" in out


def test_serve_writes_the_coverage_file_when_it_stops(tmp_path, monkeypatch):
    out_file = tmp_path / "cov.json"

    def fake_run(mocks: list[Any], *, on_ready: Any, **_: Any) -> None:
        # The servers' traffic, then the stop (Ctrl-C / SIGTERM end serve() the same way).
        on_ready()
        (mock,) = mocks
        client = TestClient(mock.app, base_url="http://localhost")
        assert client.get("/api/sessions", headers=AGENTLENS).status_code == 200
        assert client.get("/api/sessions").status_code == 401

    monkeypatch.setattr("mockgate.mockserver.server.serve", fake_run)
    code, out = invoke("serve", "agentlens", "--coverage-out", str(out_file), "--no-access-log")
    assert code == 0, out
    assert f"coverage written to {out_file}" in out
    data = json.loads(out_file.read_text())
    (api,) = data["apis"]
    assert api["operations"]["listSessions"]["statuses"] == {"200": 1, "401": 1}
    assert [v["reason"] for v in api["violations"]] == ["Missing or invalid credentials"]
    code, out = invoke("coverage", "check", str(out_file), "--fail-on-violations")
    assert code == 1
    assert "GET /api/sessions → 401: Missing or invalid credentials" in out
