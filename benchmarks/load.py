"""Load generation with wrk: one request, repeated for a bounded time, figures read back.

wrk prints a human summary; ``request.lua``'s ``done()`` adds one ``MOCKGATE-BENCH {json}`` line
with the exact counts and percentiles, which is what is parsed here (no scraping of "1.23ms").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "LoadResult",
    "Request",
    "WrkMissingError",
    "parse_wrk_output",
    "run_wrk",
    "send",
    "wrk_path",
]

SCRIPT = Path(__file__).with_name("request.lua")
MARKER = "MOCKGATE-BENCH "


class WrkMissingError(RuntimeError):
    """wrk is not installed."""


@dataclass(frozen=True)
class Request:
    """One HTTP request, as wrk sends it over and over."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None  # JSON text


def send(client: httpx.Client, request: Request) -> httpx.Response:
    """``request`` sent once, as wrk sends it (a body goes as ``application/json``)."""
    headers = dict(request.headers)
    if request.body is not None:
        headers["Content-Type"] = "application/json"
    return client.request(request.method, request.url, headers=headers, content=request.body)


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # connect/read/write errors, timeouts and non-2xx/3xx answers
    error_detail: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "rps": round(self.rps, 1)}


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissingError(
            "wrk is not installed: `sudo apt-get install wrk` (Debian/Ubuntu), "
            "`brew install wrk` (macOS), or build it from https://github.com/wg/wrk"
        )
    return found


def parse_wrk_output(stdout: str) -> LoadResult:
    """The figures of ``request.lua``'s summary line in wrk's output."""
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            break
    else:
        raise ValueError(f"no {MARKER.strip()} line in wrk's output:\n{stdout}")
    kinds = ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    errors = {kind: int(data[kind]) for kind in kinds if data[kind]}
    return LoadResult(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        max_ms=data["max_us"] / 1e3,
        errors=sum(errors.values()),
        error_detail=", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in errors.items()),
    )


def run_wrk(
    request: Request,
    *,
    seconds: float,
    connections: int,
    threads: int,
    timeout_s: float = 30.0,
) -> LoadResult:
    """Drive ``request`` with wrk for ``seconds`` and return the figures."""
    command = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout_s:g}s",
        "--latency",
        "-s",
        str(SCRIPT),
    ]
    for name, value in request.headers:
        command += ["-H", f"{name}: {value}"]
    command.append(request.url)
    env = {**os.environ, "BENCH_METHOD": request.method, "BENCH_BODY": request.body or ""}
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + timeout_s + 30
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk_output(done.stdout)
