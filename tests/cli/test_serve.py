"""``mockgate serve``: options through click's runner, and a real process on loopback ports."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from mockgate.cli import cli


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["serve", *args])
    return result.exit_code, result.output


def test_help_explains_every_option():
    code, out = run("--help")
    assert code == 0
    for option in (
        "--port API=PORT",
        "--host",
        "--seed",
        "--dataset",
        "--clock",
        "--start",
        "--api-key",
        "--state-file",
        "--no-cors",
        "--cors-origin",
        "--allowed-host NAME",
        "--admin-token TOKEN",
        "--log-level",
        "--access-log",
    ):
        assert option in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("nope",), "bundled APIs are agentlens, fasting", id="unknown-api"),
        pytest.param(("--port", "agentlens=x"), "a port is 1-65535", id="bad-port"),
        pytest.param(("--port", "3400"), "expected API=VALUE", id="port-without-api"),
        pytest.param(("--clock", "fast"), "expected real, frozen or speed=N", id="bad-clock"),
        pytest.param(
            ("agentlens", "--dataset", "missing.json"), "not one of demo, docs", id="bad-dataset"
        ),
        pytest.param(("--cors-origin", "localhost:5173"), "is not an origin", id="bad-cors-origin"),
        pytest.param(
            ("--allowed-host", "http://myapp.test:8080"), "is not a host name", id="bad-host"
        ),
        pytest.param(("--admin-token", "two words"), "printable ASCII", id="bad-admin-token"),
    ],
)
def test_bad_options_are_refused_clearly(args, message):
    code, out = run(*args)
    assert code != 0
    assert message in out


@pytest.fixture
def served(monkeypatch) -> list[Any]:
    """The mocks ``serve`` would start; they are not started (no sockets), the banner printed."""
    mocks: list[Any] = []

    def fake_run(given: list[Any], *, on_ready: Any, **_: Any) -> None:
        mocks.extend(given)
        on_ready()

    monkeypatch.setattr("mockgate.mockserver.server.serve", fake_run)
    return mocks


def serve_output(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["serve", "agentlens", *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize(
    ("host", "warned"),
    [
        pytest.param("0.0.0.0", True, id="every-interface"),
        pytest.param("192.168.1.20", True, id="lan-address"),
        pytest.param("127.0.0.1", False, id="loopback"),
        pytest.param("localhost", False, id="localhost"),
    ],
)
def test_listening_beyond_loopback_warns_on_stderr(served, host, warned):
    result = serve_output("--host", host)
    assert ("warning" in result.stderr) == warned
    if warned:
        assert result.stderr.count("\n") == 1
        assert f"--host {host} exposes the mocks and their admin API" in result.stderr
        assert "--admin-token TOKEN" in result.stderr
        assert "--allowed-host NAME" in result.stderr
    assert "Ctrl-C stops." in result.stdout


def test_a_name_given_to_host_is_served_and_others_are_not(served):
    serve_output("--host", "devbox.lan", "--allowed-host", ".example.test")
    client = TestClient(served[0].app)
    auth = {"Authorization": "Bearer als_mockgate_dev_key"}
    for host, status in [
        ("devbox.lan:3400", 200),
        ("api.example.test", 200),
        ("localhost", 200),
        ("evil.example", 403),
    ]:
        response = client.get("/api/sessions", headers=auth | {"Host": host})
        assert response.status_code == status, host


def test_an_admin_token_is_required_and_announced(served):
    result = serve_output("--admin-token", "s3cret")
    assert "Admin API: send X-Mockgate-Token" in result.stdout
    assert "s3cret" not in result.output
    client = TestClient(served[0].app, base_url="http://localhost")
    assert client.get("/__mockgate/health").status_code == 401
    headers = {"X-Mockgate-Token": "s3cret"}
    assert client.get("/__mockgate/health", headers=headers).status_code == 200


def test_with_a_token_the_warning_asks_only_for_hosts(served):
    result = serve_output("--host", "0.0.0.0", "--admin-token", "s3cret")
    assert "--allowed-host NAME" in result.stderr
    assert "--admin-token" not in result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_runs_several_mocks_in_one_process_and_stops_on_ctrl_c():
    ports = {"agentlens": free_port(), "fasting": free_port()}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockgate",
            "serve",
            "agentlens",
            "fasting",
            "--port",
            f"agentlens={ports['agentlens']}",
            "--port",
            f"fasting={ports['fasting']}",
            "--clock",
            "frozen",
            "--api-key",
            "agentlens=als_test_key",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line, f"serve exited early: {''.join(banner)}"
            banner.append(line)
            if "Ctrl-C stops." in line:
                break
        text = "".join(banner)
        assert f"http://127.0.0.1:{ports['agentlens']}" in text
        assert "Authorization: Bearer als_test_key" in text
        assert "authjs.session-token=" in text

        base = f"http://127.0.0.1:{ports['agentlens']}"
        listed = httpx.get(f"{base}/api/sessions", headers={"Authorization": "Bearer als_test_key"})
        assert listed.status_code == 200
        assert listed.json()["total"] == 40
        refused = httpx.get(f"http://127.0.0.1:{ports['fasting']}/api/sessions")
        assert (refused.status_code, refused.json()) == (401, {"error": "Unauthorized"})
        assert httpx.get(f"{base}/__mockgate/health").json()["status"] == "ok"

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        rest = process.stdout.read()
        assert "GET /api/sessions 200" in text + rest  # the access log line
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
