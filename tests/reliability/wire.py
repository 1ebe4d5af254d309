"""Raw HTTP/1.1 over a loopback socket, for requests no client library sends (a Content-Length
without its body, a body that never ends, header folding, control bytes) and for watching when
the server answers. Every read has a timeout: a server that hangs fails the test, not the run."""

from __future__ import annotations

import contextlib
import select
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

import httptools

from tests.reliability.replies import Reply

TIMEOUT = 10.0
"""Seconds a mock gets to answer anything: generous, so only a hang exceeds it."""


class NoAnswer(AssertionError):
    """The server did not answer in time (or closed the connection without an answer)."""


@dataclass
class _Parsed:
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    complete: bool = False

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.complete = True


def request(port: int, head: bytes, body: bytes = b"", *, timeout: float = TIMEOUT) -> Reply:
    """Send ``head`` (request line and headers, without the blank line) and ``body``; read the
    answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # The server may answer (and close) before taking everything: read the answer then.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head + b"\r\n\r\n" + body)
        return read_reply(sock, timeout=timeout)


def stream(
    port: int, head: bytes, chunks: Iterable[bytes], *, timeout: float = TIMEOUT
) -> tuple[Reply, int]:
    """Send ``head``, then each of ``chunks`` as-is until the server answers; the answer and how
    many body bytes had been sent when it came. ``chunks`` are written raw: frame them
    yourself for ``Transfer-Encoding: chunked``."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head + b"\r\n\r\n")
        for chunk in chunks:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        return read_reply(sock, timeout=timeout), sent


def read_reply(sock: socket.socket, *, timeout: float = TIMEOUT) -> Reply:
    sock.settimeout(timeout)
    parsed = _Parsed()
    parser = httptools.HttpResponseParser(parsed)
    while not parsed.complete:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            raise NoAnswer(f"no answer within {timeout:.0f} s") from None
        except ConnectionResetError:
            data = b""
        if not data:
            if parsed.headers or parsed.body:
                break  # an answer without Content-Length, delimited by the close
            raise NoAnswer("the server closed the connection without answering")
        parser.feed_data(data)
        parsed.status = parser.get_status_code()
    return Reply(parsed.status, tuple(parsed.headers), bytes(parsed.body))
