"""Malformed HTTP on a real socket, against the mocks served by ``mockgate serve`` (uvicorn on
loopback ports): what no client library sends. Bodies over ``MAX_BODY_BYTES`` are refused
(413) from their Content-Length before being read, or as soon as a body without length exceeds
it; oversized heads, header folding, control bytes and unknown method tokens are refused. Every
answer is a 4xx in the API's own error shape, within ``wire.TIMEOUT``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from mockgate.mockserver.middleware import MAX_BODY_BYTES
from tests.reliability import wire
from tests.reliability.conftest import APIS
from tests.reliability.replies import Reply, assert_no_file, assert_refused, error_problems

# Every test talks to the mocks served by a `mockgate serve` process (the `served` fixture).
pytestmark = pytest.mark.slow

Target = bytes | Callable[[bytes], bytes] | None

# Per API, a read that answers 200 as it is (so a refusal is the hostile part's doing) and an
# operation that takes a body where the API has one.
READS = {
    "agentlens": b"GET /api/sessions?limit=1",
    "fasting": b"GET /api/sessions?pageSize=1",
    "piorchestrator": b"GET /api/v1/sessions?limit=1",
    "state-tracking": b"GET /sessions?limit=1",
}
WRITES = READS | {"agentlens": b"POST /api/events", "state-tracking": b"POST /sessions"}


def head(credentials: dict[str, str], target: bytes, *lines: bytes) -> bytes:
    """A request head: ``target`` (method and path), Host, the credentials, then ``lines``."""
    auth = [f"{name}: {value}".encode() for name, value in credentials.items()]
    return b"\r\n".join([target + b" HTTP/1.1", b"Host: 127.0.0.1", *auth, *lines])


@pytest.mark.parametrize("api", APIS)
def test_the_plain_read_is_served(served, served_credentials, api):
    """The baseline the hostile variants below start from."""
    reply = wire.request(_port(served, api), head(served_credentials[api], READS[api]))
    assert reply.status == 200, reply.describe()


@pytest.mark.parametrize("api", APIS)
def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    served, served_credentials, api
):
    """Only the head is sent: a server that waits for (and would buffer) the body never answers."""
    length = MAX_BODY_BYTES + 1
    lines = (b"Content-Type: application/json", b"Content-Length: %d" % length)
    request = head(served_credentials[api], WRITES[api], *lines)
    try:
        reply = wire.request(_port(served, api), request)
    except wire.NoAnswer as exc:
        pytest.fail(
            f"{api}: Content-Length {length} (> MAX_BODY_BYTES) and no body yet: {exc}; the "
            "server waits for a body it will refuse instead of answering 413 from the header"
        )
    assert_refused(api, reply, f"Content-Length: {length}", status=413, mentions=("large", "bytes"))


def _chunks() -> Iterator[bytes]:
    """A chunked body that never ends: 64 KB chunks, three times the limit, no last chunk."""
    chunk = b"a" * 65536
    for _ in range(3 * MAX_BODY_BYTES // len(chunk)):
        yield b"%x\r\n%s\r\n" % (len(chunk), chunk)


@pytest.mark.parametrize("api", APIS)
def test_a_body_without_length_is_cut_off_once_over_the_limit(served, served_credentials, api):
    lines = (b"Content-Type: application/json", b"Transfer-Encoding: chunked")
    request = head(served_credentials[api], WRITES[api], *lines)
    try:
        reply, sent = wire.stream(_port(served, api), request, _chunks())
    except wire.NoAnswer as exc:
        pytest.fail(f"{api}: a chunked body growing past MAX_BODY_BYTES got no answer: {exc}")
    # The body never ended, so any answer came without reading all of it.
    assert sent < 3 * MAX_BODY_BYTES, f"{api}: no answer until the whole body was sent"
    assert_refused(api, reply, f"a chunked body of {sent}+ bytes", status=413)


# Requests a strict HTTP parser refuses, or a mock must refuse before they cost memory.
HOSTILE = [
    pytest.param((b"X-Big: " + b"a" * 1_000_000,), None, id="1-MB-header"),
    pytest.param(tuple(b"X-H%d: v" % n for n in range(10_000)), None, id="10000-headers"),
    pytest.param((), lambda read: read + b"&q=" + b"a" * 100_000, id="100-KB-request-line"),
    pytest.param((), lambda read: read + b"&p=1" * 20_000, id="20000-query-params"),
    pytest.param((b"X-Request-Id: abc", b" Set-Cookie: injected=1"), None, id="obs-fold"),
    pytest.param((b"X-Request-Id: abc\rSet-Cookie: injected=1",), None, id="bare-cr"),
    pytest.param((b"X-Request-Id: abc\x7fdef",), None, id="del-in-value"),
    pytest.param((b"X-Request-Id: abc\x0bdef",), None, id="vt-in-value"),
    pytest.param((b"Bad Name: v",), None, id="space-in-name"),
    pytest.param((), lambda read: b"FOO " + read.split(b" ")[1], id="unknown-method-token"),
    pytest.param((), lambda read: read + b"\xff\xfe", id="raw-non-ascii-query"),
    pytest.param((), lambda read: b"GET /api/\xff\xfe", id="raw-non-ascii-path"),
    pytest.param((b"Content-Length: 5", b"Content-Length: 6"), None, id="two-lengths"),
    pytest.param(
        (b"Content-Length: 2", b"Transfer-Encoding: chunked"), None, id="length-and-chunked"
    ),
]


@pytest.mark.parametrize(("lines", "target"), HOSTILE)
@pytest.mark.parametrize("api", APIS)
def test_a_hostile_request_head_is_a_4xx(served, served_credentials, api, lines, target):
    reply = _send(served, served_credentials, api, lines, target)
    assert 400 <= reply.status < 500, f"{api}: {_what(api, lines, target)}: got {reply.describe()}"
    names = [name.lower() for name, _ in reply.headers]
    assert b"set-cookie" not in names, f"{api}: an injected header came back: {reply.headers}"


@pytest.mark.parametrize("api", APIS)
def test_every_hostile_request_head_is_refused_in_the_apis_shape(served, served_credentials, api):
    """What the HTTP parser refuses, too, reaches the client in the API's error shape (a
    frontend's error handling reads that shape whatever went wrong). One test per API, listing
    every case that is not: they share one cause (who renders the parser's refusals)."""
    wrong = []
    for case in HOSTILE:
        lines, target = case.values
        reply = _send(served, served_credentials, api, lines, target)
        if not (400 <= reply.status < 500) or error_problems(api, reply):
            wrong.append(f"{case.id}: {_what(api, lines, target)} -> {reply.describe()}")
    assert not wrong, f"{api}: {len(wrong)} refusal(s) not in the API's error shape:\n" + (
        "\n".join(wrong)
    )


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(b"GET /../../../../etc/passwd", id="dot-segments"),
        pytest.param(b"GET /api/../../etc/passwd", id="under-the-api"),
        pytest.param(b"GET /%2e%2e/%2e%2e/etc/passwd", id="encoded"),
        pytest.param(b"GET //etc/passwd", id="double-slash"),
    ],
)
@pytest.mark.parametrize("api", APIS)
def test_traversal_on_the_wire_is_a_404(served, served_credentials, api, target):
    reply = _send(served, served_credentials, api, (), target)
    assert_refused(api, reply, target.decode(), status=404)
    assert_no_file(reply)


def _send(served, served_credentials, api: str, lines: tuple[bytes, ...], target: Target) -> Reply:
    """``lines`` added to the API's plain read, whose target ``target`` may rewrite."""
    request = head(served_credentials[api], _target(api, target), *lines)
    try:
        return wire.request(_port(served, api), request)
    except wire.NoAnswer as exc:
        pytest.fail(f"{api}: {_what(api, lines, target)}: {exc}")


def _port(served: dict[str, str], api: str) -> int:
    return int(served[api].rsplit(":", 1)[1])


def _target(api: str, target: Target) -> bytes:
    if target is None:
        return READS[api]
    return target if isinstance(target, bytes) else target(READS[api])


def _what(api: str, lines: tuple[bytes, ...], target: Target) -> str:
    shown = [_target(api, target)[:60]] if target else []
    shown += list(lines[:2]) + ([b"... (%d header lines)" % len(lines)] if len(lines) > 2 else [])
    return " | ".join(repr(line[:60]) for line in shown)
