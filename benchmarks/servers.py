"""The servers under test as real subprocesses on free loopback ports.

Each server runs in its own session (process group), its output goes to a log file in the run's
temporary directory, and it is stopped by its own process group id. Readiness is the first 2xx
answer to a real request, timed from the spawn; memory is the resident set (``VmRSS`` from
``/proc``) of the process and its descendants (Prism's ``-m`` forks its HTTP server).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.load import Request, send

__all__ = [
    "LOOPBACK",
    "REPO",
    "PrismUnavailableError",
    "ServerProcess",
    "baseline_command",
    "ensure_prism",
    "free_port",
    "mockgate_command",
    "prism_command",
]

LOOPBACK = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]
PRISM_PACKAGE = "@stoplight/prism-cli@5"


class PrismUnavailableError(RuntimeError):
    """Prism cannot be run here (no node/npm, or the install failed)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def mockgate_command(ports: dict[str, int]) -> list[str]:
    """``mockgate serve`` of ``ports``' APIs as benchmarked: self-validation on, no access log,
    a frozen clock (the same bytes on every request) and no rate limits (they would answer 429).
    """
    command = [sys.executable, "-m", "mockgate", "serve", *ports]
    for api, port in ports.items():
        command += ["--port", f"{api}={port}"]
    return [
        *command,
        "--validate-responses",
        "--no-access-log",
        "--log-level",
        "warning",
        "--clock",
        "frozen",
        "--rate-limit",
        "off",
    ]


def baseline_command(routes_file: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "benchmarks.baseline_app", str(routes_file), "--port", str(port)]


def prism_command(prism: Path, spec: Path, port: int) -> list[str]:
    """Prism's static mock (the default mode; ``-m`` forks the HTTP server from the CLI so
    logging does not slow it, as in the issue's reference figures)."""
    return [str(prism), "mock", "-m", "-h", LOOPBACK, "-p", str(port), "-v", "error", str(spec)]


def ensure_prism(cache_dir: Path) -> Path:
    """Prism's executable, installed from npm into ``cache_dir`` on first use."""
    executable = cache_dir / "node_modules" / ".bin" / "prism"
    if executable.exists():
        return executable
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise PrismUnavailableError("node/npm not found: install Node.js 18+ to compare with Prism")
    cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(cache_dir), PRISM_PACKAGE],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        raise PrismUnavailableError(f"`npm install {PRISM_PACKAGE}` took over 10 min") from None
    if done.returncode != 0 or not executable.exists():
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise PrismUnavailableError(f"`npm install {PRISM_PACKAGE}` failed:\n{tail}")
    return executable


@dataclass
class ServerProcess:
    """A server started for the benchmark."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    spawned_at: float
    ready_s: dict[str, float] = field(default_factory=dict)  # probe name -> first 2xx

    @classmethod
    def spawn(cls, name: str, command: Sequence[str], log: Path) -> ServerProcess:
        with log.open("wb") as out:
            spawned_at = time.monotonic()
            process = subprocess.Popen(
                command,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, stopped as one
            )
        return cls(name, process, log, spawned_at)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_ready(
        self,
        probes: dict[str, Callable[[], Request | None]],
        *,
        timeout_s: float = 60.0,
    ) -> dict[str, float]:
        """Poll every probe until each has answered 2xx; seconds from spawn to each first 2xx.

        A probe returns ``None`` while it cannot be sent yet (e.g. its credential is printed
        at start-up and has not appeared yet).
        """
        pending = dict(probes)
        deadline = self.spawned_at + timeout_s
        with httpx.Client(timeout=5.0) as client:
            while pending:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited ({self.process.returncode}):\n{self.tail()}"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{self.name}: no 2xx from {', '.join(pending)} within {timeout_s:g} s:\n"
                        f"{self.tail()}"
                    )
                for name, probe in list(pending.items()):
                    request = probe()
                    if request is not None and _succeeds(client, request):
                        self.ready_s[name] = time.monotonic() - self.spawned_at
                        del pending[name]
                time.sleep(0.005)
        return dict(self.ready_s)

    def rss_mb(self) -> float:
        """Resident memory of the process and its descendants, in MiB."""
        return sum(_vm_rss_kb(pid) for pid in _tree(self.process.pid)) / 1024

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def _succeeds(client: httpx.Client, request: Request) -> bool:
    try:
        response = send(client, request)
    except httpx.TransportError:
        return False
    return response.is_success


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from ``/proc/*/task/*/children``)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                queue += [int(child) for child in children.read_text().split()]
    return found


def _vm_rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0
