"""The API's ASGI middleware (``PiOrchestrator.middleware``), in front of Connexion's routing
and request validation; each acts only on requests for one of the API's operations
(``scope["mockgate.route"]``).

- ``UnregisteredRoutes``: under a degradation scenario, a 404 for the operations it unregisters
  (``degradation``).
- ``KeyGuard``: the image proxy's ``key`` checked by ``keys.check_key`` before the spec's pattern
  is, so a malformed key is refused with the rule it breaks (``invalid object key: path
  traversal is not allowed``, as the spec's example says) instead of a regular expression, and
  without echoing a hostile key back. Every ``key`` given must pass (a repeated parameter
  cannot smuggle one past the check).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from mockgate.apis.base import RequestInfo
from mockgate.apis.context import MockContext
from mockgate.apis.piorchestrator.degradation import ROUTE_NOT_FOUND, unregistered
from mockgate.apis.piorchestrator.keys import MalformedKey, check_key
from mockgate.core.errors import ApiError, FieldError
from mockgate.mockserver.responses import error_response

__all__ = ["KeyGuard", "UnregisteredRoutes"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

IMAGE_OPERATION = "getEvidenceImage"


class _OperationMiddleware:
    def __init__(self, app: Any, ctx: MockContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = scope.get("mockgate.route") if scope["type"] == "http" else None
        error = None if route is None else self.refusal(scope, route.operation_id)
        if error is None:
            await self.app(scope, receive, send)
            return
        info = RequestInfo(
            scope["method"],
            scope["path"],
            scope.get("mockgate.request_id", ""),
            self.ctx.clock.now(),
        )
        await error_response(self.ctx, error, info)(scope, receive, send)

    def refusal(self, scope: Scope, operation_id: str) -> ApiError | None:
        """The error to answer with instead of serving the request, or None."""
        raise NotImplementedError


class UnregisteredRoutes(_OperationMiddleware):
    def refusal(self, scope: Scope, operation_id: str) -> ApiError | None:
        if unregistered(self.ctx.scenario, operation_id):
            return ApiError(404, ROUTE_NOT_FOUND)
        return None


class KeyGuard(_OperationMiddleware):
    def refusal(self, scope: Scope, operation_id: str) -> ApiError | None:
        if operation_id != IMAGE_OPERATION:
            return None
        query = scope.get("query_string", b"").decode("latin-1")
        keys = [value for name, value in parse_qsl(query, keep_blank_values=True) if name == "key"]
        if not keys:
            return None  # missing: request validation names the required parameter
        for key in keys:
            try:
                check_key(key)
            except MalformedKey as exc:
                return ApiError(400, str(exc), (FieldError("key", str(exc)),))
        return None
