"""``mockgate serve``: options through click's runner, and a real process on loopback ports."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from click.testing import CliRunner

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
        pytest.param(("--dataset", "missing.json"), "not one of demo, docs", id="bad-dataset"),
    ],
)
def test_bad_options_are_refused_clearly(args, message):
    code, out = run(*args)
    assert code != 0
    assert message in out


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
