"""Upstreams for the proxy to judge: deliberately non-conformant ones, and helpers."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

AGENTLENS_AUTH = {"Authorization": "Bearer als_mockgate_dev_key"}
# A tiny valid PNG: an image, but not the JPEG the image proxy promises.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)

SESSION = {
    "id": "sess_1",
    "agentId": "agent",
    "startedAt": "2026-01-19T12:00:00.000Z",
    "endedAt": None,
    "status": "active",
    "eventCount": 1,
    "toolCallCount": 0,
    "errorCount": 0,
    "totalCostUsd": 0,
    "tags": [],
}


def broken_upstream(seen: list[dict[str, Any]] | None = None) -> Starlette:
    """Answers some of agentlens' and piorchestrator's operations against their specs, and
    records every request it receives in ``seen``."""
    log = seen if seen is not None else []

    async def record(request: Request) -> None:
        log.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": dict(request.headers),
                "body": await request.body(),
            }
        )

    async def sessions(request: Request) -> Response:
        await record(request)
        # Conformant but for one thing: the id must be a string.
        return JSONResponse({"sessions": [{**SESSION, "id": 7}], "total": 1, "hasMore": False})

    async def image(request: Request) -> Response:
        await record(request)
        # Every declared header, but a PNG where the spec promises a JPEG.
        headers = {"Cache-Control": "max-age=60", "X-Request-Id": "req-1"}
        return Response(PNG, headers=headers, media_type="image/png")

    async def echo(request: Request) -> Response:
        await record(request)
        return JSONResponse({"headers": dict(request.headers)})

    async def redirect(request: Request) -> Response:
        await record(request)
        return RedirectResponse("/api/sessions", status_code=302)

    async def anything(request: Request) -> Response:
        await record(request)
        return JSONResponse({"error": "not found", "status": 404}, status_code=404)

    return Starlette(
        routes=[
            Route("/api/sessions", sessions),
            Route("/api/v1/evidence/image", image),
            Route("/echo", echo),
            Route("/redirect", redirect),
            Route("/{rest:path}", anything, methods=["GET", "POST", "DELETE", "PUT"]),
        ]
    )


def refusing_upstream(status: int) -> Starlette:
    """Refuses every request with ``status``, in agentlens' error shape (``{error, status}``)."""

    async def refuse(request: Request) -> Response:
        return JSONResponse({"error": "Unprocessable request", "status": status}, status)

    methods = ["GET", "POST", "PUT", "DELETE"]
    return Starlette(routes=[Route("/{rest:path}", refuse, methods=methods)])
