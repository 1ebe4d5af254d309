"""The outermost layers of a mock: the ``Host`` check on every route, and the admin API's own
rules (origin, token, content type) in front of ``/__mockgate``.

The rules are ``mockgate.core.access``'s; this module only reads them off the ASGI scope and
answers a refusal in the right shape: the admin's for ``/__mockgate``, the API's for the rest.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from mockgate.apis.context import MockContext
from mockgate.core.access import AdminPolicy, HostPolicy
from mockgate.core.errors import ApiError, RequestInfo
from mockgate.mockserver.asgi import Receive, Scope, Send
from mockgate.mockserver.middleware import ADMIN_PREFIX
from mockgate.mockserver.responses import error_response, json_response, new_request_id

__all__ = ["AdminGate", "HostGate"]

ErrorRenderer = Callable[[ApiError, RequestInfo], Any]


class HostGate:
    """Refuses (403) a request whose ``Host`` the mock does not serve (``HostPolicy``), before
    anything else sees it: CORS, the journal, the docs, the admin API."""

    def __init__(
        self, app: Any, ctx: MockContext, policy: HostPolicy, admin_error: ErrorRenderer
    ) -> None:
        self.app = app
        self.ctx = ctx
        self.policy = policy
        self.admin_error = admin_error
        # A client sends the same Host on every request: judge each value once.
        self.refusal = functools.lru_cache(maxsize=256)(self._refusal)

    def _refusal(self, hosts: tuple[bytes, ...], http_version: str) -> str | None:
        return self.policy.refusal((h.decode("latin-1") for h in hosts), http_version)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            hosts = tuple([v for k, v in scope["headers"] if k == b"host"])
            reason = self.refusal(hosts, scope.get("http_version", "1.1"))
            if reason is not None:
                error = ApiError(403, reason)
                await _refuse(self.ctx, self.admin_error, error, scope, receive, send)
                return
        await self.app(scope, receive, send)


class AdminGate:
    """Holds ``/__mockgate`` requests to the admin's rules (``AdminPolicy``) before ``app``
    sees them; other requests go straight on."""

    def __init__(
        self,
        app: Any,
        ctx: MockContext,
        policy: AdminPolicy,
        admin_error: ErrorRenderer,
        docs_prefixes: tuple[str, ...],
    ) -> None:
        self.app = app
        self.ctx = ctx
        self.policy = policy
        self.admin_error = admin_error
        self.docs_prefixes = docs_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        docs = method in ("GET", "HEAD") and scope["path"].startswith(self.docs_prefixes)
        error = self.policy.refusal(method, headers, scope.get("scheme", "http"), docs=docs)
        if error is not None:
            await _refuse(self.ctx, self.admin_error, error, scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _refuse(
    ctx: MockContext,
    admin_error: ErrorRenderer,
    error: ApiError,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """``error`` in the admin's shape under ``/__mockgate``, else in the API's."""
    request_id = new_request_id()
    error = ApiError(error.status, error.message, error.details, {"X-Request-Id": request_id})
    info = RequestInfo(scope["method"], scope["path"], request_id, ctx.clock.now())
    if scope["path"].startswith(ADMIN_PREFIX):
        response = json_response(admin_error(error, info), error.status, error.headers)
    else:
        response = error_response(ctx, error, info)
    await response(scope, receive, send)
