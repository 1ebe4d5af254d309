"""``mockgate proxy``: options through click's runner, and a real process in front of a real
(non-conformant) upstream on loopback ports."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from xml.etree import ElementTree as ET

import httpx
import pytest
from click.testing import CliRunner

from mockgate.cli import cli
from mockgate.mockserver.handles import ThreadedServer
from tests.proxy.upstreams import AGENTLENS_AUTH, broken_upstream
from tests.reliability import wire


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["proxy", *args])
    return result.exit_code, result.output


def test_help_says_what_is_forwarded_and_what_is_judged():
    code, out = run("--help")
    assert code == 0
    text = " ".join(out.split())
    for phrase in (
        "--upstream URL",
        "--strict",
        "--report FILE",
        "--port",
        "is recorded as the client's violation and still forwarded",
        "GET /__mockgate/violations",
        "byte-identical",
    ):
        assert phrase in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("agentlens",), "Missing option '--upstream'", id="no-upstream"),
        pytest.param(("nope", "--upstream", "http://x"), "'nope' is not one of", id="unknown-api"),
        pytest.param(
            ("agentlens", "--upstream", "localhost:3400"), "an http(s) URL", id="no-scheme"
        ),
        pytest.param(
            ("agentlens", "--upstream", "http://x", "--report", "r.txt"),
            "must be one of .json, .xml, .html",
            id="report-extension",
        ),
        pytest.param(
            ("agentlens", "--upstream", "http://127.0.0.1:3400"),
            "forward to itself",
            id="proxy-to-itself",
        ),
        pytest.param(
            ("agentlens", "--upstream", "http://x", "--timeout", "0"), "x>0", id="timeout"
        ),
    ],
)
def test_bad_options_are_refused_clearly(args, message):
    code, out = run(*args)
    assert code == 2
    assert message in " ".join(out.split())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def upstream():
    server = ThreadedServer(broken_upstream())
    yield server.start()
    server.stop()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop", "report"),
    [
        pytest.param(signal.SIGINT, "report.xml", id="sigint-junit"),
        pytest.param(signal.SIGTERM, "report.json", id="sigterm-json"),
    ],
)
def test_the_proxy_reports_a_non_conformant_upstream(upstream, tmp_path, stop, report):
    port = free_port()
    report_path = tmp_path / report
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockgate",
            "proxy",
            "agentlens",
            "--upstream",
            upstream,
            "--port",
            str(port),
            "--report",
            str(report_path),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        assert banner.strip() == (
            f"mockgate proxy: agentlens on {base} -> {upstream} (recording violations); "
            f"violations at {base}/__mockgate/violations; Ctrl-C stops"
        )
        response = httpx.get(f"{base}/api/sessions", headers=AGENTLENS_AUTH)
        assert (response.status_code, response.json()["sessions"][0]["id"]) == (200, 7)
        (violation,) = httpx.get(f"{base}/__mockgate/violations").json()["violations"]
        assert violation["response"] == ["body at sessions/0/id: 7 is not of type 'string'"]
        # What the HTTP parser refuses never reaches the upstream, and is answered in the API's
        # error shape too.
        folded = b"GET /api/sessions HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded: 2"
        refused = wire.request(port, folded)
        assert (refused.status, refused.header("content-type")) == (400, "application/json")
        assert json.loads(refused.body)["status"] == 400
        assert "not valid HTTP/1.1" in json.loads(refused.body)["error"]

        process.send_signal(stop)
        assert process.wait(timeout=15) == 0
        rest = process.stdout.read()
        assert "agentlens violation 1: GET /api/sessions -> 200 [listSessions]" in rest
        assert (
            "mockgate proxy: 1 exchange(s); the upstream does not conform (1 violation(s)); "
            "client requests outside the contract: 0"
        ) in rest
        assert f"report: {report_path}" in rest
        if report.endswith(".json"):
            assert json.loads(report_path.read_text("utf-8"))["violations"][0]["id"] == 1
        else:
            suite = ET.parse(report_path).getroot().find("testsuite")
            assert suite.get("failures") == "1"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
