"""What one connection may hold of a server, enforced as its bytes arrive.

uvicorn reads a request head whole before any app sees it, waits for ever for a head or a body
that never ends, and accepts every connection. The protocol class built here bounds each of
those, before an app could (it is httptools', a declared dependency: one parser to harden, not
uvicorn's h11 fallback too):

- a head larger than ``MAX_HEAD_BYTES`` is refused as it grows (414 when its request line is
  over ``MAX_REQUEST_LINE_BYTES``, else 431): it is never buffered whole;
- a connection's first head must arrive within ``header_timeout`` of the connection opening,
  a later one within ``header_timeout`` of its first bytes, which must come within
  ``idle_timeout`` of the previous response (uvicorn's keep-alive): 408 when part of a head
  came, else the connection is just closed;
- a body must arrive within ``body_timeout`` of the end of its head (408; the app reading it
  sees the client gone);
- past ``max_connections`` open connections a new one is answered 503 (``Retry-After: 1``) and
  closed at once, before it sends anything.

Each refusal closes the connection and is in the served API's error shape (the ``Refusal`` the
server was given), or plain text for an app without one.
"""

from __future__ import annotations

import asyncio
import http
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from mockgate.mockserver.middleware import MAX_HEADER_BYTES, MAX_QUERY_BYTES
from mockgate.mockserver.responses import PARSER_REFUSAL

__all__ = ["MAX_HEAD_BYTES", "MAX_REQUEST_LINE_BYTES", "Refusal", "ServerLimits", "protocol"]

Refusal = Callable[[int, str], bytes]
"""The JSON body of a refusal with ``(status, message)``, in the served API's error shape."""

# The request line: the query the app accepts (414 beyond) and as much again for the method,
# the path and the version.
MAX_REQUEST_LINE_BYTES = 2 * MAX_QUERY_BYTES
# A head the app would take whole: its headers' bytes (431 beyond, checked by the middleware
# once the head is complete), their framing (": ", CRLF) and the request line.
MAX_HEAD_BYTES = MAX_HEADER_BYTES + MAX_REQUEST_LINE_BYTES
# Descriptors a serving process needs besides its connections: listening sockets, the loop's,
# a state file, a reloader's watches, logs.
_RESERVED_DESCRIPTORS = 64
# Seconds a refused connection is still read (and what comes dropped) after its answer: closed
# with unread bytes, a socket sends a reset, which can reach a client still sending before it
# reads the answer, and lose it (nginx's lingering close).
_LINGER_SECONDS = 2.0


@dataclass(frozen=True)
class ServerLimits:
    """What one server allows: seconds for a request head, between requests and for a body, and
    how many connections at once."""

    header_timeout: float = 10.0
    idle_timeout: int = 5  # uvicorn's keep-alive timeout, in whole seconds
    body_timeout: float = 30.0
    max_connections: int = 1000

    @classmethod
    def sharing(cls, servers: int, descriptors: int | None = None, **limits: Any) -> ServerLimits:
        """Limits for each of ``servers`` serving in one process: the connections they may hold
        together fit in its ``descriptors`` (by default its soft limit, ``ulimit -n``), at most
        1,000 each; ``limits`` as given."""
        if descriptors is None:
            descriptors = _descriptor_limit()
        if descriptors is not None:
            share = max(1, (descriptors - _RESERVED_DESCRIPTORS) // servers)
            limits.setdefault("max_connections", min(cls.max_connections, share))
        return cls(**limits)


def _descriptor_limit() -> int | None:
    """The process's soft limit of open descriptors; None: none applies."""
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def protocol(limits: ServerLimits, refusal: Refusal | None) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol held to ``limits``, answering what it refuses (these limits,
    and what its parser cannot read) with ``refusal`` bodies, or plain text without one."""

    class LimitedProtocol(HttpToolsProtocol):
        def __init__(
            self,
            config: Config,
            server_state: ServerState,
            app_state: dict[str, Any],
            _loop: asyncio.AbstractEventLoop | None = None,
        ) -> None:
            super().__init__(config, server_state, app_state, _loop)
            # Between the end of a message (or the connection's start) and its next head's end:
            # the bytes received meanwhile count against MAX_HEAD_BYTES.
            self.reading_head = True
            self.head_bytes = 0
            self.head_timer: asyncio.TimerHandle | None = None
            self.body_timer: asyncio.TimerHandle | None = None
            self.refused = False  # answered and closing: what still comes is dropped

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            tcp = cast(asyncio.Transport, transport)  # what a server's connections are
            if len(self.connections) >= limits.max_connections:
                self.transport = tcp  # refused: never one of the server's connections
                message = (
                    f"Too many open connections (at most {limits.max_connections}); "
                    "retry in a second"
                )
                # No lingering: this connection counts against no cap.
                self.refuse(503, message, b"retry-after: 1", linger=False)
                return
            super().connection_made(tcp)
            self.head_timer = self.loop.call_later(limits.header_timeout, self.head_late)

        def connection_lost(self, exc: Exception | None) -> None:
            self.stop_timers()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self.refused:
                return
            if self.reading_head:
                self.head_bytes += len(data)
            super().data_received(data)
            if self.transport.is_closing():
                return
            # Timers start only for what did not arrive whole in one read: most requests never
            # need one.
            if self.reading_head:
                if self.head_bytes > MAX_HEAD_BYTES:
                    self.refuse_head()
                elif self.head_bytes and self.head_timer is None:  # a head is on its way
                    self.head_timer = self.loop.call_later(limits.header_timeout, self.head_late)
            elif self.body_timer is None:  # a body is on its way
                self.body_timer = self.loop.call_later(limits.body_timeout, self.body_late)

        def on_headers_complete(self) -> None:
            self.reading_head = False
            if self.head_timer is not None:
                self.head_timer.cancel()
                self.head_timer = None
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self.reading_head, self.head_bytes = True, 0
            if self.body_timer is not None:
                self.body_timer.cancel()
                self.body_timer = None
            super().on_message_complete()

        def send_400_response(self, msg: str) -> None:
            self.refuse(400, PARSER_REFUSAL)

        def refuse_head(self) -> None:
            url = getattr(self, "url", b"")  # set by uvicorn once a request line starts
            if len(url) > MAX_REQUEST_LINE_BYTES:
                self.refuse(414, f"Request line longer than {MAX_REQUEST_LINE_BYTES} bytes")
            else:
                self.refuse(431, f"Request headers over {MAX_HEADER_BYTES} bytes")

        def head_late(self) -> None:
            self.head_timer = None
            if self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                # A request is being answered: that answer first, then the connection closes.
                self.cycle.keep_alive = False
            elif self.reading_head and self.head_bytes:
                seconds = f"{limits.header_timeout:g}"
                self.refuse(408, f"The request head did not arrive within {seconds} s")
            else:  # nothing sent since the connection opened
                self.transport.close()

        def body_late(self) -> None:
            self.body_timer = None
            cycle = self.cycle
            if self.transport.is_closing() or cycle is None:
                return
            answered = cycle.response_started
            # The app reading the body learns that the client is gone, and writes no more.
            cycle.disconnected = True
            cycle.message_event.set()
            if answered:
                self.transport.close()
            else:
                seconds = f"{limits.body_timeout:g}"
                self.refuse(408, f"The request body did not arrive within {seconds} s")

        def refuse(self, status: int, message: str, *headers: bytes, linger: bool = True) -> None:
            """Answer ``status`` and close, whatever else is still to come (read and dropped
            for ``_LINGER_SECONDS`` at most, with ``linger``)."""
            if refusal is not None:
                body, media_type = refusal(status, message), b"application/json"
            else:
                body, media_type = message.encode(), b"text/plain; charset=utf-8"
            phrase = http.HTTPStatus(status).phrase.encode()
            head = [b"HTTP/1.1 %d %s" % (status, phrase)]
            head += [name + b": " + value for name, value in self.server_state.default_headers]
            head += [b"content-type: " + media_type, b"content-length: %d" % len(body)]
            head += [*headers, b"connection: close"]
            self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
            self.stop_timers()
            if not linger:
                self.transport.close()
                return
            self.refused = True
            self.transport.write_eof()  # the answer, then the end of it
            if self.flow is not None:
                self.flow.resume_reading()
            # The client's own close ends it sooner (eof_received); held as head_timer, it goes
            # with the connection.
            self.head_timer = self.loop.call_later(_LINGER_SECONDS, self.transport.close)

        def stop_timers(self) -> None:
            for timer in (self.head_timer, self.body_timer):
                if timer is not None:
                    timer.cancel()
            self.head_timer = self.body_timer = None

    return LimitedProtocol
