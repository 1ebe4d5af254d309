"""What ``mockgate serve`` and ``mockgate proxy`` print: the banner and nothing else at start-up,
timestamped access lines, ``--log-format json``; through click's runner and a real process."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from mockgate.cli import cli
from mockgate.mockserver.app import docs_paths
from tests.cli.test_serve import free_port

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d"
AUTH = {"Authorization": "Bearer als_mockgate_dev_key"}


@pytest.fixture
def serving_with(monkeypatch) -> Callable[..., Result]:
    """``serving_with(requests, *args)``: ``mockgate serve agentlens *args`` whose servers are not
    started; once the banner is out, ``requests(client)`` runs against the first mock, with the
    command's logging in place."""

    def invoke(requests: Callable[[TestClient], None], *args: str) -> Result:
        def fake_run(mocks: list[Any], *, on_ready: Any, **_: Any) -> None:
            on_ready()
            requests(TestClient(mocks[0].app, base_url="http://localhost"))

        monkeypatch.setattr("mockgate.mockserver.server.serve", fake_run)
        result = CliRunner().invoke(cli, ["serve", "agentlens", *args])
        assert result.exit_code == 0, result.output
        return result

    return invoke


def browse(client: TestClient) -> None:
    ui, spec = docs_paths("agentlens")
    assert client.get(f"{ui}/").status_code == 200  # the docs app is built on first use
    assert client.get(spec).status_code == 200
    assert client.get(f"{ui}/no-such-asset.js").status_code == 404
    assert client.get("/api/sessions", params={"limit": 1}, headers=AUTH).status_code == 200
    assert client.get("/api/x%0a2026-01-19T12:00:00.000+00:00 agentlens GET /y").status_code == 404


def test_start_up_and_the_docs_print_the_banner_and_access_lines_only(serving_with):
    result = serving_with(browse)
    assert result.stderr == ""
    banner, access = result.stdout.split("Ctrl-C stops.\n")
    assert banner.startswith("mockgate: 1 mock(s), seed 1, dataset demo, clock real\n")
    assert "Authorization: Bearer als_mockgate_dev_key" in banner
    lines = access.splitlines()
    assert len(lines) == 2  # the docs are not API requests
    assert re.fullmatch(rf"{STAMP} agentlens GET /api/sessions\?limit=1 200 \S+ req-\w+", lines[0])
    assert re.fullmatch(rf"{STAMP} agentlens GET /api/x%0a2026-\S+%20/y 404 \S+ req-\w+", lines[1])


def test_json_logs_are_one_object_per_line_from_the_banner_on(serving_with):
    result = serving_with(browse, "--log-format", "json", "--host", "0.0.0.0")
    [warning] = (json.loads(line) for line in result.stderr.splitlines())
    assert (warning["level"], warning["logger"]) == ("warning", "mockgate")
    assert "--host 0.0.0.0 exposes the mocks" in warning["message"]
    ready, listed, forged = (json.loads(line) for line in result.stdout.splitlines())
    assert ready["event"] == "ready"
    assert ready["admin_token"] is False
    [mock] = ready["mocks"]
    assert mock == {
        "api": "agentlens",
        "url": "http://0.0.0.0:3400",
        "docs": "http://0.0.0.0:3400/docs/",
        "admin": "http://0.0.0.0:3400/__mockgate/ui/",
        "credentials": ["Authorization: Bearer als_mockgate_dev_key"],
    }
    assert (listed["path"], listed["query"], listed["status"]) == ("/api/sessions", "limit=1", 200)
    assert forged["path"] == "/api/x%0a2026-01-19T12:00:00.000+00:00%20agentlens%20GET%20/y"


def test_no_access_log_leaves_start_up_and_requests_silent(serving_with):
    result = serving_with(browse, "--no-access-log")
    assert result.stderr == ""
    assert result.stdout.endswith("Ctrl-C stops.\n")


@pytest.mark.parametrize("command", ["serve", "proxy"], ids=["serve", "proxy"])
def test_help_names_the_log_options(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert "--log-format [text|json]" in result.output
    assert "--log-level" in result.output


def test_the_proxy_reports_ready_and_stopped_as_json(monkeypatch, tmp_path):
    def fake_run(mocks: list[Any], *, on_ready: Any, **_: Any) -> None:
        on_ready()

    monkeypatch.setattr("mockgate.mockserver.server.serve", fake_run)
    report = tmp_path / "report.json"
    args = ["proxy", "agentlens", "--upstream", "http://127.0.0.1:9", "--log-format", "json"]
    result = CliRunner().invoke(cli, [*args, "--report", str(report)])
    assert result.exit_code == 0, result.output
    ready, stopped = (json.loads(line) for line in result.stdout.splitlines())
    assert ready["event"] == "ready"
    assert (ready["url"], ready["upstream"]) == ("http://127.0.0.1:3400", "http://127.0.0.1:9")
    assert stopped["event"] == "stopped"
    assert (stopped["exchanges"], stopped["conforms"]) == (0, True)
    assert stopped["report"] == str(report)
    assert report.exists()


@pytest.mark.slow
def test_a_real_serve_prints_the_banner_then_timestamped_access_lines_only():
    """All four mocks, default logging: nothing but the banner at start-up, on the first docs
    request, on requests (one line each, whatever the path) and on Ctrl-C."""
    apis = ("agentlens", "fasting", "piorchestrator", "state-tracking")
    ports = {api: free_port() for api in apis}
    command = [sys.executable, "-m", "mockgate", "serve"]
    command += [arg for api, port in ports.items() for arg in ("--port", f"{api}={port}")]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        banner = []
        deadline = time.monotonic() + 60
        while not banner or banner[-1] != "Ctrl-C stops.\n":
            line = process.stdout.readline()
            assert line, f"serve exited early: {banner}"
            assert time.monotonic() < deadline, f"no banner: {banner}"
            banner.append(line)
        for api, port in ports.items():
            base = f"http://127.0.0.1:{port}"
            assert httpx.get(f"{base}/docs/").status_code == 200, api
        agentlens = f"http://127.0.0.1:{ports['agentlens']}"
        assert httpx.get(f"{agentlens}/api/sessions", headers=AUTH).status_code == 200
        forged = "/api/x%0d%0a2026-01-19T12:00:00.000+00:00%20agentlens%20GET%20/y%20200"
        assert httpx.get(f"{agentlens}{forged}").status_code == 404
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        access = process.stdout.read().splitlines()
        errors = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            stream.close()
    assert errors == ""
    assert banner[0] == "mockgate: 4 mock(s), seed 1, dataset demo, clock real\n"
    assert len(access) == 2
    assert re.fullmatch(rf"{STAMP} agentlens GET /api/sessions 200 \S+ req-\w+", access[0])
    assert re.fullmatch(rf"{STAMP} agentlens GET {re.escape(forged)} 404 \S+ req-\w+", access[1])
