"""The request pipeline every mock shares, in front of the API's middleware and operations.

For each request to the API (not to ``/__mockgate`` or the docs): a request id, the route, the
body (refused above ``MAX_BODY_BYTES`` before it is read), the journal entry, stubs, faults and
``Prefer`` (status, example, dynamic, delay), response self-validation when asked for, and one
access-log line. Every response, admin ones included, commits the store before it starts; when
the commit fails, a 500 in the API's shape goes in its place (the changes undone).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import orjson
from starlette.datastructures import Headers
from starlette.responses import Response

from mockgate.apis.context import MockContext
from mockgate.core.errors import ApiError, RequestInfo
from mockgate.core.journal import JournalEntry, raw_size
from mockgate.core.replies import Reply
from mockgate.core.stubs import Stub, StubRequest
from mockgate.mockserver.admin import admin_error_body
from mockgate.mockserver.asgi import (
    MAX_BODY_BYTES,
    Message,
    Receive,
    Scope,
    Send,
    declared_length,
    read_body,
    replay,
)
from mockgate.mockserver.dispatch import BODY, REFUSED
from mockgate.mockserver.logs import access_entry, log_access
from mockgate.mockserver.responses import (
    JSON_VALUE,
    error_response,
    json_response,
    new_request_id,
    reply_response,
)
from mockgate.openapi.prefer import PreferError, parse_prefer
from mockgate.openapi.schemas import ResponseValidator
from mockgate.reports.coverage import Coverage, violation

__all__ = ["ADMIN_PREFIX", "MAX_BODY_BYTES", "MockMiddleware"]

ADMIN_PREFIX = "/__mockgate"
# Longer query strings are refused (414), as real servers behind a proxy do past 8 KB.
MAX_QUERY_BYTES = 8 * 1024
# Past these a request head is refused (431), like nginx's and Node's defaults.
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 200
_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,200}")
_UNKNOWN = object()  # a buffered body whose value is not known without parsing it
STUB_VIOLATES = "mockgate.stub_violates"  # scope key: a stub marked violates_spec answered
log = logging.getLogger("mockgate.access")


class MockMiddleware:
    def __init__(self, app: Any, ctx: MockContext, docs_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.ctx = ctx
        self.passthrough = (ADMIN_PREFIX, *docs_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctx = self.ctx
        scope["mockgate"] = ctx
        if scope["path"].startswith(self.passthrough):
            # Admin writes (state, reset) are acknowledged durably too.
            captured = _Captured(send, ctx.store.commit, functools.partial(_admin_refusal, ctx))
            await self.app(scope, receive, captured.send)
            return

        started = time.perf_counter()
        headers = Headers(scope=scope)
        given = headers.get("x-request-id", "")
        # A client's id is echoed only when it cannot split or smuggle a header.
        request_id = given if _REQUEST_ID.fullmatch(given) else new_request_id()
        scope["mockgate.request_id"] = request_id
        info = RequestInfo(scope["method"], scope["path"], request_id, ctx.clock.now())
        resolved = ctx.routes.resolve(scope["method"], scope["path"])
        route = resolved[0] if resolved else None
        scope["mockgate.route"] = route  # what an API's own middleware acts on
        scope["mockgate.resolved"] = resolved  # what the dispatcher serves
        operation_id = route.operation_id if route else None
        refuse = functools.partial(error_response, ctx, request=info)
        captured = _Captured(send, ctx.store.commit, refuse, request_id)

        length = declared_length(scope)
        too_large = length is not None and length > MAX_BODY_BYTES
        body = b"" if too_large else await read_body(receive)
        if body is None:
            body, too_large = b"", True
        response: Response | None = None
        # Faults deliberately break the contract, so only other responses are checked.
        checked = ctx.validator is not None and operation_id is not None
        if too_large:
            error = ApiError(413, f"Request body larger than {MAX_BODY_BYTES} bytes")
            response, checked = error_response(ctx, error, info), False
            scope[REFUSED] = error.message
        elif _oversized_head(scope["headers"]):
            error = ApiError(
                431, f"Request headers over {MAX_HEADERS} lines or {MAX_HEADER_BYTES} bytes"
            )
            response, checked = error_response(ctx, error, info), False
            scope[REFUSED] = error.message
        elif len(scope["query_string"]) > MAX_QUERY_BYTES:
            error = ApiError(414, f"Query string longer than {MAX_QUERY_BYTES} bytes")
            response, checked = error_response(ctx, error, info), False
            scope[REFUSED] = error.message
        elif ctx.stubs and (stub := ctx.stubs.match(_stub_request(scope, body))) is not None:
            # A stub is the developer's override: it answers before faults, Prefer, the API's
            # guards and authentication; a deliberate violation is not self-validated.
            scope["mockgate.stub"] = stub.id
            scope[STUB_VIOLATES] = stub.violates_spec
            response = await _stub_response(stub)
            checked = checked and not stub.violates_spec
        elif operation_id is not None:
            response, injected = await self._shortcut(scope, operation_id, headers, info)
            checked = checked and not injected
        sink = _Buffer() if checked else None
        downstream = sink.send if sink else captured.send
        if response is not None:
            await response(scope, receive, downstream)
        else:
            try:
                await self.app(scope, replay(body, receive), downstream)
            except Exception as exc:  # a bug downstream still answers in the API's shape
                log.exception("%s %s failed", scope["method"], scope["path"], exc_info=exc)
                if captured.started or (sink is not None and sink.messages):
                    raise
                error = ApiError(500, f"The mock failed: {type(exc).__name__}: {exc}")
                await error_response(ctx, error, info)(scope, receive, downstream)
        if sink is not None and operation_id is not None:
            await self._checked(sink, operation_id, info, captured, scope, receive)

        self._record(scope, headers, body, captured, started, operation_id)

    async def _shortcut(
        self, scope: Scope, operation_id: str, headers: Headers, info: RequestInfo
    ) -> tuple[Response | None, bool]:
        """A response decided before the operation is dispatched (a fault, a bad ``Prefer``), and
        whether it is an injected fault. A ``Prefer`` delay is served here too."""
        ctx = self.ctx
        try:
            prefs = parse_prefer(headers.getlist("prefer"))
        except PreferError as exc:
            return error_response(ctx, ApiError(400, str(exc)), info), False
        fault = ctx.faults.take(operation_id)
        delay_ms = (fault.delay_ms if fault else 0) + (prefs.delay_ms or 0)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if fault and fault.status:
            if fault.body is not None:
                return json_response(fault.body, fault.status), True
            error = ApiError(fault.status, f"Fault injected by mockgate for {operation_id}")
            return error_response(ctx, error, info), True
        if prefs.code is not None or prefs.example is not None or prefs.dynamic:
            # Answered in place of the handler (mockgate.openapi.prefer), after authentication.
            scope["mockgate.prefer"] = prefs
        return None, False

    async def _checked(
        self,
        sink: _Buffer,
        operation_id: str,
        info: RequestInfo,
        captured: _Captured,
        scope: Scope,
        receive: Receive,
    ) -> None:
        """Send the buffered response if it conforms to the spec, else a 500 saying why."""
        ctx = self.ctx
        assert ctx.validator is not None
        problems = _violations(ctx.validator, operation_id, sink)
        if not problems:
            for message in sink.messages:
                await captured.send(message)
            return
        report = f"{info.method} {info.path} -> {sink.status}: " + "; ".join(problems)
        ctx.violations.append(report)
        log.error("response violates the %s spec: %s", ctx.name, report)
        error = ApiError(500, f"The mock's response broke its own spec: {report}")
        await error_response(ctx, error, info)(scope, receive, captured.send)

    def _record(
        self,
        scope: Scope,
        headers: Headers,
        body: bytes,
        captured: _Captured,
        started: float,
        operation_id: str | None,
    ) -> None:
        ctx = self.ctx
        duration_ms = (time.perf_counter() - started) * 1000
        query = scope.get("query_string", b"")
        entry = functools.partial(
            JournalEntry.capture,
            id=ctx.journal.next_id(),
            time=ctx.clock.now(),
            method=scope["method"],
            path=scope["path"],
            query=query.decode("latin-1"),
            headers=headers,
            body=body,
            status=captured.status,
            duration_ms=duration_ms,
            operation_id=operation_id,
            stub=scope.get("mockgate.stub"),
        )
        # Built when first read, unless the request is beyond what an entry keeps (a large body,
        # a head refused with 431): then built now, so only what an entry shows stays in memory.
        size = raw_size(scope["path"], query, scope["headers"], body)
        ctx.journal.record(entry, size)
        if ctx.coverage is not None:
            _cover(ctx.coverage, scope, headers, query, captured, operation_id, entry)
        if ctx.options.access_log:
            # The path as sent (``raw_path``): the decoded one may hold a line break.
            target = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            access = access_entry(
                ctx.name,
                scope["method"],
                target,
                query,
                captured.status,
                duration_ms,
                scope["mockgate.request_id"],
            )
            log_access(log, access)


def _cover(
    coverage: Coverage,
    scope: Scope,
    headers: Headers,
    query: bytes,
    captured: _Captured,
    operation_id: str | None,
    entry: Callable[[], JournalEntry],
) -> None:
    """What the request used of the spec, and whether the spec refuses it (a consumer
    violation: its shape refused, or a route the spec does not have, unless a stub marked
    ``violates_spec`` answered it on purpose). The API's normal answers to a well-formed request
    (an unknown id's 404, a state rule's 409) and its guards' (rate limits) are not violations."""
    resolved = scope.get("mockgate.resolved")
    coverage.record(
        operation_id=operation_id,
        method=scope["method"],
        path=scope["path"],
        status=captured.status,
        query=parse_qs(query.decode("latin-1"), keep_blank_values=True) if query else None,
        headers=headers,
        path_params=resolved[1] if resolved else None,
        body=scope.get(BODY),
        response_body=captured.value,
    )
    if scope.get(STUB_VIOLATES):
        return
    reason = scope.get(REFUSED)
    if reason is None and operation_id is None:
        reason = f"{scope['method']} {scope['path']} is not an operation of the spec"
    if reason is not None and captured.status >= 400:
        coverage.add_violation(lambda: violation(entry(), reason))


class _Captured:
    """Wraps ``send``: commits the store before the response starts (a write is acknowledged
    only once durable), remembers the status and sets ``X-Request-Id``.

    A commit that fails leaves the store as it was before the request's changes (``Store.commit``),
    so the response is replaced by a 500 from ``refuse``, in the shape of the API served, and
    later requests are served as usual.
    """

    def __init__(
        self,
        send: Send,
        commit: Callable[[], None],
        refuse: Callable[[ApiError], Response],
        request_id: str = "",
    ) -> None:
        self._send = send
        self._commit = commit
        self._refuse = refuse
        self._request_id = request_id.encode("latin-1", "replace")
        self._replaced = False
        self.status = 500
        self.started = False
        # The JSON value a ``JsonResponse`` encoded (coverage reads it: no parsing back).
        self.value: Any = None

    async def send(self, message: Message) -> None:
        if self._replaced:  # the rest of a response whose changes could not be saved
            return
        if message["type"] == "http.response.body":
            self.value = message.get(JSON_VALUE)
        elif message["type"] == "http.response.start":
            try:
                self._commit()
            except Exception as exc:
                await self._replace(exc)
                return
            self.started = True
            self.status = message["status"]
            message = self._with_id(message)
        await self._send(message)

    async def _replace(self, exc: Exception) -> None:
        log.exception("the store could not save a request's changes", exc_info=exc)
        self._replaced = True
        error = ApiError(
            500,
            "The mock could not save this request's changes and made none: "
            f"{type(exc).__name__}: {exc}",
        )
        response = self._refuse(error)
        self.started, self.status = True, response.status_code
        start = {"status": response.status_code, "headers": response.raw_headers}
        # Sent without committing again: the failed changes are undone, nothing is pending.
        await self._send(self._with_id({"type": "http.response.start", **start}))
        await self._send({"type": "http.response.body", "body": response.body})

    def _with_id(self, start: Message) -> Message:
        if not self._request_id:
            return start
        # The middleware's id wins over one copied from a spec example.
        raw = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"x-request-id"]
        raw.append((b"x-request-id", self._request_id))
        return {**start, "headers": raw}


class _Buffer:
    """Holds a response back (to validate it before it leaves)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.status = 500
        self.headers: dict[str, str] = {}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {
                k.decode("latin-1").lower(): v.decode("latin-1")
                for k, v in message.get("headers", [])
            }
        self.messages.append(message)

    @property
    def body(self) -> bytes:
        return b"".join(
            m.get("body", b"") for m in self.messages if m["type"] == "http.response.body"
        )

    @property
    def value(self) -> Any:
        """The value the body encodes, when one ``JsonResponse`` message says so; else
        ``_UNKNOWN``."""
        bodies = [m for m in self.messages if m["type"] == "http.response.body"]
        if len(bodies) == 1 and JSON_VALUE in bodies[0]:
            return bodies[0][JSON_VALUE]
        return _UNKNOWN


def _admin_refusal(ctx: MockContext, error: ApiError) -> Response:
    # The admin API's shape for what passes through (the admin API, the docs).
    info = RequestInfo("", "", "", ctx.clock.now())
    return json_response(admin_error_body(error, info), error.status, error.headers)


def _stub_request(scope: Scope, body: bytes) -> StubRequest:
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
        query.setdefault(name, []).append(value)
    headers: dict[str, list[str]] = {}
    for raw_name, raw_value in scope["headers"]:
        headers.setdefault(raw_name.decode("latin-1").lower(), []).append(
            raw_value.decode("latin-1")
        )
    route = scope["mockgate.route"]
    if route is None:
        return StubRequest(scope["method"], scope["path"], None, query, headers, body)
    return StubRequest(
        scope["method"], scope["path"], route.template, query, headers, body, route.operation_id
    )


async def _stub_response(stub: Stub) -> Response:
    answer = stub.response
    if answer.delay_ms:
        await asyncio.sleep(answer.delay_ms / 1000)
    return reply_response(
        Reply(answer.status, answer.media_type, answer.body, dict(answer.headers))
    )


def _oversized_head(headers: list[tuple[bytes, bytes]]) -> bool:
    if len(headers) > MAX_HEADERS:
        return True
    return sum(len(name) + len(value) for name, value in headers) > MAX_HEADER_BYTES


def _violations(validator: ResponseValidator, operation_id: str, sink: _Buffer) -> list[str]:
    media_type = sink.headers.get("content-type")
    raw = sink.body
    body: Any = raw
    if media_type and "json" in media_type.split(";")[0]:
        body = sink.value
        try:
            if body is _UNKNOWN:
                body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            return [f"body is not valid JSON although labelled {media_type}"]
    if not raw and sink.status in (204, 304):
        media_type = None
    problems = validator.validate(operation_id, sink.status, media_type, body)
    if problems and isinstance(body, dict | list):
        # orjson reads integers past 64 bits as floats: judge the exact values before blaming.
        problems = validator.validate(operation_id, sink.status, media_type, json.loads(raw))
    # _Captured adds the request id on the way out, after this check.
    headers = sink.headers | {"x-request-id": "set-by-the-middleware"}
    return problems + validator.validate_headers(operation_id, sink.status, headers)
