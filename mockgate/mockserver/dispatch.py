"""Serving an operation: a routed request → security → parameters and body → handler → response.

The innermost ASGI app of a mock, one per spec it serves (the API's, the admin API's). It does
what Connexion's per-request middleware did (security, validation, argument binding) from rules
compiled at start-up (``mockgate.openapi.operations``), at a fraction of the cost: the mock is meant
to be faster than the tools it replaces while checking more. Every error leaves in the shape of
the spec it serves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect
from starlette.responses import Response

from mockgate.apis.context import MockContext
from mockgate.core.errors import ApiError, MockError, RequestInfo, describe
from mockgate.core.replies import Reply
from mockgate.mockserver.asgi import Receive, Scope, Send, read_body
from mockgate.mockserver.responses import json_response, reply_response
from mockgate.openapi.bodies import summary
from mockgate.openapi.operations import Operation
from mockgate.openapi.prefer import preferred_reply
from mockgate.openapi.routes import RouteTable
from mockgate.openapi.security import Credentials, Principal

__all__ = ["BODY", "REFUSED", "Dispatcher", "to_response"]

REFUSED = "mockgate.refused"
"""Scope key: why the request's own shape was refused (security, parameters, body)."""
BODY = "mockgate.body"
"""Scope key: the request body as the operation read it."""

log = logging.getLogger("mockgate")

ErrorRenderer = Callable[[ApiError, RequestInfo], Any]


class Dispatcher:
    def __init__(
        self,
        ctx: MockContext,
        operations: Mapping[str, Operation],
        routes: RouteTable,
        render_error: ErrorRenderer,
        verify: Callable[[str], Principal | None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.operations = operations
        self.routes = routes
        self.render_error = render_error
        self.verify = verify or (lambda credential: None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        info = RequestInfo(method, path, scope.get("mockgate.request_id", ""), self.ctx.clock.now())
        found = scope.get("mockgate.resolved") or self.routes.resolve(method, path)
        try:
            if found is None:
                unrouted = self._unrouted(method, path)
                scope[REFUSED] = unrouted["message"]
                raise MockError(**unrouted)
            route, path_params = found
            operation = self.operations[route.operation_id]
            response = await self._serve(operation, path_params, scope, receive, info)
        except ClientDisconnect:
            raise  # no one to answer (see read_body)
        except Exception as exc:  # every failure leaves in the spec's error shape
            error = describe(exc)
            if error.status >= 500 and not isinstance(exc, MockError):
                log.exception("%s %s failed", method, path, exc_info=exc)
            response = json_response(self.render_error(error, info), error.status, error.headers)
        await response(scope, receive, send)

    def _unrouted(self, method: str, path: str) -> dict[str, Any]:
        allowed = self.routes.allowed(path)
        if not allowed:
            return {"status": 404, "message": f"No operation at {method} {path}"}
        return {
            "status": 405,
            "message": f"{method} is not allowed on {path}; use {', '.join(allowed)}",
            "Allow": ", ".join(allowed),
        }

    async def _serve(
        self,
        operation: Operation,
        path_params: dict[str, str],
        scope: Scope,
        receive: Receive,
        info: RequestInfo,
    ) -> Response:
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in scope["headers"]:
            text = value.decode("latin-1")
            headers[name.decode("latin-1")] = text
            if name == b"cookie":
                cookies.append(text)
        raw_query = scope["query_string"]
        query = dict(parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True))
        try:
            principal = operation.security.authenticate(
                Credentials(info.method, headers, cookies, query), self.verify
            )
            kwargs, errors = operation.parameters.read(path_params, query, headers, cookies)
            if errors:
                raise MockError(400, summary("parameter", errors), tuple(errors))
            if operation.body is not None:
                raw = await read_body(receive)
                if raw is None:
                    raise MockError(413, "Request body is too large")
                kwargs["body"] = scope[BODY] = operation.body.read(headers.get("content-type"), raw)
        except MockError as exc:
            # The request's own shape refused (a 403 is a credential's rights, not its shape):
            # a consumer violation (``reports.coverage``).
            if exc.error.status != 403:
                scope[REFUSED] = exc.error.message
            raise
        if principal is not None:
            kwargs["user"] = principal.id
            kwargs["token_info"] = {"sub": principal.id, "principal": principal}
        prefs = scope.get("mockgate.prefer")
        if prefs is not None:
            preferred = preferred_reply(
                operation.spec, prefs, seed=self.ctx.options.seed, request_id=info.request_id
            )
            if preferred is not None:
                return reply_response(preferred)
        return to_response(await operation.handler(**operation.arguments(kwargs)))


def to_response(result: Any) -> Response:
    """A handler's result as a response: a ``Reply``, or ``body``, ``(body, status)`` or
    ``(body, status, headers)`` with a JSON body (None: no body)."""
    if isinstance(result, Reply):
        return reply_response(result)
    status, headers = 200, None
    if isinstance(result, tuple):
        body, status, *rest = result
        headers = rest[0] if rest else None
    else:
        body = result
    if body is None:
        return Response(None, status, headers)
    if isinstance(body, bytes):
        return Response(body, status, headers)
    return json_response(body, status, headers)
