"""Stub rules without HTTP: definitions read and refused, predicates, order, hit limits, saving."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest

from mockgate.core.stubs import (
    DEFAULT_PRIORITY,
    InvalidStub,
    Predicate,
    Stub,
    StubBook,
    StubRequest,
)


def request(
    method: str = "GET",
    path: str = "/api/sessions",
    template: str | None = "/api/sessions",
    query: dict[str, list[str]] | None = None,
    headers: dict[str, list[str]] | None = None,
    body: bytes = b"",
) -> StubRequest:
    return StubRequest(method, path, template, query or {}, headers or {}, body)


def stub(match: dict | None = None, **fields) -> Stub:
    definition = {"match": {"path": "/api/sessions", **(match or {})}, "response": {"status": 200}}
    return Stub.from_json({**definition, **fields})


def test_a_full_definition_is_read_as_given():
    read = Stub.from_json(
        {
            "match": {
                "method": "post",
                "path": "/api/events",
                "query": {"dryRun": "true", "limit": 5},
                "headers": {"X-Client": {"contains": "web"}},
                "body": {"includes": {"events": [{"type": "error"}]}},
            },
            "response": {
                "status": 201,
                "headers": {"Content-Type": "application/problem+json", "X-Trace": "t"},
                "body": {"ok": True},
                "delay_ms": 20,
            },
            "priority": 1,
            "times": 3,
        }
    )
    assert read.match.method == "POST"
    assert read.match.query == {
        "dryRun": Predicate("equals", "true"),
        "limit": Predicate("equals", "5"),
    }
    assert read.match.headers == {"x-client": Predicate("contains", "web")}
    assert (read.priority, read.times, read.violates_spec) == (1, 3, False)
    assert read.response.media_type == "application/problem+json"
    assert read.response.headers == {"X-Trace": "t"}
    assert read.response.delay_ms == 20


def test_defaults_any_method_no_body_priority_5_unlimited():
    read = stub()
    assert read.match.method is None
    assert read.response.media_type is None
    assert read.response.body is None
    assert (read.priority, read.times) == (DEFAULT_PRIORITY, None)


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        pytest.param([], "stub: expected a JSON object, got a list", id="not-an-object"),
        pytest.param({"response": {"status": 200}}, "stub.match: required", id="no-match"),
        pytest.param(
            {"match": {"path": "/x"}}, "stub.response: required, a JSON object", id="no-response"
        ),
        pytest.param(
            {"match": {"path": "/x"}, "response": {"status": 200}, "priorty": 1},
            "stub.priorty: unknown field; did you mean 'priority'?",
            id="typo",
        ),
        pytest.param(
            {"match": {"path": "api/x"}, "response": {"status": 200}},
            "stub.match.path: expected a path template of the spec",
            id="relative-path",
        ),
        pytest.param(
            {"match": {"path": "/x?a=1"}, "response": {"status": 200}},
            "put the query in match.query",
            id="query-in-path",
        ),
        pytest.param(
            {"match": {"path": "/x", "method": "FETCH"}, "response": {"status": 200}},
            "stub.match.method: expected one of GET",
            id="method",
        ),
        pytest.param(
            {
                "match": {"path": "/x", "query": {"a": {"startsWith": "x"}}},
                "response": {"status": 200},
            },
            "stub.match.query.a.startsWith: unknown field; expected equals, contains, matches",
            id="unknown-predicate",
        ),
        pytest.param(
            {
                "match": {"path": "/x", "query": {"a": {"equals": "x", "contains": "y"}}},
                "response": {"status": 200},
            },
            "stub.match.query.a: expected a string (equals it), or one of",
            id="two-predicates",
        ),
        pytest.param(
            {
                "match": {"path": "/x", "headers": {"a": {"absent": "yes"}}},
                "response": {"status": 200},
            },
            "stub.match.headers.a.absent: expected true or false",
            id="absent-not-bool",
        ),
        pytest.param(
            {
                "match": {"path": "/x", "query": {"a": {"matches": "(a)\\1"}}},
                "response": {"status": 200},
            },
            "is not a regular expression this mock runs",
            id="back-reference",
        ),
        pytest.param(
            {
                "match": {"path": "/x", "query": {"a": {"matches": "a" * 1001}}},
                "response": {"status": 200},
            },
            "longer than 1000 characters",
            id="long-regex",
        ),
        pytest.param(
            {"match": {"path": "/x", "body": {"like": {}}}, "response": {"status": 200}},
            "stub.match.body.like: unknown field; expected equals, includes, contains",
            id="body-predicate",
        ),
        pytest.param(
            {"match": {"path": "/x"}, "response": {"status": 99}},
            "stub.response.status: expected an HTTP status 100-599, got 99",
            id="status",
        ),
        pytest.param(
            {"match": {"path": "/x"}, "response": {"status": 200, "body": {}, "example": "e"}},
            "give a body or an example, not both",
            id="body-and-example",
        ),
        pytest.param(
            {"match": {"path": "/x"}, "response": {"status": 200, "headers": {"X-A": "a\r\nB: b"}}},
            "stub.response.headers.X-A: expected a header value",
            id="header-injection",
        ),
        pytest.param(
            {
                "match": {"path": "/x"},
                "response": {"status": 200, "headers": {"Content-Length": "9"}},
            },
            "set by the server from the body",
            id="content-length",
        ),
        pytest.param(
            {"match": {"path": "/x"}, "response": {"status": 200, "delay_ms": 60_001}},
            "stub.response.delay_ms: expected whole milliseconds 0-60000, got 60001",
            id="delay",
        ),
        pytest.param(
            {"match": {"path": "/x"}, "response": {"status": 200}, "times": 0},
            "stub.times: expected a count of at least 1",
            id="times",
        ),
        pytest.param(
            {"match": {"path": "/x"}, "response": {"status": 200}, "priority": True},
            "stub.priority: expected a whole number 1-1000 (1 wins), got true",
            id="priority-bool",
        ),
        pytest.param(
            {"match": {"path": "/x"}, "response": {"status": 200}, "violates_spec": "yes"},
            "stub.violates_spec: expected true or false",
            id="violates-spec",
        ),
    ],
)
def test_a_bad_definition_is_refused_saying_what_to_fix(definition, problem):
    with pytest.raises(
        InvalidStub, match=problem.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")
    ):
        Stub.from_json(definition)


def test_every_problem_is_listed_at_once():
    with pytest.raises(InvalidStub) as refused:
        Stub.from_json({"match": {"path": "x", "method": 1}, "response": {"status": "200"}})
    assert len(refused.value.problems) == 3


@pytest.mark.parametrize(
    ("predicate", "values", "passes"),
    [
        pytest.param("x", ["x"], True, id="string-equals"),
        pytest.param("x", ["xy"], False, id="string-equals-whole"),
        pytest.param("x", ["a", "x"], True, id="any-repeated-value"),
        pytest.param("x", [], False, id="equals-absent"),
        pytest.param({"equals": "x"}, ["x"], True, id="equals"),
        pytest.param({"contains": "ab"}, ["xaby"], True, id="contains"),
        pytest.param({"contains": "ab"}, ["a-b"], False, id="contains-not"),
        pytest.param({"matches": "ag_[0-9]+"}, ["ag_12"], True, id="matches"),
        pytest.param({"matches": "ag_[0-9]+"}, ["ag_12x"], False, id="matches-whole-value"),
        pytest.param({"matches": "ag_[0-9]+"}, ["ag_12\n"], False, id="matches-no-newline"),
        pytest.param({"absent": True}, [], True, id="absent"),
        pytest.param({"absent": True}, [""], False, id="absent-empty-value-is-present"),
        pytest.param({"absent": False}, [""], True, id="present"),
    ],
)
def test_query_predicates(predicate, values, passes):
    rule = stub({"query": {"a": predicate}})
    assert rule.match.test(request(query={"a": values} if values else {})) is passes


def test_header_names_ignore_case():
    rule = stub({"headers": {"X-Client": "web"}})
    assert rule.match.test(request(headers={"x-client": ["web"]}))
    assert not rule.match.test(request(headers={"x-client": ["app"]}))


def test_a_pathological_regex_runs_in_linear_time():
    rule = stub({"query": {"a": {"matches": "(a+)+b"}}})
    started = time.perf_counter()
    assert not rule.match.test(request(query={"a": ["a" * 8000 + "c"]}))
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("predicate", "body", "passes"),
    [
        pytest.param({"equals": {"a": 1, "b": [1, 2]}}, {"b": [1, 2], "a": 1}, True, id="equals"),
        pytest.param({"equals": {"a": 1}}, {"a": 1, "b": 2}, False, id="equals-extra-member"),
        pytest.param({"equals": {"a": 1}}, {"a": 1.0}, True, id="equals-number"),
        pytest.param({"equals": {"a": 1}}, {"a": True}, False, id="equals-true-is-not-1"),
        pytest.param({"equals": {"a": "1"}}, {"a": 1}, False, id="equals-string-is-not-number"),
        pytest.param({"equals": [1, 2]}, [2, 1], False, id="equals-array-order"),
        pytest.param(
            {"includes": {"a": {"b": 1}}}, {"a": {"b": 1, "c": 2}, "d": 3}, True, id="includes"
        ),
        pytest.param({"includes": {"a": {"b": 1}}}, {"a": {"b": 2}}, False, id="includes-differs"),
        pytest.param({"includes": {"a": 1}}, {"b": 1}, False, id="includes-missing"),
        pytest.param(
            {"includes": {"events": [{"type": "error"}]}},
            {"events": [{"type": "llm_call", "x": 1}, {"type": "error", "y": 2}]},
            True,
            id="includes-array-item-anywhere",
        ),
        pytest.param(
            {"includes": {"events": [{"type": "error"}]}},
            {"events": [{"type": "llm_call"}]},
            False,
            id="includes-array-item-missing",
        ),
        pytest.param({"contains": "sess_1"}, {"id": "sess_1"}, True, id="contains-text"),
    ],
)
def test_body_predicates(predicate, body, passes):
    rule = stub({"body": predicate})
    assert rule.match.test(request(body=json.dumps(body).encode())) is passes


def test_a_body_that_is_not_json_matches_no_json_predicate():
    rule = stub({"body": {"includes": {}}})
    assert not rule.match.test(request(body=b"{not json"))
    assert not rule.match.test(request(body=b""))


@pytest.mark.parametrize(
    ("path", "method", "passes"),
    [
        pytest.param("/api/sessions/{id}", None, True, id="template"),
        pytest.param("/api/sessions/s1", None, True, id="exact-path"),
        pytest.param("/api/sessions/s2", None, False, id="other-path"),
        pytest.param("/api/sessions/{id}", "GET", True, id="method"),
        pytest.param("/api/sessions/{id}", "DELETE", False, id="other-method"),
    ],
)
def test_path_is_a_template_or_a_path(path, method, passes):
    rule = stub({"path": path, "method": method})
    routed = request(path="/api/sessions/s1", template="/api/sessions/{id}")
    assert rule.match.test(routed) is passes


def test_lowest_priority_wins_then_the_newest():
    book = StubBook()
    old = book.add(stub())
    urgent = book.add(stub(priority=1))
    new = book.add(stub())
    assert book.match(request()).id == urgent.id
    book.remove(urgent.id)
    assert book.match(request()).id == new.id
    assert [s.id for s in book.ordered()] == [new.id, old.id]


def test_a_stub_is_removed_at_its_hit_limit():
    book = StubBook()
    limited = book.add(stub(times=2))
    first, second = book.match(request()), book.match(request())
    assert (first.hits, first.remaining) == (1, 1)
    assert (second.id, second.hits, second.remaining) == (limited.id, 2, 0)
    assert book.match(request()) is None
    assert book.get(limited.id) is None


def test_hits_count_and_other_requests_do_not():
    book = StubBook()
    rule = book.add(stub({"method": "GET"}))
    assert book.match(request(method="POST")) is None
    book.match(request())
    assert book.get(rule.id).hits == 1


def test_every_change_is_counted_for_saving():
    book = StubBook()
    changes = [book.changes]
    rule = book.add(stub())
    changes.append(book.changes)
    book.match(request())
    changes.append(book.changes)
    book.match(request(path="/other", template=None))  # no hit, no change
    changes.append(book.changes)
    book.remove(rule.id)
    changes.append(book.changes)
    assert changes == [0, 1, 2, 2, 3]


def test_a_dumped_book_is_read_back_with_hits_and_ids_not_reused():
    book = StubBook()
    book.add(stub({"query": {"a": {"absent": True}}}, times=3, priority=2))
    second = book.add(stub({"query": {"a": {"matches": "x+"}}}))
    book.match(request())
    book.match(request(query={"a": ["xx"]}))
    restored = StubBook(json.loads(json.dumps(book.dump())))
    assert [s.to_json() for s in restored.ordered()] == [s.to_json() for s in book.ordered()]
    assert restored.match(request(query={"a": ["xxx"]})).id == second.id  # the regex works
    assert restored.add(stub()).id == "stub-3"


def test_concurrent_hits_never_exceed_the_limit():
    book = StubBook()
    book.add(stub(times=50))
    answered = []

    def hit() -> None:
        for _ in range(20):
            if book.match(request()) is not None:
                answered.append(1)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answered) == 50
    assert len(book) == 0


def test_a_bound_stub_answers_only_requests_for_its_operations():
    rule = replace(stub(), operations=("listSessions",))
    assert rule.answers(replace(request(), operation_id="listSessions"))
    assert not rule.answers(replace(request(method="PATCH"), operation_id=None))
    assert stub().answers(request())  # bound to none (a path the spec lacks): the match decides
