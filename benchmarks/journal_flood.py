"""Memory of ``mockgate serve`` under a flood of refused request heads, and what its journal keeps.

Starts ``mockgate serve agentlens`` as a subprocess and sends it N requests, one connection
each, whose head carries a header of M KiB spread over a few lines (no credential needed: a
head this large is refused, 431). Prints the server's resident memory before and after the flood
and its peak (``VmRSS``/``VmHWM``, Linux), what each request got (a status, or the connection
closed), and the journal's entries and their JSON size as ``GET /__mockgate/requests`` lists
them. Before the journal was bounded, every refused head was kept whole.

    python benchmarks/journal_flood.py                       # 300 heads of 1 MiB
    python benchmarks/journal_flood.py --requests 1000 --kib 512
    python benchmarks/journal_flood.py --source /tmp/old     # another checkout (before/after)
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
LINE = 8 * 1024  # bytes of one header line of the flood


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def memory_mib(pid: int) -> tuple[float, float]:
    """The process' resident memory now and at its peak, in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    now = re.search(r"VmRSS:\s+(\d+) kB", status)
    peak = re.search(r"VmHWM:\s+(\d+) kB", status)
    return (int(now.group(1)) / 1024 if now else 0.0), (int(peak.group(1)) / 1024 if peak else 0.0)


def refused_head(port: int, kib: int) -> str:
    """One request with a head of ``kib`` KiB; what came back: a status, or how it ended."""
    lines = [f"X-Big-{n}: " + "h" * LINE for n in range(max(1, kib * 1024 // LINE))]
    head = "\r\n".join(
        ["GET /api/sessions HTTP/1.1", f"Host: 127.0.0.1:{port}", *lines, "Connection: close"]
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        with contextlib.suppress(OSError):  # refused while sending: the answer is read below
            sock.sendall((head + "\r\n\r\n").encode())
        try:
            answer = sock.recv(64)
        except OSError as exc:
            return type(exc).__name__
    status = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    return status.group(1).decode() if status else "closed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/journal_flood.py")
    parser.add_argument("--requests", type=int, default=300, help="refused heads sent (300)")
    parser.add_argument("--kib", type=int, default=1024, help="KiB of headers in each (1024)")
    parser.add_argument("--source", type=Path, default=REPO, help="checkout whose mockgate runs")
    args = parser.parse_args(argv)

    port = free_port()
    command = [
        sys.executable,
        "-m",
        "mockgate",
        "serve",
        "agentlens",
        "--port",
        f"agentlens={port}",
        "--no-access-log",
        "--log-level",
        "warning",
        "--clock",
        "frozen",
    ]
    env = {**os.environ, "PYTHONPATH": str(args.source)}
    server = subprocess.Popen(
        command, cwd=args.source, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=5) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/__mockgate/requests")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        print("the server did not start", file=sys.stderr)
                        return 1
                    time.sleep(0.2)
            before, _ = memory_mib(server.pid)
            started = time.monotonic()
            answers = collections.Counter(
                refused_head(port, args.kib) for _ in range(args.requests)
            )
            seconds = time.monotonic() - started
            after, peak = memory_mib(server.pid)
            listed = client.get("/__mockgate/requests")
            entries = listed.json()["requests"] if listed.status_code == 200 else []
        print(f"source: {args.source}")
        print(f"flood: {args.requests} heads of {args.kib} KiB in {seconds:.1f} s")
        print("answers: " + ", ".join(f"{k} x{n}" for k, n in sorted(answers.items())))
        print(f"RSS: {before:.0f} MiB before, {after:.0f} MiB after, peak {peak:.0f} MiB")
        print(
            f"journal: {len(entries)} entries, "
            f"{len(listed.content) / 1024 / 1024:.2f} MiB as GET /__mockgate/requests lists them"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
