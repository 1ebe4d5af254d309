"""The rate limits as a request guard (``StateTracking.guards`` installs it).

It runs after the shared request pipeline (request id, faults, ``Prefer`` parsing) and before
authentication, and acts only on requests for a rate-limited operation of the API (an
operation with limits): never on ``/__mockgate``, the docs, health routes, unknown paths or
wrong methods.

**What counts.** Requests presenting a *valid* API key (``Authorization: Bearer`` or
``X-API-Key``, as the API accepts them; a read-only key too), in that key's bucket for the
route (operation) asked for, whatever
the answer turns out to be (400, 403, 404... cost the server a request too). Requests without a
valid key are not counted and carry no rate-limit headers: authentication answers them 401
anyway, and counting them would let anyone exhaust a bucket (and the limiter's memory) with
made-up keys. Answers from injected faults never reach the limiter.

Allowed requests get ``X-RateLimit-Limit/-Remaining/-Reset`` on their response, whatever its
status; refused ones a 429 in the API's envelope with ``retry_after`` and ``Retry-After`` (see
``ratelimit`` for the windows).
"""

from __future__ import annotations

from collections.abc import Mapping

from mockgate.apis.base import GuardedRequest
from mockgate.apis.context import MockContext
from mockgate.apis.state_tracking.ratelimit import Limits, RateLimiter
from mockgate.core.errors import ApiError

__all__ = ["RATE_LIMITED_MESSAGE", "RateLimitGuard"]

RATE_LIMITED_MESSAGE = "Too many requests - rate limit exceeded"


class RateLimitGuard:
    def __init__(self, ctx: MockContext, limiter: RateLimiter, routes: dict[str, Limits]) -> None:
        self.ctx = ctx
        self.limiter = limiter
        self.routes = routes  # by operationId

    def __call__(self, request: GuardedRequest) -> ApiError | Mapping[str, str] | None:
        limits = self.routes.get(request.operation_id)
        key = self._key(request.headers) if limits is not None else None
        if limits is None or key is None:
            return None
        decision = self.limiter.hit(key, limits, self.ctx.clock.timestamp())
        if not decision.allowed:
            return ApiError(429, RATE_LIMITED_MESSAGE, headers=decision.headers())
        return decision.headers()

    def _key(self, headers: Mapping[str, str]) -> str | None:
        """The valid API key the request presents, if any (bearer token first)."""
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
