"""Memory of ``mockgate proxy`` under large responses: N clients fetch M MiB at once through it.

Starts an upstream in this process (a raw asyncio server answering ``GET /api/sessions`` with
M MiB of JSON-typed bytes, with a ``Content-Length`` or chunked), ``mockgate proxy agentlens``
in front of it as a subprocess, and N concurrent clients that read every byte through the
proxy. Prints the proxy's resident memory before the load and its peak (``VmHWM``, Linux), the
wall time, and whether every client got every byte. The responses are far over the proxy's
validation cap, so what is measured is the streaming, not openapi-core.

    python benchmarks/proxy_stream.py                      # 16 clients x 30 MiB, both framings
    python benchmarks/proxy_stream.py --clients 4 --mib 8 --framing chunked
    python benchmarks/proxy_stream.py --source /tmp/old    # another checkout's proxy (before/after)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CHUNK = 64 * 1024
AUTH = {"Authorization": "Bearer als_mockgate_dev_key"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Upstream:
    """An HTTP/1.1 server on a loopback port, in a thread: every request gets ``size`` bytes."""

    def __init__(self, size: int, chunked: bool) -> None:
        self.size, self.chunked = size, chunked
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Upstream:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with await asyncio.start_server(self._answer, "127.0.0.1", self.port):
            self._ready.set()
            await self._stop.wait()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    return
                framing = (
                    b"Transfer-Encoding: chunked"
                    if self.chunked
                    else b"Content-Length: %d" % self.size
                )
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + framing + b"\r\n\r\n"
                )
                block = b"x" * CHUNK
                for start in range(0, self.size, CHUNK):
                    piece = block[: min(CHUNK, self.size - start)]
                    writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if self.chunked else piece)
                    await writer.drain()
                if self.chunked:
                    writer.write(b"0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)


def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the proxy did not start listening on port {port}")


def memory_kb(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


async def fetch_all(url: str, clients: int) -> list[int]:
    async def one(client: httpx.AsyncClient) -> int:
        received = 0
        async with client.stream("GET", url, headers=AUTH) as response:
            async for chunk in response.aiter_raw():
                received += len(chunk)
        return received

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits, trust_env=False) as client:
        return list(await asyncio.gather(*(one(client) for _ in range(clients))))


def measure(source: Path, clients: int, mib: int, chunked: bool) -> dict[str, object]:
    size = mib * 1024 * 1024
    port = free_port()
    with Upstream(size, chunked) as upstream:
        command = [sys.executable, "-m", "mockgate", "proxy", "agentlens"]
        command += ["--upstream", f"http://127.0.0.1:{upstream.port}", "--port", str(port)]
        command += ["--log-level", "warning", "--timeout", "120"]
        env = {**os.environ, "PYTHONPATH": str(source)}
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(command, cwd=source, env=env, stdout=log, stderr=log)
            try:
                wait_listening(port, process)
                idle = memory_kb(process.pid, "VmRSS")
                started = time.monotonic()
                url = f"http://127.0.0.1:{port}/api/sessions"
                received = asyncio.run(fetch_all(url, clients))
                elapsed = time.monotonic() - started
                peak = memory_kb(process.pid, "VmHWM")
            finally:
                process.terminate()
                process.wait(15)
    return {
        "framing": "chunked" if chunked else "content-length",
        "idle_mib": idle / 1024,
        "peak_mib": peak / 1024,
        "seconds": elapsed,
        "complete": all(n == size for n in received),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--mib", type=int, default=30, help="size of each response, in MiB")
    parser.add_argument("--framing", choices=["content-length", "chunked", "both"], default="both")
    parser.add_argument(
        "--source", type=Path, default=REPO, help="the checkout whose mockgate runs the proxy"
    )
    args = parser.parse_args()
    framings = ["content-length", "chunked"] if args.framing == "both" else [args.framing]
    print(f"{args.clients} clients x {args.mib} MiB through mockgate proxy ({args.source})")
    for framing in framings:
        r = measure(args.source, args.clients, args.mib, framing == "chunked")
        print(
            f"{r['framing']:>14}: RSS {r['idle_mib']:.0f} MiB idle, peak {r['peak_mib']:.0f} MiB; "
            f"{r['seconds']:.1f} s; every byte received: {r['complete']}"
        )


if __name__ == "__main__":
    main()
