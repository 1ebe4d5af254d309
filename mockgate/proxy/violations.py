"""What the proxy found: each violating exchange with what it was, in a bounded store, and
the responses it could not judge (too large, cut short), counted with the latest of each.

An exchange is kept as evidence, not as a replay: credentials are redacted (headers, cookies
and API-key query parameters the spec names) and bodies are cut to a short excerpt, so the
store's memory stays bounded however large or many the exchanges are.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from mockgate.core.timestamps import format_timestamp
from mockgate.proxy.validate import is_textual, media_type

__all__ = [
    "CHECK_DOCS",
    "NOT_IN_SPEC",
    "REQUEST_CHECK",
    "RESPONSE_CHECK",
    "Exchange",
    "Redactor",
    "Unjudged",
    "Violation",
    "ViolationStore",
    "excerpt",
]

EXCERPT_CHARS = 2048
REDACTED = "[redacted]"
# What each exchange is judged on: the upstream's response (the report's one check, a JUnit
# test case per operation) and, counted apart, whether the client's request was in the contract.
REQUEST_CHECK = "request_conforms"
RESPONSE_CHECK = "response_conforms"
CHECK_DOCS = {
    RESPONSE_CHECK: "Every response the upstream sent is one the spec declares, body and headers.",
}
# The "operation" every request outside the spec is counted under (one bucket, so random
# paths cannot grow the counters).
NOT_IN_SPEC = "(not in spec)"

_ALWAYS_SECRET = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


class Redactor:
    """Hides credentials: the usual headers and every API-key header or query parameter the
    spec's security schemes name."""

    def __init__(self, headers: Iterable[str] = (), query: Iterable[str] = ()) -> None:
        self.headers = _ALWAYS_SECRET | {h.lower() for h in headers}
        self.query = frozenset(query)

    @classmethod
    def from_spec(cls, document: dict[str, Any]) -> Redactor:
        schemes = document.get("components", {}).get("securitySchemes", {}).values()
        keys = [s for s in schemes if s.get("type") == "apiKey"]
        return cls(
            headers=[s["name"] for s in keys if s.get("in") == "header"],
            query=[s["name"] for s in keys if s.get("in") == "query"],
        )

    def headers_of(self, pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
        shown: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            value = REDACTED if key in self.headers else value
            shown[key] = f"{shown[key]}, {value}" if key in shown else value
        return shown

    def query_of(self, query: str) -> str:
        if not self.query or not query:
            return query
        pairs = parse_qsl(query, keep_blank_values=True)
        if not any(name in self.query for name, _ in pairs):
            return query
        return urlencode([(n, REDACTED if n in self.query else v) for n, v in pairs])


def excerpt(body: bytes, content_type: str, size: int | None = None) -> str | None:
    """A JSON or text body's beginning (at most ``EXCERPT_CHARS``); other bodies by size.
    ``size`` is the whole body's when ``body`` is only its beginning (a streamed response)."""
    size = len(body) if size is None else size
    if not size:
        return None
    if not is_textual(content_type):
        return f"<{size} bytes of {media_type(content_type) or 'unknown type'}>"
    text = body[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    if len(text) <= EXCERPT_CHARS and size <= EXCERPT_CHARS * 4:
        return text
    return f"{text[:EXCERPT_CHARS]}... ({size} bytes in all)"


@dataclass(frozen=True)
class Unjudged:
    """Why a response was not judged: ``kind`` is what is counted (a fixed phrase: "too
    large", "upstream timed out"), ``detail`` says it of this exchange, with its figures."""

    kind: str
    detail: str


@dataclass(frozen=True)
class Exchange:
    """One request through the proxy and the upstream's answer, as evidence."""

    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int
    response_headers: dict[str, str]
    response_body: str | None

    def describe(self) -> str:
        """``GET /api/sessions?limit=5 -> 200``."""
        target = f"{self.path}?{self.query}" if self.query else self.path
        return f"{self.method} {target} -> {self.status}"


@dataclass(frozen=True)
class Violation:
    """An exchange that broke the spec, and how."""

    id: int
    time: str
    operation: str  # the operationId, or NOT_IN_SPEC
    request: tuple[str, ...]  # how the request departs from the spec (the client's side)
    response: tuple[str, ...]  # how the response does (the upstream's side)
    exchange: Exchange
    replaced: bool = False  # --strict answered 502 instead of the upstream's response

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line per problem, after the exchange: for logs and reports."""
        lines = [f"{self.exchange.describe()} [{self.operation}]"]
        lines += [f"  request: {problem}" for problem in self.request]
        lines += [f"  response: {problem}" for problem in self.response]
        return "\n".join(lines)


@dataclass
class ViolationStore:
    """The latest ``limit`` violations, and how every exchange fared per operation."""

    limit: int = 1000
    _items: deque[Violation] = field(init=False)
    _next_id: int = field(default=1, init=False)
    dropped: int = field(default=0, init=False)  # violations pushed out by newer ones
    exchanges: int = field(default=0, init=False)
    # (operation, check) -> exchanges that passed it; failures are the violations
    passed: Counter[tuple[str, str]] = field(default_factory=Counter, init=False)
    failed: Counter[tuple[str, str]] = field(default_factory=Counter, init=False)
    # (operation, Unjudged.kind) -> responses not judged, and the latest one (its exchange,
    # why): bounded by the spec's operations, whatever the traffic.
    unjudged: Counter[tuple[str, str]] = field(default_factory=Counter, init=False)
    _unjudged_latest: dict[tuple[str, str], tuple[str, str]] = field(
        default_factory=dict, init=False
    )

    def __post_init__(self) -> None:
        self._items = deque(maxlen=self.limit)

    def record(
        self,
        operation: str,
        exchange: Exchange,
        request: Iterable[str] = (),
        response: Iterable[str] | None = (),
        replaced: bool = False,
        unjudged: Unjudged | None = None,
    ) -> Violation | None:
        """Count an exchange and keep it if it broke the spec; ``response`` None when the
        response could not be judged (the request is not in the spec, or ``unjudged`` says
        why: an advisory, never a violation)."""
        request, judged = tuple(request), response is not None
        response = tuple(response or ())
        self.exchanges += 1
        self._count(operation, REQUEST_CHECK, not request)
        if judged:
            self._count(operation, RESPONSE_CHECK, not response)
        if unjudged is not None:
            key = (operation, unjudged.kind)
            self.unjudged[key] += 1
            self._unjudged_latest[key] = (exchange.describe(), unjudged.detail)
        if not request and not response:
            return None
        violation = Violation(
            id=self._next_id,
            time=format_timestamp(datetime.now(UTC)),
            operation=operation,
            request=request,
            response=response,
            exchange=exchange,
            replaced=replaced,
        )
        self._next_id += 1
        if len(self._items) == self.limit:
            self.dropped += 1
        self._items.append(violation)
        return violation

    def _count(self, operation: str, check: str, ok: bool) -> None:
        (self.passed if ok else self.failed)[operation, check] += 1

    @property
    def upstream_violations(self) -> int:
        """Exchanges whose response broke the spec: the upstream's departures."""
        return sum(n for (_, check), n in self.failed.items() if check == RESPONSE_CHECK)

    @property
    def client_requests(self) -> int:
        """Exchanges whose request was outside the contract: the client's, not the upstream's."""
        return sum(n for (_, check), n in self.failed.items() if check == REQUEST_CHECK)

    def not_judged(self) -> list[dict[str, Any]]:
        """The responses not judged, per operation and reason, with the latest one's exchange
        and why (its figures)."""
        return [
            {
                "operation": operation,
                "reason": kind,
                "count": count,
                "exchange": self._unjudged_latest[operation, kind][0],
                "detail": self._unjudged_latest[operation, kind][1],
            }
            for (operation, kind), count in self.unjudged.most_common()
        ]

    def clear(self) -> None:
        """Forget every violation and count (``DELETE /__mockgate/violations``)."""
        self._items.clear()
        self.dropped = self.exchanges = 0
        self.passed.clear()
        self.failed.clear()
        self.unjudged.clear()
        self._unjudged_latest.clear()

    def __iter__(self) -> Iterator[Violation]:
        return iter(tuple(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def to_json(self) -> dict[str, Any]:
        """The body of ``GET /__mockgate/violations``: the counts (the upstream's violations
        and, apart, the client's requests outside the contract) and the latest violations."""
        return {
            "exchanges": self.exchanges,
            "upstream_violations": self.upstream_violations,
            "client_requests_outside_contract": self.client_requests,
            "violations": [v.to_json() for v in self],
            "dropped": self.dropped,
            "not_judged": self.not_judged(),
        }
