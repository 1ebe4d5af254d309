"""The rate limits as ASGI middleware (``StateTracking.middleware`` installs it).

It sits after the shared request pipeline (request id, faults, ``Prefer`` parsing) and before
authentication, and acts only on requests for a rate-limited operation of the API
(``scope["mockgate.route"]`` set and the operation has a tier): never on ``/__mockgate``, the
docs, health routes, unknown paths or wrong methods.

**What counts.** Requests presenting a *valid* API key (``Authorization: Bearer`` or
``X-API-Key``, as the API accepts them; a read-only key too), in that key's bucket, whatever
the answer turns out to be (400, 403, 404... cost the server a request too). Requests without a
valid key are not counted and carry no rate-limit headers: authentication answers them 401
anyway, and counting them would let anyone exhaust a bucket (and the limiter's memory) with
made-up keys. Answers from injected faults never reach the limiter.

Allowed requests get ``X-RateLimit-Limit/-Remaining/-Reset`` on their response, whatever its
status; refused ones a 429 in the API's envelope with ``retry_after`` and ``Retry-After`` (see
``ratelimit`` for the windows).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers

from mockgate.apis.base import RequestInfo
from mockgate.apis.state_tracking.ratelimit import Limits, RateLimiter
from mockgate.core.errors import ApiError
from mockgate.mockserver.responses import error_response

if TYPE_CHECKING:
    from mockgate.apis.context import MockContext

__all__ = ["RATE_LIMITED_MESSAGE", "RateLimitMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

RATE_LIMITED_MESSAGE = "Too many requests - rate limit exceeded"
_HEADER_NAMES = (b"x-ratelimit-limit", b"x-ratelimit-remaining", b"x-ratelimit-reset")


class RateLimitMiddleware:
    def __init__(
        self, app: Any, ctx: MockContext, limiter: RateLimiter, tiers: dict[str, Limits]
    ) -> None:
        self.app = app
        self.ctx = ctx
        self.limiter = limiter
        self.tiers = tiers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = scope.get("mockgate.route") if scope["type"] == "http" else None
        limits = self.tiers.get(route.operation_id) if route is not None else None
        key = self._key(scope) if limits is not None else None
        if limits is None or key is None:
            await self.app(scope, receive, send)
            return
        decision = self.limiter.hit(key, limits, self.ctx.clock.timestamp())
        headers = decision.headers()
        if not decision.allowed:
            info = RequestInfo(
                scope["method"],
                scope["path"],
                scope.get("mockgate.request_id", ""),
                self.ctx.clock.now(),
            )
            error = ApiError(429, RATE_LIMITED_MESSAGE, headers=headers)
            await error_response(self.ctx, error, info)(scope, receive, send)
            return
        extra = [
            (name.lower().encode("latin-1"), value.encode()) for name, value in headers.items()
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in _HEADER_NAMES
                ]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _key(self, scope: Scope) -> str | None:
        """The valid API key the request presents, if any (bearer token first)."""
        headers = Headers(scope=scope)
        candidates = []
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            candidates.append(token.strip())
        if headers.get("x-api-key"):
            candidates.append(headers["x-api-key"])
        for candidate in candidates:
            if self.ctx.api.authenticate(self.ctx, candidate) is not None:
                return candidate
        return None
