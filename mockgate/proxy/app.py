"""``create_proxy_app``: an ASGI app that forwards to a real server and judges every exchange.

Each request goes to the upstream as sent (within the proxy's bounds); the request and the
upstream's response are validated against the API's spec by openapi-core, off the event loop;
what breaks the spec is logged and kept with the exchange (``/__mockgate/violations``). The
proxy judges the upstream: a request that breaks the spec is still forwarded and recorded as
the client's, counted apart from the upstream's violations (its refusal, if the operation does
not declare that status, is not held against the upstream), and with ``strict`` a response that
breaks the spec is replaced by a 502 in the API's own error shape that lists why.
``/__mockgate/*`` is the proxy's own and never forwarded.

``timeout`` is one deadline for the whole exchange (connect, send, the answer to its last
byte). Answers stream through (``relay``): a JSON or text body within ``validate_max_bytes`` is
read whole and judged before the client gets it; a larger one is passed on as it comes and
recorded as not judged ("too large"); any other body (an image) is judged by its status, type
and headers, and streamed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs

import anyio
import anyio.to_thread
import httpx
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

from mockgate.apis.base import MockApi, load_api
from mockgate.core.access import AdminPolicy, HostPolicy
from mockgate.core.errors import ApiError, FieldError, RequestInfo
from mockgate.mockserver.asgi import MAX_BODY_BYTES
from mockgate.mockserver.responses import json_response
from mockgate.openapi.catalog import get_api
from mockgate.openapi.routes import Route
from mockgate.proxy.forward import (
    Answer,
    BodyTooLarge,
    Upstream,
    UpstreamResponse,
    decoded,
    upstream_headers,
)
from mockgate.proxy.relay import Cut, Relay
from mockgate.proxy.validate import ProxiedRequest, ProxiedResponse, SpecValidator, is_textual
from mockgate.proxy.violations import (
    EXCERPT_CHARS,
    NOT_IN_SPEC,
    Exchange,
    Redactor,
    Unjudged,
    Violation,
    ViolationStore,
    excerpt,
)
from mockgate.reports.coverage import ConsumerViolation, Coverage

__all__ = ["ADMIN_PREFIX", "Proxy", "ProxyApp", "ProxyOptions", "create_proxy_app", "proxy_of"]

log = logging.getLogger("mockgate.proxy")

ADMIN_PREFIX = "/__mockgate"
_PROBLEM_CHARS = 300  # one problem's share of a --strict 502 message
_PROBLEMS_SHOWN = 3
_KEPT_BYTES = EXCERPT_CHARS * 4  # of a streamed body, for its excerpt

T = TypeVar("T")


@dataclass(frozen=True)
class ProxyOptions:
    strict: bool = False
    timeout: float = 30.0  # seconds for the whole exchange: connect, send, the complete answer
    max_request_bytes: int = MAX_BODY_BYTES  # the mock's own bound
    # A JSON or text response larger than this is passed on unjudged (it streams through
    # either way): what is judged is held in memory whole, and parsed.
    validate_max_bytes: int = 4 * 1024 * 1024
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
        self.upstream = Upstream(upstream, timeout=self.options.timeout, transport=transport)
        self.violations = ViolationStore(self.options.max_violations)
        # What the client's traffic used of the spec, and its requests outside the contract.
        self.coverage = Coverage.for_spec(spec)
        self._limiter: anyio.CapacityLimiter | None = None

    async def _off_loop(self, function: Callable[..., T], *args: Any) -> T:
        # openapi-core is CPU-bound (milliseconds per exchange): one worker thread keeps the
        # event loop free for other exchanges and never runs two validations at once.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(1)
        return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)

    async def handle(self, request: Request) -> Response | Relay:
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
        # One deadline for the whole exchange: connect, send, and the answer to its last byte.
        deadline = anyio.current_time() + self.options.timeout
        if self._is_machinery(request):
            try:
                answer, head, complete = await self._forward(request, body, deadline)
            except (httpx.HTTPError, TimeoutError) as exc:
                return self.error(info, *self._failure(exc))
            if complete:
                return _passthrough(answer.whole(head))
            return Relay(answer, head, deadline=deadline, on_end=lambda *_: None)

        route = self.validator.route(method, path)
        proxied = None if route is None else self._proxied(request, query, body)
        # The request is judged while the upstream works on it.
        judging = asyncio.create_task(self._judge_request(method, path, proxied))
        try:
            answer, head, complete = await self._forward(request, body, deadline)
        except (httpx.HTTPError, TimeoutError) as exc:
            request_problems = await judging
            return self._unanswered(info, request, query, body, route, request_problems, exc)
        except BaseException:
            judging.cancel()
            raise
        try:
            request_problems = await judging
            judged = self._judged(route, proxied, answer.status, request_problems)
            response_problems, unjudged = None, None
            if judged and route is not None and proxied is not None:
                response_problems, unjudged = await self._judge_response(
                    proxied, route, answer, head, complete
                )
        except BaseException:
            with anyio.CancelScope(shield=True):
                await answer.aclose()
            raise
        operation = route.operation_id if route is not None else NOT_IN_SPEC
        if self.options.strict and response_problems:
            with anyio.CancelScope(shield=True):
                await answer.aclose()
            exchange = self._exchange(request, query, body, answer.status, answer.headers, head)
            violation = self._record(
                operation, exchange, request_problems, response_problems, replaced=True
            )
            assert violation is not None  # it has response problems
            return self.error(
                info,
                502,
                self._strict_message(exchange, violation.response),
                tuple(FieldError("response", p) for p in violation.response),
                {"X-Mockgate-Violation": str(violation.id)},
            )
        if complete:
            exchange = self._exchange(request, query, body, answer.status, answer.headers, head)
            self._record(operation, exchange, request_problems, response_problems, unjudged)
            return _passthrough(answer.whole(head))

        # Passed on as it arrives; on record once it has ended. A text body kept for the
        # record is its beginning (none when compressed: undecodable without the rest).
        encoded = any(name.lower() == b"content-encoding" for name, _ in answer.headers)
        beginning = b"" if encoded else head[:_KEPT_BYTES]
        cap = self.options.validate_max_bytes

        def ended(size: int, cut: Cut | None, why: str) -> None:
            problems, reason = response_problems, unjudged
            if cut is not None:
                problems, reason = None, self._cut(cut, why, size)
            elif judged and is_textual(answer.content_type):
                reason = Unjudged("too large", f"too large ({size} bytes, cap {cap})")
            exchange = self._exchange(
                request, query, body, answer.status, answer.headers, beginning, size
            )
            self._record(operation, exchange, request_problems, problems, reason)

        return Relay(answer, head, deadline=deadline, on_end=ended)

    def _judged(
        self,
        route: Route | None,
        proxied: ProxiedRequest | None,
        status: int,
        request_problems: list[str],
    ) -> bool:
        """Whether the response is judged: not where the spec says nothing about the answer
        (no such operation, or a refusal it does not declare of a request outside the
        contract)."""
        return (
            route is not None
            and proxied is not None
            and not (request_problems and self._refused_undeclared(route, status))
        )

    async def _judge_response(
        self, proxied: ProxiedRequest, route: Route, answer: Answer, head: bytes, complete: bool
    ) -> tuple[list[str] | None, Unjudged | None]:
        """The response's problems, or why it is not judged. A JSON or text body is judged
        when it fits ``validate_max_bytes``; any other body is judged by its status, type and
        headers alone, whatever its size."""
        headers = _headers(answer.headers)
        cap = self.options.validate_max_bytes
        if not is_textual(answer.content_type):
            plain = b""
        elif not complete:
            return None, None  # too large: said once its size is known
        else:
            try:
                plain = decoded(answer.whole(head), cap)
            except BodyTooLarge:
                return None, Unjudged("too large", f"too large (more than {cap} bytes decoded)")
        judged = ProxiedResponse(answer.status, headers, plain)
        problems = await self._off_loop(self.validator.response_errors, proxied, judged, route)
        return problems, None

    def _cut(self, cut: Cut, why: str, size: int) -> Unjudged:
        """Why a response the client got only part of is not judged."""
        timeout = self.options.timeout
        if cut is Cut.UPSTREAM_TIMED_OUT:
            detail = f"upstream timed out after {timeout:g} s, in the middle of the body"
        elif cut is Cut.CLIENT_TOO_SLOW:
            detail = f"client too slow: the response not taken within {timeout:g} s"
        else:
            detail = f"{cut.value}: {why}"
        log.warning("response cut short: %s; %d bytes of the body passed on", detail, size)
        return Unjudged(cut.value, f"{detail}; {size} bytes passed on")

    def _record(
        self,
        operation: str,
        exchange: Exchange,
        request_problems: list[str],
        response_problems: list[str] | None,
        unjudged: Unjudged | None = None,
        *,
        replaced: bool = False,
    ) -> Violation | None:
        violation = self.violations.record(
            operation, exchange, request_problems, response_problems, replaced, unjudged
        )
        _cover(self.coverage, operation, exchange, request_problems)
        if violation is not None:
            self._log(violation)
        if unjudged is not None:
            log.info("%s [%s] not judged: %s", exchange.describe(), operation, unjudged.detail)
        return violation

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

    async def _forward(
        self, request: Request, body: bytes, deadline: float
    ) -> tuple[Answer, bytes, bool]:
        """The upstream's answer by ``deadline``: its head, and its body's beginning read (all
        of it when the body is JSON or text within ``validate_max_bytes``, and whether that is
        all; nothing of any other body: it is judged without it)."""
        scope = request.scope
        with anyio.fail_at(deadline):
            answer = await self.upstream.open(
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
            try:
                if not is_textual(answer.content_type):
                    return answer, b"", False
                head, complete = await answer.read_up_to(self.options.validate_max_bytes)
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await answer.aclose()
                raise
        return answer, head, complete

    def _failure(self, exc: Exception) -> tuple[int, str]:
        """The status and message of the proxy's answer when the upstream gave none."""
        upstream = self.upstream.base_url
        if isinstance(exc, httpx.TimeoutException | TimeoutError):
            return 504, (
                f"The upstream {upstream} did not answer within {self.options.timeout:g} s"
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
        response_size: int | None = None,
    ) -> Exchange:
        """The exchange as evidence; ``response_size`` the whole body's when ``response_body``
        is only its beginning."""
        headers = _headers(response_headers)
        return Exchange(
            method=request.method,
            path=request.scope["path"],
            query=self.redactor.query_of(query),
            request_headers=self.redactor.headers_of(request.headers.items()),
            request_body=excerpt(body, request.headers.get("content-type", "")),
            status=status,
            response_headers=self.redactor.headers_of(headers.items()),
            response_body=excerpt(response_body, headers.get("content-type", ""), response_size),
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
        """The proxy's own error when the upstream gave no answer; the exchange is recorded,
        the request's own violations with it (the response is not judged: it is the proxy's)."""
        status, message = self._failure(exc)
        log.warning("%s %s: %s", info.method, info.path, message)
        timed_out = status == 504
        kind = "upstream timed out" if timed_out else "upstream unreachable"
        detail = (
            f"upstream timed out: no answer within {self.options.timeout:g} s"
            if timed_out
            else f"upstream unreachable: {str(exc) or type(exc).__name__}"
        )
        self._record(
            route.operation_id if route is not None else NOT_IN_SPEC,
            self._exchange(request, query, body, status, [], b""),
            request_problems,
            None,
            Unjudged(kind, f"{detail}; the client got a {status}"),
        )
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
        """``/__mockgate/violations``: GET lists them (with each exchange), DELETE clears.

        The mock's admin rules hold here too: no DNS-rebound ``Host``, no foreign ``Origin``."""
        path = request.scope["path"]
        hosts = request.headers.getlist("host")
        refused = _HOSTS.refusal(hosts, request.scope.get("http_version", "1.1"))
        if refused is not None:
            return _admin_error(403, refused)
        # GET and DELETE only: no simple cross-site request sends a DELETE, so no content type
        # is asked for.
        error = _ADMIN.origin_refusal(_lower_headers(request), request.url.scheme)
        if error is not None:
            return _admin_error(error.status, error.message)
        endpoint = path.rstrip("/")
        if endpoint not in (f"{ADMIN_PREFIX}/violations", f"{ADMIN_PREFIX}/coverage"):
            return _admin_error(404, f"No proxy endpoint at {path}; see {ADMIN_PREFIX}/violations")
        coverage = endpoint.endswith("/coverage")
        if request.method == "GET":
            return json_response(self.coverage.to_json() if coverage else self.violations.to_json())
        if request.method == "DELETE":
            if coverage:
                self.coverage.clear()
            else:
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
        response: Response | Relay
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


# The proxy's admin endpoint only lists and clears what it saw: origin and Host rules, no token.
_HOSTS = HostPolicy()
_ADMIN = AdminPolicy()


def _cover(
    coverage: Coverage, operation: str, exchange: Exchange, request_problems: list[str]
) -> None:
    """The exchange into the coverage: bodies as far as the record kept them (a body cut to its
    beginning is not JSON, and adds no properties); a request outside the contract is the
    client's violation."""
    in_spec = operation != NOT_IN_SPEC
    coverage.record(
        operation_id=operation if in_spec else None,
        method=exchange.method,
        path=exchange.path,
        status=exchange.status,
        query=parse_qs(exchange.query, keep_blank_values=True),
        headers={name.lower(): value for name, value in exchange.request_headers.items()},
        body=_json_or_none(exchange.request_body),
        response_body=_json_or_none(exchange.response_body),
    )
    if request_problems or not in_spec:
        reason = "; ".join(request_problems) or "not an operation of the spec"
        request = {
            "method": exchange.method,
            "path": exchange.path,
            "query": exchange.query,
            "headers": exchange.request_headers,
            "body": exchange.request_body,
        }
        coverage.add_violation(
            ConsumerViolation(
                exchange.method,
                exchange.path,
                operation if in_spec else None,
                exchange.status,
                reason,
                request,
            )
        )


def _json_or_none(text: str | None) -> Any:
    try:
        return None if not text else json.loads(text)
    except (ValueError, RecursionError):  # not JSON, cut short, or nested past Python's stack
        return None


def _lower_headers(request: Request) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def _admin_error(status: int, message: str, **headers: str) -> Response:
    return json_response({"error": message, "status": status}, status, headers)


def _shorten(text: str) -> str:
    return text if len(text) <= _PROBLEM_CHARS else text[: _PROBLEM_CHARS - 3] + "..."
