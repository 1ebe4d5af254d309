"""``mockgate serve`` as a separate process on free loopback ports: the load test's server, so
client and server do not share one interpreter (and its GIL), as in real use."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(apis: tuple[str, ...], *options: str, log: Path) -> Iterator[dict[str, str]]:
    """Serve ``apis`` with ``options``; yields each API's base URL once every one answers."""
    ports = {api: free_port() for api in apis}
    command = [sys.executable, "-m", "mockgate", "serve", *apis, *options]
    command += [arg for api, port in ports.items() for arg in ("--port", f"{api}={port}")]
    urls = {api: f"http://127.0.0.1:{port}" for api, port in ports.items()}
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(process, urls, log)
        yield urls
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(process: subprocess.Popen[bytes], urls: dict[str, str], log: Path) -> None:
    deadline = time.monotonic() + 60
    waiting = dict(urls)
    while waiting:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"mockgate serve did not start:\n{log.read_text()}")
        for api, url in list(waiting.items()):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/__mockgate/health", timeout=1).status_code == 200:
                    del waiting[api]
        time.sleep(0.05)
