"""Deliberately broken variants of our own mocks: an ASGI wrapper that alters the requests an
unmodified mock sees, or the responses it gives, for chosen operations.

``Variant(app, api, mutation, ...)`` wraps the mock ``app`` of ``api``. A ``Mutation`` names the
operations it concerns (by operationId, or by a path regex) and may rewrite the request before
the mock sees it (path, query, headers) and the response after (status, headers, JSON body). The
factories below are the broken behaviours the checks must catch; each says which.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from mockgate.contracts.checks.support import effective_limit, records, size_param
from mockgate.openapi.catalog import get_api

__all__ = [
    "Mutation",
    "Request",
    "Response",
    "Variant",
    "accept_missing_credential",
    "add_fields",
    "change_type",
    "crash_on",
    "drop_field",
    "end_before_start",
    "exceed_limit",
    "flip_chain_valid",
    "ignore_filters",
    "leak_between_users",
    "lie_about_has_more",
    "mislabel_content_type",
    "on_json",
    "overlap_offset_pages",
    "redirect_unauthenticated",
    "reject_param",
    "repeat_cursor_record",
    "reverse_order",
    "server_error",
    "tamper_event",
    "total_ignores_filters",
    "unauthorized_shape",
    "wrong_counters",
    "wrong_llm_calls",
    "wrong_status",
]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    operation_id: str | None
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]  # lower-case names

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)

    def without_params(self, *names: str) -> Request:
        return replace(self, query=tuple((k, v) for k, v in self.query if k not in names))

    def with_param(self, name: str, value: str) -> Request:
        return replace(self, query=(*self.without_params(name).query, (name, value)))

    def with_header(self, name: str, value: str) -> Request:
        kept = tuple((k, v) for k, v in self.headers if k != name.lower())
        return replace(self, headers=(*kept, (name.lower(), value)))


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @json.setter
    def json(self, value: Any) -> None:
        self.body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        self.set_header("content-type", "application/json")

    def set_header(self, name: str, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k != name] + [(name, value)]


RequestEdit = Callable[[Request], Request]
BodyEdit = Callable[[Request, bytes], bytes]
ResponseEdit = Callable[[Request, Response], Response]


@dataclass(frozen=True)
class Mutation:
    """What to alter, and where: ``operations`` (operationIds) and/or ``path`` (a regex on the
    request path); neither means every request."""

    name: str
    operations: frozenset[str] = frozenset()
    path: str | None = None
    request: RequestEdit | None = None
    body: BodyEdit | None = None  # rewrites the request body the mock sees
    response: ResponseEdit | None = None

    def applies(self, request: Request) -> bool:
        if self.operations and request.operation_id not in self.operations:
            return False
        return self.path is None or re.search(self.path, request.path) is not None


class Variant:
    """An ASGI app: the mock ``app`` of ``api`` with ``mutations`` applied."""

    def __init__(self, app: Any, api: str, *mutations: Mutation) -> None:
        self.app = app
        self.api = api
        self.mutations = mutations
        spec = get_api(api)
        # Literal paths before templated ones, so /sessions/stale never reads as /sessions/{id}.
        ordered = sorted(spec.operations, key=lambda op: op.path.count("{"))
        self._routes = [
            (
                op.method,
                re.compile("^" + re.sub(r"\{[^}/]+\}", "[^/]+", op.path) + "$"),
                op.operation_id or "",
            )
            for op in ordered
        ]

    def __repr__(self) -> str:
        return f"Variant({self.api}: {', '.join(m.name for m in self.mutations)})"

    def operation_of(self, method: str, path: str) -> str | None:
        for route_method, pattern, operation_id in self._routes:
            if route_method == method and pattern.match(path):
                return operation_id
        return None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(
            method=scope["method"].upper(),
            path=scope["path"],
            operation_id=self.operation_of(scope["method"].upper(), scope["path"]),
            query=tuple(
                parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            ),
            headers=tuple(
                (k.decode("latin-1").lower(), v.decode("latin-1"))
                for k, v in scope.get("headers", [])
            ),
        )
        active = [m for m in self.mutations if m.applies(request)]
        if not active:
            await self.app(scope, receive, send)
            return
        for mutation in active:
            if mutation.request is not None:
                request = mutation.request(request)
        inner = dict(scope)
        if request.path != scope["path"]:
            inner["path"], inner["raw_path"] = request.path, quote(request.path).encode("ascii")
        inner["query_string"] = urlencode(request.query).encode("latin-1")
        inner["headers"] = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in request.headers]
        if any(m.body is not None for m in active):
            receive = await _edited_body(request, active, receive, inner)
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner, receive, capture)
        response = Response(
            status=started.get("status", 500),
            headers=[
                (k.decode("latin-1").lower(), v.decode("latin-1"))
                for k, v in started.get("headers", [])
            ],
            body=b"".join(chunks),
        )
        for mutation in active:
            if mutation.response is not None:
                response = mutation.response(request, response)
        response.set_header("content-length", str(len(response.body)))
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.body})


async def _edited_body(
    request: Request, active: list[Mutation], receive: Any, scope: dict[str, Any]
) -> Any:
    """A ``receive`` that gives the request body as the mutations rewrote it (``scope``'s
    Content-Length follows)."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    body = b"".join(chunks)
    for mutation in active:
        if mutation.body is not None:
            body = mutation.body(request, body)
    scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-length"] + [
        (b"content-length", str(len(body)).encode())
    ]
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:  # after the body: what the client does next (a disconnect, eventually)
            message: dict[str, Any] = await receive()
            return message
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


# --- helpers ----------------------------------------------------------------------------------


def on_json(edit: Callable[[Request, Any], Any], *, status: int = 200) -> ResponseEdit:
    """A response edit of the JSON body of ``status`` responses (others pass unchanged)."""

    def apply(request: Request, response: Response) -> Response:
        body = response.json
        if response.status != status or body is None:
            return response
        response.json = edit(request, copy.deepcopy(body))
        return response

    return apply


def _records(body: Any) -> list[Any]:
    found = records(body)
    return found[1] if found is not None else []


def _set_records(body: Any, items: list[Any]) -> Any:
    if isinstance(body, list):
        return items
    found = records(body)
    if found is not None:
        *parents, last = found[0].split(".")
        target = body
        for key in parents:
            target = target[key]
        target[last] = items
    return body


def _ops(*names: str) -> frozenset[str]:
    return frozenset(names)


# --- the broken behaviours ---------------------------------------------------------------------


def drop_field(operation: str, name: str) -> Mutation:
    """Drop a required field from the body (or from every record of a list): schema check."""

    def edit(request: Request, body: Any) -> Any:
        targets = _records(body) or [body]
        for record in targets:
            if isinstance(record, dict):
                record.pop(name, None)
        return body

    return Mutation(f"drop {name}", _ops(operation), response=on_json(edit))


def change_type(operation: str, name: str, value: Any) -> Mutation:
    """Give a field a value of another type: schema check."""

    def edit(request: Request, body: Any) -> Any:
        targets = _records(body) or [body]
        for record in targets:
            if isinstance(record, dict) and name in record:
                record[name] = value
        return body

    return Mutation(f"{name} as {type(value).__name__}", _ops(operation), response=on_json(edit))


def wrong_status(operation: str, status: int) -> Mutation:
    """Answer a success with an undeclared status: status_code_conformance."""

    def edit(request: Request, response: Response) -> Response:
        if response.status == 200:
            response.status = status
        return response

    return Mutation(f"{status} instead of 200", _ops(operation), response=edit)


def server_error(operation: str) -> Mutation:
    """Fail every call with a 500 (in the error shape): not_a_server_error."""

    def edit(request: Request, response: Response) -> Response:
        response.status = 500
        response.json = {"error": "Internal server error", "status": 500}
        return response

    return Mutation("500", _ops(operation), response=edit)


def mislabel_content_type(operation: str) -> Mutation:
    """Serve the JSON as text/plain: content_type_conformance."""

    def edit(request: Request, response: Response) -> Response:
        response.set_header("content-type", "text/plain; charset=utf-8")
        return response

    return Mutation("text/plain", _ops(operation), response=edit)


def accept_missing_credential(header: str, value: str) -> Mutation:
    """Serve a request that carries no credential as if it had ``header: value`` (a route that
    forgot its auth guard): ignored_auth, auth_required."""

    def edit(request: Request) -> Request:
        if request.header("authorization") or request.header("cookie"):
            return request
        return request.with_header(header, value)

    return Mutation("no credential needed", request=edit)


def redirect_unauthenticated(location: str = "/api/auth/signin") -> Mutation:
    """Answer 401s with a 307 to a sign-in page (next-auth middleware): auth_required."""

    def edit(request: Request, response: Response) -> Response:
        if response.status == 401:
            response.status = 307
            response.body = b""
            response.headers = [(k, v) for k, v in response.headers if k != "content-type"]
            response.set_header("location", location)
        return response

    return Mutation("307 to sign-in", response=edit)


def unauthorized_shape(body: Any) -> Mutation:
    """401s with a body that is not the API's error shape: auth_required."""

    def edit(request: Request, response: Response) -> Response:
        if response.status == 401:
            response.json = body
        return response

    return Mutation("401 body", response=edit)


def ignore_filters(operation: str, *params: str) -> Mutation:
    """Drop filter parameters before the mock sees them: an unfiltered page (filter_match)."""
    return Mutation(
        f"ignore {', '.join(params)}",
        _ops(operation),
        request=lambda request: request.without_params(*params),
    )


def exceed_limit(api: str, operation: str) -> Mutation:
    """Pad every page to one record more than the page size allows (copies of its records):
    page_size_bound, paging_clamp."""
    size = size_param(get_api(api), operation)
    assert size is not None, f"{api} {operation} has no page size"

    def edit(request: Request, body: Any) -> Any:
        items = _records(body)
        if not items:
            return body
        wanted = effective_limit(request.param(size["name"]), size["x-mockgate-limit"]) + 1
        padded = [copy.deepcopy(items[i % len(items)]) for i in range(max(wanted, len(items)))]
        return _set_records(body, padded)

    return Mutation("one record too many", _ops(operation), response=on_json(edit))


def reject_param(operation: str, param: str, values: Iterable[str], status: int = 400) -> Mutation:
    """Reject the given values of a paging parameter that the contract says are clamped."""
    rejected = frozenset(values)

    def edit(request: Request, response: Response) -> Response:
        if request.param(param) in rejected:
            response.status = status
            response.json = {"error": "Bad request", "status": status}
        return response

    return Mutation(f"reject {param}", _ops(operation), response=edit)


def crash_on(operation: str, param: str, value: str) -> Mutation:
    """A server error for one value of a parameter: paging_clamp (and not_a_server_error)."""

    def edit(request: Request, response: Response) -> Response:
        if request.param(param) == value:
            response.status = 500
            response.json = {"error": "Internal server error", "status": 500}
        return response

    return Mutation(f"500 on {param}={value}", _ops(operation), response=edit)


def overlap_offset_pages(operation: str) -> Mutation:
    """Start every page after the first one record early: the last record of a page repeats
    at the top of the next (page_walk)."""

    def edit(request: Request) -> Request:
        raw = request.param("offset")
        if raw is None or not raw.isdigit() or int(raw) == 0:
            return request
        return request.with_param("offset", str(int(raw) - 1))

    return Mutation("pages overlap", _ops(operation), request=edit)


def repeat_cursor_record(operation: str) -> Mutation:
    """On cursor pages, repeat the previous page's last record at the top (dropping the page's
    own last record to keep its size): page_walk."""
    last_served: dict[str, Any] = {}

    def edit(request: Request, body: Any) -> Any:
        items = _records(body)
        cursor = request.param("cursor")
        if cursor is not None and cursor in last_served and items:
            items = [last_served[cursor], *items[:-1]]
            body = _set_records(body, items)
        if items and isinstance(items[-1], dict):
            last_served[str(items[-1].get("id"))] = copy.deepcopy(items[-1])
        return body

    return Mutation("repeat across pages", _ops(operation), response=on_json(edit))


def lie_about_has_more(operation: str) -> Mutation:
    """``hasMore`` always true (offset paging): page_walk."""

    def edit(request: Request, body: Any) -> Any:
        if isinstance(body, dict) and "hasMore" in body:
            body["hasMore"] = True
        return body

    return Mutation("hasMore always true", _ops(operation), response=on_json(edit))


def reverse_order(operation: str) -> Mutation:
    """Reverse each page's records: newest_first and page_walk (fasting); allowed for agentlens,
    whose spec promises no order."""

    def edit(request: Request, body: Any) -> Any:
        return _set_records(body, list(reversed(_records(body))))

    return Mutation("reversed", _ops(operation), response=on_json(edit))


def end_before_start(operation: str) -> Mutation:
    """The first record of every page ends an hour before it starts: completed_only."""

    def edit(request: Request, body: Any) -> Any:
        items = _records(body)
        if items and isinstance(items[0], dict) and isinstance(items[0].get("startedAt"), str):
            started = datetime.fromisoformat(items[0]["startedAt"].replace("Z", "+00:00"))
            ended = started - timedelta(hours=1)
            items[0]["endedAt"] = ended.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return body

    return Mutation("ends before it starts", _ops(operation), response=on_json(edit))


def leak_between_users(operation: str, credential_of: Callable[[Request], str | None]) -> Mutation:
    """Put the most recent record served to another user on top of each user's page:
    user_isolation."""
    served: dict[str, Any] = {}

    def edit(request: Request, body: Any) -> Any:
        who = credential_of(request) or ""
        items = _records(body)
        foreign = [record for user, record in served.items() if user != who]
        if items:
            served[who] = copy.deepcopy(items[0])
        if foreign and items:
            body = _set_records(body, [foreign[-1], *items[:-1]])
        return body

    return Mutation("leaks a record", _ops(operation), response=on_json(edit))


def tamper_event(operation: str = "getSessionTimeline") -> Mutation:
    """Alter one event's payload after hashing while ``chainValid`` stays as served: hash_chain."""

    def edit(request: Request, body: Any) -> Any:
        events = body.get("events") if isinstance(body, dict) else None
        if isinstance(events, list) and len(events) > 1 and isinstance(events[1], dict):
            payload = events[1].get("payload")
            if isinstance(payload, dict):
                payload["tampered"] = True
        return body

    return Mutation("tampered payload", _ops(operation), response=on_json(edit))


def flip_chain_valid(operation: str = "getSessionTimeline") -> Mutation:
    """Report the opposite of the truth in ``chainValid``: hash_chain."""

    def edit(request: Request, body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("chainValid"), bool):
            body["chainValid"] = not body["chainValid"]
        return body

    return Mutation("chainValid flipped", _ops(operation), response=on_json(edit))


def wrong_counters(*operations: str) -> Mutation:
    """Counters one off from the timeline: session_counters."""

    def edit(request: Request, body: Any) -> Any:
        targets = _records(body) or [body]
        for record in targets:
            if isinstance(record, dict) and isinstance(record.get("eventCount"), int):
                record["eventCount"] += 1
                record["toolCallCount"] = record.get("toolCallCount", 0) + 1
        return body

    return Mutation("counters off by one", _ops(*operations), response=on_json(edit))


def wrong_llm_calls(*operations: str) -> Mutation:
    """``llmCallCount`` two above the timeline's LLM calls: session_counters."""

    def edit(request: Request, body: Any) -> Any:
        for record in _records(body) or [body]:
            if isinstance(record, dict) and isinstance(record.get("llmCallCount"), int):
                record["llmCallCount"] += 2
        return body

    return Mutation("llmCallCount off", _ops(*operations), response=on_json(edit))


def total_ignores_filters(operation: str, total: int, *filters: str) -> Mutation:
    """On a request with any of ``filters``, ``total`` is the unfiltered ``total`` and
    ``hasMore`` follows it (a count query that forgot the WHERE clause): list_total."""

    def edit(request: Request, body: Any) -> Any:
        if not any(request.param(name) for name in filters) or not isinstance(body, dict):
            return body
        raw = request.param("offset") or "0"
        offset = max(int(raw), 0) if raw.lstrip("-").isdigit() else 0
        body["total"] = total
        body["hasMore"] = offset + len(_records(body)) < total
        return body

    return Mutation("total ignores filters", _ops(operation), response=on_json(edit))


def add_fields(operation: str, **extra: Any) -> Mutation:
    """Extra, undocumented fields on the body and every record: allowed by every spec."""

    def edit(request: Request, body: Any) -> Any:
        for record in _records(body):
            if isinstance(record, dict):
                record.update(extra)
        if isinstance(body, dict):
            body.update(extra)
        return body

    return Mutation("extra fields", _ops(operation), response=on_json(edit))
