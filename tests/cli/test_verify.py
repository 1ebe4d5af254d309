"""``mockgate verify`` against real servers on loopback ports."""

from __future__ import annotations

import socket
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from mockgate.cli import cli
from mockgate.mockserver.handles import MockFactory


@pytest.fixture(scope="module")
def agentlens_url():
    factory = MockFactory()
    yield factory.start("agentlens", live=True, seed=1).base_url
    factory.close()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", *args])
    return result.exit_code, result.output


@pytest.mark.slow
def test_the_mock_conforms_exit_0_with_junit_and_html(agentlens_url, tmp_path):
    junit, html = tmp_path / "junit.xml", tmp_path / "report.html"
    code, out = run(
        "agentlens",
        "--base-url",
        agentlens_url,
        "--api-key",
        "als_mockgate_dev_key",
        "--max-examples",
        "3",
        "--seed",
        "1",
        "--junit-xml",
        str(junit),
        "--report",
        str(html),
    )
    assert code == 0, out
    assert "agentlens: conforms" in out
    assert ET.parse(junit).getroot().find("testsuite").get("failures") == "0"
    assert "conforms" in html.read_text()


def test_a_refused_credential_is_a_clear_error_not_a_pass(agentlens_url):
    code, out = run("agentlens", "--base-url", agentlens_url, "--api-key", "wrong")
    assert code == 3
    assert "the credential was refused" in out
    assert "could not be judged" in out


def test_an_unreachable_server_is_exit_3_with_a_message():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out = run("agentlens", "--base-url", f"http://127.0.0.1:{port}", "--api-key", "k")
    assert code == 3
    assert f"cannot reach http://127.0.0.1:{port}" in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("nope", "--base-url", "http://x"), "'nope' is not one of 'agentlens'", id="api"
        ),
        pytest.param(("agentlens",), "Missing option '--base-url'", id="no-url"),
        pytest.param(
            ("agentlens", "--base-url", "http://x", "--checks", "made_up"),
            "unknown check(s) made_up;",
            id="unknown-check",
        ),
        pytest.param(
            ("agentlens", "--base-url", "http://x", "--checks", "page_size_bond"),
            "unknown check(s) page_size_bond (did you mean page_size_bound?)",
            id="misspelt-check",
        ),
        pytest.param(
            ("agentlens", "--base-url", "http://x", "--exclude-checks", "hash_chian"),
            "Invalid value for --exclude-checks: unknown check(s) hash_chian (did you mean "
            "hash_chain?)",
            id="misspelt-excluded-check",
        ),
        pytest.param(
            ("agentlens", "--base-url", "localhost:3400", "--api-key", "k"),
            "'localhost:3400' has no scheme: did you mean http://localhost:3400 ?",
            id="url-without-scheme",
        ),
        pytest.param(
            ("agentlens", "--base-url", "ftp://x", "--api-key", "k"),
            "expected an http:// or https:// URL",
            id="url-not-http",
        ),
        pytest.param(
            ("agentlens", "--base-url", "http://x"),
            "agentlens needs a credential (Authorization: Bearer KEY) on every operation but "
            "its public ones: pass it with --api-key KEY",
            id="no-credential",
        ),
        pytest.param(
            ("state-tracking", "--base-url", "http://x"),
            "(Authorization: Bearer KEY or the X-API-Key header)",
            id="no-credential-two-schemes",
        ),
        pytest.param(
            ("fasting", "--base-url", "http://x"),
            "(the authjs.session-token cookie or Authorization: Bearer KEY)",
            id="no-credential-cookie",
        ),
        pytest.param(
            ("agentlens", "--base-url", "http://x", "--header", "NoColon"),
            "expected 'Name: value'",
            id="bad-header",
        ),
    ],
)
def test_usage_errors_are_exit_2(args, message):
    code, out = run(*args)
    assert code == 2
    assert message in out


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("--base-url", "http://x"), id="with-url"),
        pytest.param((), id="without-url"),
    ],
)
def test_list_checks_names_builtin_and_semantic_checks(args):
    code, out = run("agentlens", *args, "--list-checks")
    assert code == 0, out
    assert "response_schema_conformance" in out
    assert "page_size_bound" in out


def test_an_api_without_security_needs_no_credential():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out = run("piorchestrator", "--base-url", f"http://127.0.0.1:{port}")
    assert code == 3, out  # past the usage checks, to the unreachable server
    assert "needs a credential" not in out


def test_help_leads_with_what_writes_and_read_only_and_gives_the_exit_codes():
    code, out = run("--help")
    assert code == 0
    assert "--read-only" in "\n".join(out.splitlines()[:8])
    assert "agentlens       POST /api/events" in out
    assert "state-tracking  POST /sessions, PUT /sessions/{id}" in out
    assert "fasting         none" in out
    for line in ("0    conforms", "1    findings", "2    usage error", "130", "143"):
        assert line in out


def test_without_a_terminal_progress_is_one_plain_line_per_step(agentlens_url):
    code, out = run(
        "agentlens",
        "--base-url",
        agentlens_url,
        "--api-key",
        "als_mockgate_dev_key",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        "1",
        "--seed",
        "1",
    )
    assert code == 0, out
    assert "\x1b[" not in out  # no colours, no cursor movement
    lines = out.splitlines()
    assert lines[0] == f"verifying agentlens at {agentlens_url}"
    steps = [line.strip() for line in lines if line.startswith("  ")]
    assert "fuzzing: GET /api/sessions" in steps
    assert "fuzzing: GET /api/sessions/{id}/timeline" in steps
    assert len(steps) == len(set(steps))  # a repeated step (stateful sequences) is said once


def test_an_interrupted_run_exits_130_and_marks_its_reports_incomplete(
    agentlens_url, tmp_path, monkeypatch
):
    from mockgate.contracts import runner

    def interrupted_run(api, report, *, progress, **kwargs):
        progress("fuzzing: GET /api/sessions")
        report.passed[("listSessions", "not_a_server_error")] += 3
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_conformance", interrupted_run)
    junit, html = tmp_path / "junit.xml", tmp_path / "report.html"
    code, out = run(
        "agentlens",
        "--base-url",
        agentlens_url,
        "--api-key",
        "als_mockgate_dev_key",
        "--junit-xml",
        str(junit),
        "--report",
        str(html),
    )
    assert code == 130, out
    assert "agentlens: interrupted" in out
    assert "during fuzzing: GET /api/sessions" in out
    assert "listSessions" in out  # what was checked until then
    assert "probe:" not in out  # nothing ran after the interruption
    suite = ET.parse(junit).getroot().find("testsuite")
    assert {p.get("name"): p.get("value") for p in suite.iter("property")}["incomplete"] == "true"
    assert suite.get("errors") == "1"
    assert "interrupted" in html.read_text()
