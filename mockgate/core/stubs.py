"""Request-matching stubs: "when ``GET /api/sessions?agentId=x``, answer this".

A developer's explicit override of a mock's answer, after WireMock's and Mockoon's request
matching, kept small: a stub matches on method, path, query, headers and body and answers a fixed
response. Among the stubs that match a request the lowest ``priority`` wins, then the newest (as
in WireMock: a stub added later overrides an older one). ``times`` bounds how many requests a
stub answers; at its limit it is removed.

This module holds what needs no spec: a definition read and checked (``Stub.from_json``, every
problem named so a person can fix it), matching, and ``StubBook``, one mock's stubs. Binding a
stub to the spec's operations and checking its response against them is
``mockgate.openapi.stubs``.

A ``matches`` pattern is user input run against request values, so it runs on the Rust regex
engine of jsonschema-rs, which matches in linear time whatever the pattern (no catastrophic
backtracking): the usual syntax, without look-around and back-references; ``^`` and ``$``
are implied (the whole value must match).
"""

from __future__ import annotations

import copy
import difflib
import itertools
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, TypeGuard

import jsonschema_rs

from mockgate.core.errors import shown_value
from mockgate.core.faults import MAX_DELAY_MS

__all__ = [
    "DEFAULT_PRIORITY",
    "MAX_PATTERN",
    "BodyPredicate",
    "InvalidStub",
    "Predicate",
    "Stub",
    "StubBook",
    "StubMatch",
    "StubRequest",
    "StubResponse",
]

DEFAULT_PRIORITY = 5
"""WireMock's default: 1 is the most urgent."""
MAX_PRIORITY = 1000
MAX_PATTERN = 1000
"""Characters of a ``matches`` pattern."""

_FIELDS = ("match", "response", "priority", "times", "violates_spec")
_MATCH_FIELDS = ("method", "path", "query", "headers", "body")
_RESPONSE_FIELDS = ("status", "headers", "body", "example", "delay_ms")
_PREDICATES = ("equals", "contains", "matches", "absent")
_BODY_PREDICATES = ("equals", "includes", "contains")
_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE")


class InvalidStub(ValueError):
    """What stops a stub from being added, one problem per item of ``problems``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Predicate:
    """A test of a query parameter's or a header's values: ``equals``, ``contains`` or
    ``matches`` (a regular expression the whole value matches) one of them, or ``absent``
    (``True``: none; ``False``: at least one)."""

    kind: str
    value: str | bool
    _regex: jsonschema_rs.Validator | None = field(default=None, compare=False, repr=False)

    def test(self, values: Sequence[str]) -> bool:
        if self.kind == "absent":
            return not values if self.value else bool(values)
        if self.kind == "equals":
            return self.value in values
        if self.kind == "contains":
            return any(str(self.value) in v for v in values)
        assert self._regex is not None
        return any(self._regex.is_valid(v) for v in values)

    def to_json(self) -> dict[str, Any]:
        return {self.kind: self.value}


@dataclass(frozen=True)
class BodyPredicate:
    """A test of the request body: ``equals`` (the JSON body is this value), ``includes`` (the
    JSON body holds these members, recursively; a listed array item matches any item of the
    body's array) or ``contains`` (the body's text holds this string)."""

    kind: str
    value: Any

    def test(self, request: StubRequest) -> bool:
        if self.kind == "contains":
            return str(self.value) in request.text
        parsed = request.json
        if parsed is _NOT_JSON:
            return False
        if self.kind == "equals":
            return _same(self.value, parsed)
        return _includes(self.value, parsed)

    def to_json(self) -> dict[str, Any]:
        return {self.kind: copy.deepcopy(self.value)}


@dataclass(frozen=True)
class StubMatch:
    """What a request must be: ``method`` (None: any), ``path`` (a path template of the spec,
    matched by the operation the request is routed to, or a path, matched as it is), and the
    predicates of its query parameters, headers (names lower-cased) and body."""

    path: str
    method: str | None = None
    query: Mapping[str, Predicate] = field(default_factory=dict)
    headers: Mapping[str, Predicate] = field(default_factory=dict)
    body: BodyPredicate | None = None

    def test(self, request: StubRequest) -> bool:
        if self.method is not None and request.method != self.method:
            return False
        if self.path != request.path and self.path != request.template:
            return False
        if any(not p.test(request.query.get(n, ())) for n, p in self.query.items()):
            return False
        if any(not p.test(request.headers.get(n, ())) for n, p in self.headers.items()):
            return False
        return self.body is None or self.body.test(request)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": {name: p.to_json() for name, p in self.query.items()},
            "headers": {name: p.to_json() for name, p in self.headers.items()},
            "body": None if self.body is None else self.body.to_json(),
        }


@dataclass(frozen=True)
class StubResponse:
    """What a stub answers. ``media_type`` None: no body. ``example``: the name of the spec's
    example the body was taken from (``openapi.stubs.bind`` fills ``body`` in)."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    media_type: str | None = None
    example: str | None = None
    delay_ms: int = 0

    def to_json(self) -> dict[str, Any]:
        headers = dict(self.headers)
        if self.media_type is not None:
            headers["Content-Type"] = self.media_type
        return {
            "status": self.status,
            "headers": headers,
            "body": copy.deepcopy(self.body),
            "example": self.example,
            "delay_ms": self.delay_ms,
        }


@dataclass(frozen=True)
class Stub:
    """One rule. ``id``, ``hits`` and ``order`` are set by the ``StubBook`` that holds it;
    ``operations`` by ``openapi.stubs.bind`` (the operationIds it may answer)."""

    match: StubMatch
    response: StubResponse
    priority: int = DEFAULT_PRIORITY
    times: int | None = None
    violates_spec: bool = False
    id: str = ""
    hits: int = 0
    order: int = 0
    operations: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> Stub:
        """A stub from an admin request body, or ``InvalidStub`` listing every problem in it."""
        if not isinstance(data, Mapping):
            raise InvalidStub([f"stub: expected a JSON object, got {shown_value(data)}"])
        problems = [_unknown("stub", key, _FIELDS) for key in data if key not in _FIELDS]
        reader = _Reader(problems)
        match = reader.match(data.get("match"))
        response = reader.response(data.get("response"))
        priority = data.get("priority", DEFAULT_PRIORITY)
        if not _is_int(priority) or not 1 <= priority <= MAX_PRIORITY:
            problems.append(
                f"stub.priority: expected a whole number 1-{MAX_PRIORITY} (1 wins), "
                f"got {shown_value(priority)}"
            )
        times = data.get("times")
        if times is not None and (not _is_int(times) or times < 1):
            problems.append(
                f"stub.times: expected a count of at least 1 (or null: until removed), "
                f"got {shown_value(times)}"
            )
        violates = data.get("violates_spec", False)
        if not isinstance(violates, bool):
            problems.append(
                f"stub.violates_spec: expected true or false, got {shown_value(violates)}"
            )
        if problems or match is None or response is None:
            raise InvalidStub(problems)
        return cls(match, response, priority, times, violates)

    def answers(self, request: StubRequest) -> bool:
        """Whether ``request`` matches, and is for one of the operations the stub is bound to (a
        stub bound to none, of a path the spec does not have, goes by its match alone)."""
        if self.operations and request.operation_id not in self.operations:
            return False
        return self.match.test(request)

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else self.times - self.hits

    def to_json(self) -> dict[str, Any]:
        """As the admin API shows it; ``from_saved`` reads it back."""
        return {
            "id": self.id,
            "priority": self.priority,
            "times": self.times,
            "hits": self.hits,
            "remaining": self.remaining,
            "violates_spec": self.violates_spec,
            "operations": list(self.operations),
            "match": self.match.to_json(),
            "response": self.response.to_json(),
        }

    @classmethod
    def from_saved(cls, data: Mapping[str, Any]) -> Stub:
        """A stub as ``to_json`` showed it (from a state file): read as a definition again, the
        example's body kept as resolved when the stub was added."""
        response = dict(data["response"])
        example, body = response.pop("example", None), response.get("body")
        stub = cls.from_json({**{k: data[k] for k in _FIELDS if k in data}, "response": response})
        return replace(
            stub,
            response=replace(stub.response, example=example, body=body),
            id=str(data["id"]),
            hits=int(data["hits"]),
            operations=tuple(data.get("operations", ())),
        )


_NOT_JSON: Any = object()


@dataclass(frozen=True)
class StubRequest:
    """A request as stubs see it: ``template`` and ``operation_id`` are those of the operation it
    was routed to (None when none); query parameters and headers (names lower-cased) as lists of
    values."""

    method: str
    path: str
    template: str | None
    query: Mapping[str, Sequence[str]]
    headers: Mapping[str, Sequence[str]]
    body: bytes = b""
    operation_id: str | None = None

    @cached_property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON, or ``_NOT_JSON``; parsed once, and only when a stub asks."""
        try:
            return json.loads(self.body) if self.body else _NOT_JSON
        except ValueError:
            return _NOT_JSON


class StubBook:
    """The stubs of one mock. Thread-safe. ``changes`` counts every change, hits included (what
    a state file compares to know the stubs need saving)."""

    def __init__(self, saved: Sequence[Mapping[str, Any]] = ()) -> None:
        self._lock = threading.Lock()
        self._stubs: dict[str, Stub] = {}
        self._order = itertools.count(1)
        self.changes = 0
        for data in saved:
            stub = Stub.from_saved(data)
            self._stubs[stub.id] = replace(stub, order=next(self._order))
        numbers = [int(i.rpartition("-")[2]) for i in self._stubs if i.startswith("stub-")]
        self._ids = itertools.count(max(numbers, default=0) + 1)

    def add(self, stub: Stub) -> Stub:
        """Activate ``stub``; it is returned with its id."""
        with self._lock:
            stub = replace(stub, id=f"stub-{next(self._ids)}", hits=0, order=next(self._order))
            self._stubs[stub.id] = stub
            self.changes += 1
        return stub

    def match(self, request: StubRequest) -> Stub | None:
        """The stub that answers ``request``, its hit counted (and removed at its limit)."""
        with self._lock:
            found = [s for s in self._stubs.values() if s.answers(request)]
            if not found:
                return None
            stub = min(found, key=lambda s: (s.priority, -s.order))
            stub = replace(stub, hits=stub.hits + 1)
            if stub.remaining == 0:
                del self._stubs[stub.id]
            else:
                self._stubs[stub.id] = stub
            self.changes += 1
        return stub

    def get(self, stub_id: str) -> Stub | None:
        with self._lock:
            return self._stubs.get(stub_id)

    def ordered(self) -> list[Stub]:
        """Every stub, in the order they are tried."""
        with self._lock:
            return sorted(self._stubs.values(), key=lambda s: (s.priority, -s.order))

    def remove(self, stub_id: str) -> bool:
        with self._lock:
            found = self._stubs.pop(stub_id, None) is not None
            self.changes += found
        return found

    def clear(self) -> None:
        with self._lock:
            if self._stubs:
                self._stubs.clear()
                self.changes += 1

    def dump(self) -> list[dict[str, Any]]:
        """Every stub as ``to_json`` shows it, oldest first (what ``StubBook(saved)`` reads)."""
        with self._lock:
            return [s.to_json() for s in sorted(self._stubs.values(), key=lambda s: s.order)]

    def __len__(self) -> int:
        return len(self._stubs)


class _Reader:
    """Reads the parts of a definition, adding what is wrong to ``problems``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems

    def match(self, data: Any) -> StubMatch | None:
        where = "stub.match"
        if not isinstance(data, Mapping):
            self.problems.append(
                f"{where}: required, a JSON object with a path (and method, query, headers, body)"
                if data is None
                else f"{where}: expected a JSON object, got {shown_value(data)}"
            )
            return None
        self.problems.extend(
            _unknown(where, k, _MATCH_FIELDS) for k in data if k not in _MATCH_FIELDS
        )
        method = data.get("method")
        if method is not None and (not isinstance(method, str) or method.upper() not in _METHODS):
            self.problems.append(
                f"{where}.method: expected one of {', '.join(_METHODS)} (or leave it out: any), "
                f"got {shown_value(method)}"
            )
            method = None
        path = data.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            self.problems.append(
                f"{where}.path: expected a path template of the spec (/api/sessions/{{id}}) or a "
                f"path (/api/sessions/abc), starting with /, got {shown_value(path)}"
            )
            path = None
        elif "?" in path:
            self.problems.append(f"{where}.path: put the query in match.query, not in the path")
        query = self.predicates(f"{where}.query", data.get("query"), lower=False)
        headers = self.predicates(f"{where}.headers", data.get("headers"), lower=True)
        body = self.body(f"{where}.body", data.get("body"))
        if path is None:
            return None
        return StubMatch(path, method.upper() if method else None, query, headers, body)

    def predicates(self, where: str, data: Any, *, lower: bool) -> dict[str, Predicate]:
        if data is None:
            return {}
        if not isinstance(data, Mapping):
            self.problems.append(
                f"{where}: expected an object of name: test, got {shown_value(data)}"
            )
            return {}
        found = {}
        for name, given in data.items():
            predicate = self.predicate(f"{where}.{name}", given)
            if predicate is not None:
                found[name.lower() if lower else name] = predicate
        return found

    def predicate(self, where: str, given: Any) -> Predicate | None:
        if _is_text(given):
            return Predicate("equals", str(given))
        if not isinstance(given, Mapping) or len(given) != 1:
            self.problems.append(
                f'{where}: expected a string (equals it), or one of {{"equals": "x"}}, '
                f'{{"contains": "x"}}, {{"matches": "regex"}}, {{"absent": true}}; '
                f"got {shown_value(given)}"
            )
            return None
        ((kind, value),) = given.items()
        if kind not in _PREDICATES:
            self.problems.append(_unknown(where, kind, _PREDICATES))
            return None
        if kind == "absent":
            if isinstance(value, bool):
                return Predicate(kind, value)
            self.problems.append(
                f"{where}.absent: expected true or false, got {shown_value(value)}"
            )
            return None
        if not _is_text(value):
            self.problems.append(f"{where}.{kind}: expected a string, got {shown_value(value)}")
            return None
        if kind == "matches":
            return self.regex(f"{where}.matches", str(value))
        return Predicate(kind, str(value))

    def regex(self, where: str, pattern: str) -> Predicate | None:
        if len(pattern) > MAX_PATTERN:
            self.problems.append(f"{where}: longer than {MAX_PATTERN} characters")
            return None
        try:
            validator = jsonschema_rs.Draft4Validator(
                {"type": "string", "pattern": f"^(?:{pattern})$"},
                pattern_options=jsonschema_rs.RegexOptions(),
            )
        except (jsonschema_rs.ValidationError, ValueError):
            self.problems.append(
                f"{where}: {pattern!r} is not a regular expression this mock runs (look-around "
                "and back-references are not supported)"
            )
            return None
        return Predicate("matches", pattern, validator)

    def body(self, where: str, data: Any) -> BodyPredicate | None:
        if data is None:
            return None
        if not isinstance(data, Mapping) or len(data) != 1:
            self.problems.append(
                f'{where}: expected one of {{"equals": <JSON>}}, {{"includes": {{...}}}}, '
                f'{{"contains": "text"}}; got {shown_value(data)}'
            )
            return None
        ((kind, value),) = data.items()
        if kind not in _BODY_PREDICATES:
            self.problems.append(_unknown(where, kind, _BODY_PREDICATES))
            return None
        if kind == "contains" and not isinstance(value, str):
            self.problems.append(f"{where}.contains: expected a string, got {shown_value(value)}")
            return None
        return BodyPredicate(kind, copy.deepcopy(value))

    def response(self, data: Any) -> StubResponse | None:
        where = "stub.response"
        if not isinstance(data, Mapping):
            self.problems.append(
                f"{where}: required, a JSON object with a status (and headers, body or example)"
                if data is None
                else f"{where}: expected a JSON object, got {shown_value(data)}"
            )
            return None
        problems = self.problems
        problems.extend(
            _unknown(where, k, _RESPONSE_FIELDS) for k in data if k not in _RESPONSE_FIELDS
        )
        status = data.get("status")
        if not _is_int(status) or not 100 <= status <= 599:
            problems.append(
                f"{where}.status: expected an HTTP status 100-599, got {shown_value(status)}"
            )
        headers: dict[str, str] = {}
        given = data.get("headers") or {}
        if not isinstance(given, Mapping):
            problems.append(
                f"{where}.headers: expected an object of name: value, got {shown_value(given)}"
            )
            given = {}
        media_type = None
        for name, value in given.items():
            if not _is_text(value) or not _header_safe(name, str(value)):
                problems.append(
                    f"{where}.headers.{name}: expected a header value (text without line breaks), "
                    f"got {shown_value(value)}"
                )
            elif name.lower() == "content-type":
                media_type = str(value)
            elif name.lower() in ("content-length", "transfer-encoding"):
                problems.append(f"{where}.headers.{name}: set by the server from the body")
            else:
                headers[name] = str(value)
        body, example = data.get("body"), data.get("example")
        if example is not None and not isinstance(example, str):
            problems.append(
                f"{where}.example: expected the name of an example, got {shown_value(example)}"
            )
        if example is not None and body is not None:
            problems.append(f"{where}: give a body or an example, not both")
        if body is not None and media_type is None:
            media_type = "application/json"
        elif body is None and example is None and media_type is not None:
            problems.append(f"{where}.headers.Content-Type: there is no body to describe")
        delay = data.get("delay_ms", 0)
        if not _is_int(delay) or not 0 <= delay <= MAX_DELAY_MS:
            problems.append(
                f"{where}.delay_ms: expected whole milliseconds 0-{MAX_DELAY_MS}, "
                f"got {shown_value(delay)}"
            )
        if not _is_int(status):
            return None
        return StubResponse(status, headers, copy.deepcopy(body), media_type, example, delay)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1`` (as Python has it), ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _includes(pattern: Any, value: Any) -> bool:
    """``value`` holds ``pattern``: its members (recursively), each of its array items."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            key in value and _includes(sub, value[key]) for key, sub in pattern.items()
        )
    if isinstance(pattern, list):
        return isinstance(value, list) and all(
            any(_includes(item, candidate) for candidate in value) for item in pattern
        )
    return _same(pattern, value)


def _header_safe(name: Any, value: str) -> bool:
    return (
        isinstance(name, str)
        and bool(name)
        and all(33 <= ord(c) <= 126 and c != ":" for c in name)
        and not any(c in value for c in "\r\n\0")
    )


def _is_text(value: object) -> bool:
    """A string, or a whole number written without quotes (``"limit": 5``)."""
    return isinstance(value, str) or _is_int(value)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _unknown(where: str, key: object, expected: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(key), expected, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{where}.{key}: unknown field; {hint}expected {', '.join(expected)}"
