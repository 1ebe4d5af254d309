"""What one connection may hold of a served mock (``mockserver.connections``), on a real uvicorn
on a loopback port with short limits: heads refused as they grow, heads and bodies that do not
arrive in time, one connection too many. Every refusal is in the API's error shape and closes
the connection; ordinary requests, slow answers and kept-alive connections are unaffected."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import ClientDisconnect

from mockgate.mockserver.app import create_app
from mockgate.mockserver.asgi import Message, read_body
from mockgate.mockserver.connections import MAX_HEAD_BYTES, MAX_REQUEST_LINE_BYTES, ServerLimits
from mockgate.mockserver.handles import ThreadedServer
from mockgate.mockserver.middleware import MAX_HEADER_BYTES
from tests.reliability import wire
from tests.reliability.replies import Reply, error_problems

API = "agentlens"
AUTH = b"Authorization: Bearer als_mockgate_dev_key"
READ = b"GET /api/sessions?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH + b"\r\n\r\n"
SHORT = 0.5  # seconds: every timeout of the servers below
# An event the mock stores when it arrives whole (a new session "cut-short").
EVENT = {"sessionId": "cut-short", "agentId": "a", "eventType": "custom", "payload": {}}


@contextlib.contextmanager
def serving(limits: ServerLimits, app: Any = None) -> Iterator[int]:
    """``app`` (a fresh agentlens mock by default) held to ``limits``; yields its port."""
    server = ThreadedServer(app or create_app(API), limits)
    try:
        yield int(server.start().rsplit(":", 1)[1])
    finally:
        server.stop()


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serving(ServerLimits(header_timeout=SHORT, body_timeout=SHORT)) as port:
        yield port


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=wire.TIMEOUT)


def refused(reply: Reply, status: int) -> None:
    """``reply`` is ``status`` in the API's error shape, and says it closes the connection."""
    assert reply.status == status, reply.describe()
    assert not error_problems(API, reply), reply.describe()
    assert reply.header("connection") == "close"


def closed(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (after any answer it wrote)."""
    sock.settimeout(wire.TIMEOUT)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_a_head_growing_past_the_limit_is_refused_before_it_ends(port):
    """128 KiB of headers, a line at a time, and no blank line: refused (431) as it grows, not
    once complete; the client can still send the rest and read the answer."""
    with connect(port) as sock:
        sock.sendall(b"GET /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for n in range(32):
            sock.sendall(b"X-Filler-%d: %s\r\n" % (n, b"a" * 4096))
            time.sleep(0.002)  # read as it comes: refused with more still to be sent
        reply = wire.read_reply(sock)
        refused(reply, 431)
        assert str(MAX_HEADER_BYTES) in json.loads(reply.body)["error"]
        assert closed(sock)


def test_a_request_line_growing_past_the_limit_is_refused_as_too_long(port):
    with connect(port) as sock:
        sock.sendall(b"GET /api/sessions?q=" + b"a" * (MAX_HEAD_BYTES + 1))
        reply = wire.read_reply(sock)
        refused(reply, 414)
        assert str(MAX_REQUEST_LINE_BYTES) in json.loads(reply.body)["error"]


def test_a_silent_connection_is_closed_after_the_header_timeout(port):
    with connect(port) as sock:
        started = time.monotonic()
        assert closed(sock)
        assert SHORT * 0.8 <= time.monotonic() - started < SHORT + 2


def test_a_partial_head_is_answered_408_after_the_header_timeout(port):
    with connect(port) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        reply = wire.read_reply(sock)
        assert SHORT * 0.8 <= time.monotonic() - started < SHORT + 2
        refused(reply, 408)
        assert closed(sock)


@pytest.mark.parametrize(
    ("framing", "body"),
    [
        pytest.param(b"Transfer-Encoding: chunked", b"ffffffffffffffff\r\n{", id="chunk-of-2^64-1"),
        pytest.param(b"Content-Length: 1000", b"{", id="stalled-body"),
    ],
)
def test_a_body_that_does_not_arrive_in_time_is_answered_408(port, framing, body):
    head = b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH
    head += b"\r\nContent-Type: application/json\r\n" + framing
    with connect(port) as sock:
        started = time.monotonic()
        sock.sendall(head + b"\r\n\r\n" + body)
        reply = wire.read_reply(sock)
        assert time.monotonic() - started < SHORT + 2
        refused(reply, 408)
        assert closed(sock)


def test_a_body_cut_short_is_never_served(port):
    """The whole JSON arrived, not the length announced: the event is not stored."""
    body = json.dumps({"events": [EVENT]}).encode()
    head = b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH
    head += b"\r\nContent-Type: application/json\r\nContent-Length: %d" % (len(body) + 10)
    with connect(port) as sock:
        sock.sendall(head + b"\r\n\r\n" + body)
        refused(wire.read_reply(sock), 408)
    with connect(port) as sock:
        sock.sendall(READ.replace(b"?limit=1", b"/cut-short"))
        assert wire.read_reply(sock).status == 404


def test_kept_alive_requests_and_slow_answers_are_not_cut_off(port):
    """Requests on one connection with pauses, each shorter than the header timeout but longer
    together, and an answer slower than both timeouts: all served."""
    slow = READ.replace(b"\r\n\r\n", b"\r\nPrefer: delay=%d\r\n\r\n" % (SHORT * 1500))
    with connect(port) as sock:
        for request in (READ, slow, READ):
            sock.sendall(request)
            reply = wire.read_reply(sock)
            assert reply.status == 200, reply.describe()
            assert reply.header("connection") != "close"
            time.sleep(SHORT * 0.6)


def test_a_late_head_behind_a_slow_answer_lets_that_answer_through_then_closes(port):
    slow = READ.replace(b"\r\n\r\n", b"\r\nPrefer: delay=%d\r\n\r\n" % (SHORT * 2000))
    with connect(port) as sock:
        sock.sendall(slow)
        time.sleep(0.05)
        sock.sendall(READ[:20])  # the next head, never finished
        reply = wire.read_reply(sock)
        assert reply.status == 200, reply.describe()
        assert reply.header("connection") == "close"
        assert closed(sock)


def test_a_body_sent_slowly_within_the_body_timeout_is_served(port):
    body = json.dumps({"events": [{**EVENT, "sessionId": "slow-body"}]}).encode()
    head = b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH
    head += b"\r\nContent-Type: application/json\r\nContent-Length: %d" % len(body)
    with connect(port) as sock:
        sock.sendall(head + b"\r\n\r\n" + body[:10])
        time.sleep(SHORT / 2)
        sock.sendall(body[10:])
        reply = wire.read_reply(sock)
    assert reply.status == 201, reply.describe()


def test_one_connection_past_the_cap_is_refused_503_and_the_others_work():
    with serving(ServerLimits(max_connections=5)) as port:
        held = [connect(port) for _ in range(5)]
        try:
            with connect(port) as extra:
                started = time.monotonic()
                reply = wire.read_reply(extra)  # refused before it sends anything
                assert time.monotonic() - started < 1
                refused(reply, 503)
                assert reply.header("retry-after") == "1"
            for sock in held:
                sock.sendall(READ)
                assert wire.read_reply(sock).status == 200
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.2)  # the server sees them closed
        base_url = f"http://127.0.0.1:{port}"
        answer = httpx.get(f"{base_url}/api/sessions", headers=[AUTH.decode().split(": ")])
        assert answer.status_code == 200


@pytest.mark.parametrize(
    ("descriptors", "servers", "cap"),
    [
        pytest.param(1024, 4, 240, id="default-ulimit-four-mocks"),
        pytest.param(1024, 1, 960, id="default-ulimit-one-mock"),
        pytest.param(65536, 4, 1000, id="high-ulimit-capped"),
        pytest.param(64, 4, 1, id="tiny-ulimit-still-serves"),
    ],
)
def test_servers_share_the_descriptor_limit(descriptors, servers, cap):
    assert ServerLimits.sharing(servers, descriptors=descriptors).max_connections == cap


def test_explicit_limits_win_over_the_shared_cap():
    limits = ServerLimits.sharing(4, descriptors=1024, max_connections=7, header_timeout=2)
    assert (limits.max_connections, limits.header_timeout) == (7, 2)


def test_an_app_without_an_error_shape_gets_its_refusals_as_text():
    async def hello(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"hello"})

    with serving(ServerLimits(), hello) as port, connect(port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * (MAX_HEAD_BYTES + 1))
        reply = wire.read_reply(sock)
    assert (reply.status, reply.header("content-type")) == (431, "text/plain; charset=utf-8")
    assert reply.body == b"Request headers over %d bytes" % MAX_HEADER_BYTES


def messages(*sent: Message):
    """A ``receive`` giving ``sent`` in turn."""
    queue = list(sent)

    async def receive() -> Message:
        return queue.pop(0)

    return receive


def test_read_body_joins_the_chunks_and_stops_past_the_limit():
    chunks = (
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"cd", "more_body": False},
    )
    assert asyncio.run(read_body(messages(*chunks))) == b"abcd"
    assert asyncio.run(read_body(messages(*chunks), limit=3)) is None


def test_read_body_never_returns_a_body_cut_short():
    receive = messages(
        {"type": "http.request", "body": b'{"a": 1}', "more_body": True},
        {"type": "http.disconnect"},
    )
    with pytest.raises(ClientDisconnect):
        asyncio.run(read_body(receive))
