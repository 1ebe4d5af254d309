"""What hostile connections cost ``mockgate serve``: its limits on heads, slow clients and open
connections (``mockgate/mockserver/connections.py``), measured from outside.

Starts ``mockgate serve`` (all four APIs, so their connection caps share the process's
descriptors) as a subprocess on free loopback ports, aims at the agentlens port, and prints:

- flood: the server's resident memory (``VmRSS``; peak ``VmHWM``) before and after N requests
  whose heads are refused: heads just over the 431 limit (read whole, refused by the app and
  journaled), then heads of several MiB (refused while they arrive);
- big head: one 64 MiB header: the server's CPU seconds and memory, and when the answer came;
- connections: how many silent connections the server holds before it answers new ones 503;
- slow: seconds until a silent connection is closed, a partial head answered 408, a stalled
  body answered 408 (each waited for at most ``--wait`` seconds).

    python benchmarks/limits.py                               # every section (~40 s)
    python benchmarks/limits.py --section flood --heads 200
    python benchmarks/limits.py --source /tmp/old --wait 60   # another checkout (before/after)

Linux only (``/proc``). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
APIS = ("agentlens", "fasting", "piorchestrator", "state-tracking")
SECTIONS = ("flood", "big-head", "connections", "slow")
MIB = 1024 * 1024
AUTH = b"Authorization: Bearer als_mockgate_dev_key"
HEAD = b"GET /api/sessions?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH + b"\r\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """``mockgate serve`` of every API, from ``source`` (a checkout), in its own process."""

    process: subprocess.Popen[bytes]
    ports: dict[str, int]

    @classmethod
    @contextlib.contextmanager
    def running(cls, source: Path, log: Path) -> Iterator[Server]:
        ports = {api: free_port() for api in APIS}
        # The checkout's own package, whatever the current directory puts first on sys.path.
        start = f"import sys; sys.path.insert(0, {str(source)!r}); from mockgate.cli import main"
        command = [sys.executable, "-c", start + "; main()", "serve", *APIS]
        for api, port in ports.items():
            command += ["--port", f"{api}={port}"]
        command += ["--no-access-log", "--log-level", "error", "--clock", "frozen"]
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=source, stdout=out, stderr=subprocess.STDOUT)
        server = cls(process, ports)
        try:
            server.wait_ready(log)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def wait_ready(self, log: Path) -> None:
        deadline = time.monotonic() + 60
        for port in self.ports.values():
            while True:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mockgate serve did not start:\n{log.read_text()}")
                with contextlib.suppress(httpx.TransportError):
                    url = f"http://127.0.0.1:{port}/__mockgate/health"
                    if httpx.get(url, timeout=1).status_code == 200:
                        break
                time.sleep(0.05)

    @property
    def port(self) -> int:
        return self.ports["agentlens"]

    def memory_mib(self) -> tuple[float, float]:
        """(resident, peak resident) memory in MiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        rss, peak = (re.search(rf"^{k}:\s+(\d+) kB", status, re.M) for k in ("VmRSS", "VmHWM"))
        assert rss is not None
        assert peak is not None
        return int(rss.group(1)) / 1024, int(peak.group(1)) / 1024

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def readable(socks: list[socket.socket]) -> list[socket.socket]:
    """Those of ``socks`` with something to read (an answer, or the server's close), now."""
    poll = select.poll()
    for sock in socks:
        poll.register(sock, select.POLLIN)
    ready = {fd for fd, _ in poll.poll(0)}
    return [sock for sock in socks if sock.fileno() in ready]


def status_of(answer: bytes) -> str:
    """The status code of an HTTP answer, or what came instead."""
    if answer.startswith(b"HTTP/1.1 "):
        return answer[9:12].decode()
    return "closed" if not answer else "garbage"


def send_head(port: int, header_bytes: int) -> str:
    """A request whose one header has ``header_bytes`` bytes, sent until the server answers;
    the status it answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(HEAD + b"X-Big: ")
            left, piece = header_bytes, b"a" * min(header_bytes, 64 * 1024)
            while left > 0 and not readable([sock]):
                sock.sendall(piece[:left])
                left -= len(piece)
            if left <= 0:
                sock.sendall(b"\r\n\r\n")
        try:
            return status_of(sock.recv(64))
        except (ConnectionResetError, TimeoutError):
            return "reset"


def flood(server: Server, heads: int, sizes: list[int], clients: int) -> None:
    rss, _ = server.memory_mib()
    print(f"flood: RSS {rss:.0f} MiB before ({clients} clients at once)")
    for size in sizes:
        started = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            statuses = Counter(pool.map(send_head, [server.port] * heads, [size] * heads))
        took = time.monotonic() - started
        rss, peak = server.memory_mib()
        answers = ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items()))
        print(
            f"  {heads} heads of {_size(size)}: {answers} in {took:.1f} s; "
            f"RSS {rss:.0f} MiB after (peak {peak:.0f} MiB)"
        )


def big_head(server: Server) -> None:
    (rss, _), cpu = server.memory_mib(), server.cpu_seconds()
    started = time.monotonic()
    status = send_head(server.port, 64 * MIB)
    took = time.monotonic() - started
    (after, peak), used = server.memory_mib(), server.cpu_seconds() - cpu
    print(
        f"big head: one 64 MiB header -> {status} after {took:.2f} s; server CPU {used:.2f} s, "
        f"RSS {rss:.0f} -> {after:.0f} MiB (peak {peak:.0f} MiB)"
    )


def connections(server: Server, count: int) -> None:
    """Open ``count`` silent connections; those answered within a second were refused."""
    socks = []
    try:
        for _ in range(count):
            socks.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
        time.sleep(1)
        answered = readable(socks)
        statuses: Counter[str] = Counter()
        for sock in answered:
            with contextlib.suppress(OSError):
                statuses[status_of(sock.recv(64))] += 1
        rss, _ = server.memory_mib()
        refusals = ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items()))
        print(
            f"connections: {count} opened, {count - len(answered)} held, "
            f"{len(answered)} answered at once ({refusals or 'none'}); RSS {rss:.0f} MiB"
        )
    finally:
        for sock in socks:
            sock.close()


def slow(server: Server, wait: float) -> None:
    """Slow clients, all at once; seconds until the server answered or closed each."""
    post = b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH
    post += b"\r\nContent-Type: application/json\r\n"
    cases = {
        "a silent connection": b"",
        "a partial head": HEAD,
        "a stalled body": post + b"Content-Length: 1000\r\n\r\n{",
        "a chunk size of 2^64-1": post + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{",
    }

    def client(sent: bytes) -> str:
        with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as sock:
            started = time.monotonic()
            sock.sendall(sent)
            try:
                answer = sock.recv(64)
            except TimeoutError:
                return f"still open after {wait:g} s"
            except ConnectionResetError:
                answer = b""
            return f"{status_of(answer)} after {time.monotonic() - started:.1f} s"

    with ThreadPoolExecutor(len(cases)) as pool:
        results = list(pool.map(client, cases.values()))
    print("slow:")
    for name, result in zip(cases, results, strict=True):
        print(f"  {name}: {result}")


def _size(size: int) -> str:
    return f"{size / MIB:g} MiB" if size >= MIB else f"{size / 1024:g} KiB"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python benchmarks/limits.py", description=__doc__)
    parser.add_argument("--section", action="append", choices=SECTIONS, help="(repeatable)")
    parser.add_argument("--heads", type=int, default=1000, help="refused heads per size (1000)")
    parser.add_argument(
        "--size-kib",
        type=int,
        action="append",
        help="head sizes of the flood, KiB (repeatable; default 70 and 4096)",
    )
    parser.add_argument("--clients", type=int, default=8, help="flood clients at once (8)")
    parser.add_argument(
        "--connections", type=int, default=1500, help="silent connections opened (1500)"
    )
    parser.add_argument("--wait", type=float, default=45, help="seconds a slow client waits (45)")
    parser.add_argument("--source", type=Path, default=REPO, help="the checkout to serve")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    sections = args.section or list(SECTIONS)
    sizes = [kib * 1024 for kib in (args.size_kib or [70, 4096])]
    with (
        tempfile.TemporaryDirectory() as workdir,
        Server.running(args.source.resolve(), Path(workdir) / "serve.log") as server,
    ):
        print(f"mockgate serve {' '.join(APIS)} from {args.source}")
        if "flood" in sections:
            flood(server, args.heads, sizes, args.clients)
        if "big-head" in sections:
            big_head(server)
        if "connections" in sections:
            connections(server, args.connections)
        if "slow" in sections:
            slow(server, args.wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())
