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
    code, out = run("agentlens", "--base-url", f"http://127.0.0.1:{port}")
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
            "unknown check(s) made_up",
            id="unknown-check",
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


def test_list_checks_names_builtin_and_semantic_checks():
    code, out = run("agentlens", "--base-url", "http://x", "--list-checks")
    assert code == 0
    assert "response_schema_conformance" in out
    assert "page_size_bound" in out
