"""``create_proxy_app``: an ASGI app that forwards to a real server and judges every exchange.

Each request goes to the upstream as sent (within the proxy's bounds); the request and the
upstream's response are validated against the API's spec by openapi-core, off the event loop;
what breaks the spec is logged and kept with the exchange (``/__mockgate/violations``). The
proxy judges the upstream: a request that breaks the spec is still forwarded and recorded as
the client's, counted apart from the upstream's violations (its refusal, if the operation does
not declare that status, is not held against the upstream), and with ``strict`` a response that
breaks the spec is replaced by a 502 in the API's own error shape that lists why.
``/__mockgate/*`` is the proxy's own and never forwarded.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import httpx
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

from mockgate.apis.base import MockApi, load_api
from mockgate.core.errors import ApiError, FieldError, RequestInfo
from mockgate.mockserver.responses import json_response
from mockgate.openapi.catalog import get_api
from mockgate.openapi.routes import Route
from mockgate.proxy.forward import (
    BodyTooLarge,
    Upstream,
    UpstreamResponse,
    decoded,
    upstream_headers,
)
from mockgate.proxy.validate import ProxiedRequest, ProxiedResponse, SpecValidator
from mockgate.proxy.violations import (
    NOT_IN_SPEC,
    Exchange,
    Redactor,
    Violation,
    ViolationStore,
    excerpt,
)

__all__ = ["ADMIN_PREFIX", "Proxy", "ProxyApp", "ProxyOptions", "create_proxy_app", "proxy_of"]

log = logging.getLogger("mockgate.proxy")

ADMIN_PREFIX = "/__mockgate"
_PROBLEM_CHARS = 300  # one problem's share of a --strict 502 message
_PROBLEMS_SHOWN = 3

T = TypeVar("T")


@dataclass(frozen=True)
class ProxyOptions:
    strict: bool = False
    timeout: float = 30.0  # seconds for the upstream to answer
    max_request_bytes: int = 10 * 1024 * 1024
    max_response_bytes: int = 32 * 1024 * 1024
    max_violations: int = 1000  # the latest ones are kept


class Proxy:
    """One API's proxy: the spec's validator, the upstream, the violations found so far."""

    def __init__(
        self,
        api: str,
        upstream: str,
        options: ProxyOptions | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.api = api
        self.options = options or ProxyOptions()
        spec = get_api(api)
        self.plugin: MockApi = load_api(api)
        self.validator = SpecValidator.from_api(api)
        self.redactor = Redactor.from_spec(spec.document)
        self.upstream = Upstream(
            upstream,
            timeout=self.options.timeout,
            max_response_bytes=self.options.max_response_bytes,
            transport=transport,
        )
        self.violations = ViolationStore(self.options.max_violations)
        self._limiter: anyio.CapacityLimiter | None = None

    async def _off_loop(self, function: Callable[..., T], *args: Any) -> T:
        # openapi-core is CPU-bound (milliseconds per exchange): one worker thread keeps the
        # event loop free for other exchanges and never runs two validations at once.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(1)
        return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)

    async def handle(self, request: Request) -> Response:
        """Forward ``request``, judge the exchange, answer with the upstream's response (or, with
        ``strict`` and a violating response, a 502 that says why)."""
        scope = request.scope
        method, path = request.method, scope["path"]
        query = scope["query_string"].decode("latin-1")
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        info = RequestInfo(method, path, request_id, datetime.now(UTC))
        try:
            body = await _read_bounded(request, self.options.max_request_bytes)
        except BodyTooLarge as exc:
            return self.error(info, 413, f"Request body too large: the proxy forwards {exc}")
        if self._is_machinery(request):
            try:
                answer, _ = await self._forward(request, body)
            except (httpx.HTTPError, BodyTooLarge) as exc:
                return self.error(info, *self._failure(exc))
            return _passthrough(answer)

        route = self.validator.route(method, path)
        proxied = None if route is None else self._proxied(request, query, body)
        # The request is judged while the upstream works on it.
        judging = asyncio.create_task(self._judge_request(method, path, proxied))
        try:
            answer, plain = await self._forward(request, body)
        except (httpx.HTTPError, BodyTooLarge) as exc:
            request_problems = await judging
            return self._unanswered(info, request, query, body, route, request_problems, exc)
        except BaseException:
            judging.cancel()
            raise
        request_problems = await judging
        # Not judged (None) where the spec says nothing about the answer: no such operation,
        # or a refusal it does not declare of a request outside the contract.
        response_problems = None
        if (
            route is not None
            and proxied is not None
            and not (request_problems and self._refused_undeclared(route, answer.status))
        ):
            judged = ProxiedResponse(answer.status, _headers(answer.headers), plain)
            response_problems = await self._off_loop(
                self.validator.response_errors, proxied, judged, route
            )
        operation = route.operation_id if route is not None else NOT_IN_SPEC
        replace = self.options.strict and bool(response_problems)
        exchange = self._exchange(request, query, body, answer.status, answer.headers, plain)
        violation = self.violations.record(
            operation, exchange, request_problems, response_problems, replaced=replace
        )
        if violation is not None:
            self._log(violation)
        if replace and violation is not None:
            return self.error(
                info,
                502,
                self._strict_message(exchange, violation.response),
                tuple(FieldError("response", p) for p in violation.response),
                {"X-Mockgate-Violation": str(violation.id)},
            )
        return _passthrough(answer)

    def _is_machinery(self, request: Request) -> bool:
        """HTTP's own machinery, passed on and not judged: a CORS preflight, and HEAD where
        the spec has GET (unless the spec has an operation for exactly that)."""
        method, path = request.method, request.scope["path"]
        route = self.validator.route(method, path)
        if route is not None and route.method == method:
            return False
        return _is_preflight(request) or (
            method == "HEAD" and "GET" in self.validator.routes.allowed(path)
        )

    async def _judge_request(
        self, method: str, path: str, proxied: ProxiedRequest | None
    ) -> list[str]:
        if proxied is None:
            return [self.validator.not_in_spec(method, path)]
        return await self._off_loop(self.validator.request_errors, proxied)

    async def _forward(self, request: Request, body: bytes) -> tuple[UpstreamResponse, bytes]:
        """The upstream's answer, and its body decoded (as the client will read it)."""
        scope = request.scope
        answer = await self.upstream.send(
            request.method,
            scope.get("raw_path") or scope["path"].encode(),
            scope["query_string"],
            upstream_headers(
                scope["headers"],
                client=request.client.host if request.client else "unknown",
                scheme=scope.get("scheme", "http"),
            ),
            body,
        )
        return answer, decoded(answer, self.options.max_response_bytes)

    def _failure(self, exc: Exception) -> tuple[int, str]:
        """The status and message of the proxy's answer when the upstream gave none."""
        upstream = self.upstream.base_url
        if isinstance(exc, httpx.TimeoutException):
            return 504, f"The upstream {upstream} did not answer within {self.options.timeout:g} s"
        if isinstance(exc, BodyTooLarge):
            return 502, (
                f"The upstream {upstream} answered with a body of {exc}, more than the proxy "
                "passes on"
            )
        return (
            502,
            f"The upstream {upstream} could not be reached: {str(exc) or type(exc).__name__}",
        )

    def _proxied(self, request: Request, query: str, body: bytes) -> ProxiedRequest:
        return ProxiedRequest.build(
            self.validator.host_url,
            request.method,
            request.scope["path"],
            query,
            request.headers,
            body,
        )

    def _exchange(
        self,
        request: Request,
        query: str,
        body: bytes,
        status: int,
        response_headers: list[tuple[bytes, bytes]],
        response_body: bytes,
    ) -> Exchange:
        headers = _headers(response_headers)
        return Exchange(
            method=request.method,
            path=request.scope["path"],
            query=self.redactor.query_of(query),
            request_headers=self.redactor.headers_of(request.headers.items()),
            request_body=excerpt(body, request.headers.get("content-type", "")),
            status=status,
            response_headers=self.redactor.headers_of(headers.items()),
            response_body=excerpt(response_body, headers.get("content-type", "")),
        )

    def _unanswered(
        self,
        info: RequestInfo,
        request: Request,
        query: str,
        body: bytes,
        route: Route | None,
        request_problems: list[str],
        exc: Exception,
    ) -> Response:
        """The proxy's own error when the upstream gave no usable answer; the request's own
        violations are still recorded (the response is not judged: it is the proxy's)."""
        status, message = self._failure(exc)
        log.warning("%s %s: %s", info.method, info.path, message)
        if request_problems:
            violation = self.violations.record(
                route.operation_id if route is not None else NOT_IN_SPEC,
                self._exchange(request, query, body, status, [], b""),
                request_problems,
                None,
            )
            if violation is not None:
                self._log(violation)
        return self.error(info, status, message)

    def _refused_undeclared(self, route: Route, status: int) -> bool:
        """Whether ``status`` is a 4xx refusal the operation does not declare: the spec says
        what answers a request in the contract, so refusing one outside it (a client's
        malformed request) any way it likes is no departure of the upstream."""
        return 400 <= status < 500 and not self.validator.declares(route, status)

    def _log(self, violation: Violation) -> None:
        """The upstream's violations as warnings; a request outside the contract that the
        upstream answered within it is the client's, said at info level."""
        level = logging.WARNING if violation.response else logging.INFO
        who = "violation" if violation.response else "client request outside the contract"
        log.log(level, "%s %s %d: %s", self.api, who, violation.id, violation.summary())

    def _strict_message(self, exchange: Exchange, problems: tuple[str, ...]) -> str:
        shown = [_shorten(p) for p in problems[:_PROBLEMS_SHOWN]]
        more = len(problems) - len(shown)
        tail = f" (and {more} more)" if more else ""
        return (
            f"mockgate proxy --strict: the upstream's {exchange.status} response to "
            f"{exchange.method} {exchange.path} breaks the {self.api} spec: "
            + "; ".join(shown)
            + tail
            + f". Every detail: GET {ADMIN_PREFIX}/violations"
        )

    def error(
        self,
        info: RequestInfo,
        status: int,
        message: str,
        details: tuple[FieldError, ...] = (),
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The proxy's own answer, in the API's documented error shape."""
        error = ApiError(status, message, details, dict(headers or {}))
        body = self.plugin.error_body(error, info)
        return json_response(body, status, {**error.headers, "X-Request-Id": info.request_id})

    async def admin(self, request: Request) -> Response:
        """``/__mockgate/violations``: GET lists them (with each exchange), DELETE clears."""
        path = request.scope["path"]
        if path.rstrip("/") != f"{ADMIN_PREFIX}/violations":
            return _admin_error(404, f"No proxy endpoint at {path}; see {ADMIN_PREFIX}/violations")
        if request.method == "GET":
            return json_response(self.violations.to_json())
        if request.method == "DELETE":
            self.violations.clear()
            return Response(status_code=204)
        return _admin_error(
            405, f"{request.method} is not allowed on {path}; use GET, DELETE", Allow="GET, DELETE"
        )


class ProxyApp:
    """The ASGI app: ``/__mockgate`` answered here, every other HTTP request proxied."""

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":  # WebSockets are not proxied
            await WebSocketClose()(scope, receive, send)
            return
        request = Request(scope, receive)
        path = scope["path"]
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            response = await self.proxy.admin(request)
        else:
            try:
                response = await self.proxy.handle(request)
            except Exception as exc:  # a bug of the proxy: the client still gets the API's shape
                log.exception("%s %s failed in the proxy", request.method, path)
                info = RequestInfo(request.method, path, "", datetime.now(UTC))
                response = self.proxy.error(info, 500, f"The proxy failed: {exc!r}")
        await response(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.proxy.upstream.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_proxy_app(
    api: str,
    upstream: str,
    options: ProxyOptions | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ProxyApp:
    """The validating proxy for ``api`` (a bundled API) in front of the server at ``upstream``.

    ``transport`` replaces the network (tests serve an upstream app in-process with
    ``httpx.ASGITransport``).
    """
    return ProxyApp(Proxy(api, upstream, options, transport=transport))


def proxy_of(app: ProxyApp) -> Proxy:
    """The ``Proxy`` behind an app from ``create_proxy_app`` (its violations, its upstream)."""
    return app.proxy


async def _read_bounded(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _is_preflight(request: Request) -> bool:
    return request.method == "OPTIONS" and "access-control-request-method" in request.headers


def _headers(raw: list[tuple[bytes, bytes]]) -> Headers:
    return Headers(raw=[(name.lower(), value) for name, value in raw])


def _passthrough(answer: UpstreamResponse) -> Response:
    response = Response(answer.body, answer.status)
    # The upstream's headers exactly (repeated ones such as Set-Cookie included), and its
    # Content-Length, which still matches: the body is passed on as it came, encoding and all.
    headers = [(name.lower(), value) for name, value in answer.headers]
    if answer.body and all(name != b"content-length" for name, _ in headers):
        headers.append((b"content-length", str(len(answer.body)).encode()))  # it came chunked
    response.raw_headers = headers
    return response


def _admin_error(status: int, message: str, **headers: str) -> Response:
    return json_response({"error": message, "status": status}, status, headers)


def _shorten(text: str) -> str:
    return text if len(text) <= _PROBLEM_CHARS else text[: _PROBLEM_CHARS - 3] + "..."
