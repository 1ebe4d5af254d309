"""The proxy on a loopback port in front of an upstream on another: one deadline for the whole
exchange, responses streamed through, JSON judged within the size cap and only there."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from mockgate.mockserver.handles import ThreadedServer
from mockgate.proxy.app import Proxy, ProxyOptions, create_proxy_app, proxy_of
from mockgate.proxy.report import to_json
from tests.proxy.upstreams import AGENTLENS_AUTH, SESSION

CAP = 1024 * 1024
BIG = hashlib.shake_256(b"mockgate").digest(CAP + 5 * 1024 * 1024)  # 5 MiB over the cap
TRICKLE = 50  # bytes, one every 0.2 s: 10 s in all


def upstream_app() -> Starlette:
    """``GET /api/sessions``: by ``X-Answer``, a body trickling one byte every 0.2 s (of
    ``X-Media-Type``), ``BIG`` (JSON-typed, with ``X-Framing``), or a small non-conformant page."""

    async def sessions(request: Request) -> Response:
        # No keep-alive: the proxy's pool holds no connection once the test is over.
        headers = {"connection": "close"}
        answer = request.headers.get("x-answer")
        if answer == "trickle":
            media_type = request.headers["x-media-type"]
            return StreamingResponse(_trickle(), media_type=media_type, headers=headers)
        if answer == "big":
            if request.headers.get("x-framing") == "content-length":
                headers["content-length"] = str(len(BIG))
            return StreamingResponse(_slices(BIG), media_type="application/json", headers=headers)
        page = {"sessions": [{**SESSION, "id": 7}], "total": 1, "hasMore": False}
        return JSONResponse(page, headers=headers)

    return Starlette(routes=[Route("/api/sessions", sessions)])


async def _trickle() -> AsyncIterator[bytes]:
    for _ in range(TRICKLE):
        yield b"x"
        await asyncio.sleep(0.2)


async def _slices(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


def read_into(received: bytearray, response: httpx.Response) -> None:
    for chunk in response.iter_raw():
        received += chunk


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadedServer(upstream_app())
    yield server.start()
    server.stop()


@pytest.fixture
def serve_proxy(upstream: str) -> Iterator[Callable[..., tuple[str, Proxy]]]:
    """``serve_proxy(**options)``: an agentlens proxy in front of ``upstream`` on a loopback
    port: its base URL and the ``Proxy``."""
    servers: list[ThreadedServer] = []

    def make(**options: object) -> tuple[str, Proxy]:
        app = create_proxy_app("agentlens", upstream, ProxyOptions(**options))  # type: ignore[arg-type]
        servers.append(ThreadedServer(app))
        return servers[-1].start(), proxy_of(app)

    yield make
    for server in servers:
        server.stop()


def test_an_upstream_trickling_past_the_deadline_before_its_answer_is_ready_is_a_504(
    upstream, serve_proxy
):
    base, proxy = serve_proxy(timeout=1)
    headers = {**AGENTLENS_AUTH, "X-Answer": "trickle", "X-Media-Type": "application/json"}
    started = time.monotonic()
    # JSON is judged before it is passed on: the deadline passes before the client has anything.
    response = httpx.get(f"{base}/api/sessions", headers=headers, timeout=10)
    assert time.monotonic() - started < 1.5
    assert response.status_code == 504
    assert response.json() == {
        "error": f"The upstream {upstream} did not answer within 1 s",
        "status": 504,
    }
    (entry,) = proxy.violations.not_judged()
    assert (entry["reason"], entry["exchange"]) == (
        "upstream timed out",
        "GET /api/sessions -> 504",
    )
    assert entry["detail"] == "upstream timed out: no answer within 1 s; the client got a 504"


def test_an_upstream_trickling_past_the_deadline_while_streaming_is_cut_off(serve_proxy):
    base, proxy = serve_proxy(timeout=1)
    headers = {**AGENTLENS_AUTH, "X-Answer": "trickle", "X-Media-Type": "application/octet-stream"}
    started = time.monotonic()
    received = bytearray()
    # Not JSON: streamed from its first byte, so the deadline can only cut the connection.
    with httpx.stream("GET", f"{base}/api/sessions", headers=headers, timeout=10) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):  # the chunked body never ends
            read_into(received, response)
    assert time.monotonic() - started < 1.5
    assert 0 < len(received) < TRICKLE
    (entry,) = proxy.violations.not_judged()
    assert (entry["reason"], entry["exchange"]) == (
        "upstream timed out",
        "GET /api/sessions -> 200",
    )
    assert entry["detail"] == (
        f"upstream timed out after 1 s, in the middle of the body; {len(received)} bytes passed on"
    )


@pytest.mark.parametrize(
    "framing", ["content-length", "chunked"], ids=["content-length", "chunked"]
)
def test_a_response_over_the_cap_streams_through_byte_identical_and_unjudged(
    upstream, serve_proxy, framing
):
    base, proxy = serve_proxy(validate_max_bytes=CAP)
    headers = {**AGENTLENS_AUTH, "X-Answer": "big", "X-Framing": framing}
    response = httpx.get(f"{base}/api/sessions", headers=headers, timeout=30)
    assert response.status_code == 200
    assert hashlib.sha256(response.content).digest() == hashlib.sha256(BIG).digest()
    assert ("content-length" in response.headers) == (framing == "content-length")

    store = proxy.violations
    assert (list(store), store.upstream_violations, store.exchanges) == ([], 0, 1)
    detail = f"too large ({len(BIG)} bytes, cap {CAP})"
    (entry,) = store.not_judged()
    assert (entry["reason"], entry["detail"]) == ("too large", detail)
    report = to_json(store, api="agentlens", upstream=upstream, strict=False)
    assert (
        f"not judged: {detail} · listSessions: 1 response(s) for this reason, "
        "the latest GET /api/sessions -> 200"
    ) in report["skipped"]
    assert (report["summary"]["findings"], report["summary"]["skipped"]) == (0, 1)


def test_a_response_within_the_cap_is_still_judged(serve_proxy):
    base, proxy = serve_proxy(validate_max_bytes=CAP)
    response = httpx.get(f"{base}/api/sessions", headers=AGENTLENS_AUTH, timeout=10)
    assert (response.status_code, response.json()["sessions"][0]["id"]) == (200, 7)
    (violation,) = proxy.violations
    assert violation.response == ("body at sessions/0/id: 7 is not of type 'string'",)
    assert proxy.violations.not_judged() == []
