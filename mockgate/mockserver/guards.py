"""``GuardMiddleware``: runs an API's request guards (``MockApi.guards``) on the wire.

The guards are plain functions of a ``GuardedRequest``; this is the one place that reads them
off an ASGI scope, answers a refusal in the API's error shape and puts a guard's headers on the
response, whatever its status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mockgate.apis.base import GuardedRequest, RequestGuard
from mockgate.apis.context import MockContext
from mockgate.core.errors import ApiError, RequestInfo
from mockgate.mockserver.asgi import Message, Receive, Scope, Send
from mockgate.mockserver.responses import error_response

__all__ = ["GuardMiddleware"]


class GuardMiddleware:
    def __init__(self, app: Any, ctx: MockContext, guards: Sequence[RequestGuard]) -> None:
        self.app = app
        self.ctx = ctx
        self.guards = tuple(guards)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = scope.get("mockgate.route") if scope["type"] == "http" else None
        if route is None:  # not one of the API's operations
            await self.app(scope, receive, send)
            return
        request = _guarded(scope, route.operation_id)
        added: dict[str, str] = {}
        for guard in self.guards:
            verdict = guard(request)
            if isinstance(verdict, ApiError):
                info = RequestInfo(
                    scope["method"],
                    scope["path"],
                    scope.get("mockgate.request_id", ""),
                    self.ctx.clock.now(),
                )
                await error_response(self.ctx, verdict, info)(scope, receive, send)
                return
            if verdict:
                added.update(verdict)
        if not added:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _with_headers(send, added))


def _guarded(scope: Scope, operation_id: str) -> GuardedRequest:
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return GuardedRequest(
        operation_id,
        scope["method"],
        scope["path"],
        scope.get("query_string", b"").decode("latin-1"),
        headers,
    )


def _with_headers(send: Send, headers: Mapping[str, str]) -> Send:
    """``send`` with ``headers`` on the response start, replacing any of the same names."""
    names = {name.lower().encode("latin-1") for name in headers}
    extra = [(name.lower().encode("latin-1"), value.encode()) for name, value in headers.items()]

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            message = {**message, "headers": kept + extra}
        await send(message)

    return sending
