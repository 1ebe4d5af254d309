"""``benchmarks/limits.py``: its helpers, and one small run against a real ``mockgate serve``."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.limits import readable, status_of

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        pytest.param(b"HTTP/1.1 431 Request Header Fields Too Large\r\n", "431", id="answer"),
        pytest.param(b"", "closed", id="closed"),
        pytest.param(b"\x16\x03\x01", "garbage", id="not-http"),
    ],
)
def test_status_of_an_answer(answer, status):
    assert status_of(answer) == status


def test_readable_sockets_are_those_with_an_answer_or_a_close():
    answered, server = socket.socketpair()
    silent, other = socket.socketpair()
    with answered, server, silent, other:
        server.sendall(b"HTTP/1.1 503 Service Unavailable\r\n")
        assert readable([answered, silent]) == [answered]


@pytest.mark.slow
def test_a_small_flood_is_refused_and_reported():
    command = [sys.executable, str(REPO / "benchmarks" / "limits.py"), "--section", "flood"]
    command += ["--heads", "6", "--size-kib", "256", "--clients", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "6 heads of 256 KiB: 6 x 431" in done.stdout, done.stdout
