"""A port another process holds: ``serve`` and ``proxy`` say so in one line and exit 2."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from mockgate.cli import cli


@pytest.fixture
def taken() -> Iterator[int]:
    """A loopback port another socket listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_names_the_port_the_api_and_the_fix(taken):
    result = CliRunner().invoke(cli, ["serve", "fasting", "--port", f"fasting={taken}"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"mockgate: port {taken} (fasting) is already in use on 127.0.0.1: stop what holds it, "
        "or choose another port with --port fasting=N\n"
    )
    assert "Ctrl-C" not in result.stdout  # nothing started


def test_one_taken_port_starts_none_of_the_mocks(taken):
    args = ["serve", "fasting", "agentlens", "--port", f"fasting={free_port()}"]
    result = CliRunner().invoke(cli, [*args, "--port", f"agentlens={taken}"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert f"port {taken} (agentlens)" in result.stderr
    assert "--port agentlens=N" in result.stderr
    assert "Ctrl-C" not in result.stdout


def test_proxy_names_its_own_port_option(taken):
    args = ["proxy", "agentlens", "--upstream", "http://127.0.0.1:9", "--port", str(taken)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr == (
        f"mockgate: port {taken} (agentlens) is already in use on 127.0.0.1: stop what holds "
        "it, or choose another port with --port N\n"
    )


@pytest.mark.slow
def test_the_process_prints_one_line_and_exits_2(taken):
    """As a user sees it: no traceback, no server's log lines."""
    process = subprocess.run(
        [sys.executable, "-m", "mockgate", "serve", "fasting", "--port", f"fasting={taken}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert process.stderr.splitlines() == [
        f"mockgate: port {taken} (fasting) is already in use on 127.0.0.1: stop what holds it, "
        "or choose another port with --port fasting=N"
    ]
