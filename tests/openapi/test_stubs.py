"""Stubs held to the spec: the operations a stub answers for, its example, its response checked."""

from __future__ import annotations

import pytest

from mockgate.core.stubs import InvalidStub, Stub
from mockgate.openapi.catalog import get_api
from mockgate.openapi.routes import RouteTable
from mockgate.openapi.schemas import ResponseValidator
from mockgate.openapi.stubs import bind

AGENTLENS = get_api("agentlens")
ROUTES = RouteTable.from_spec(AGENTLENS.resolved)
VALIDATOR = ResponseValidator.from_spec(AGENTLENS.resolved)
SESSIONS = {"sessions": [], "total": 0, "hasMore": False}


def bound(match: dict, response: dict, **fields) -> Stub:
    return bind(
        Stub.from_json({"match": match, "response": response, **fields}),
        AGENTLENS,
        ROUTES,
        VALIDATOR,
    )


def refused(match: dict, response: dict, **fields) -> list[str]:
    with pytest.raises(InvalidStub) as raised:
        bound(match, response, **fields)
    return raised.value.problems


@pytest.mark.parametrize(
    ("match", "operations"),
    [
        pytest.param({"path": "/api/sessions"}, ("listSessions",), id="template-any-method"),
        pytest.param(
            {"path": "/api/sessions/{id}", "method": "GET"}, ("getSession",), id="template"
        ),
        pytest.param({"path": "/api/sessions/sess_1"}, ("getSession",), id="path"),
        pytest.param(
            {"path": "/api/sessions/sess_1/timeline"}, ("getSessionTimeline",), id="longer-path"
        ),
    ],
)
def test_a_stub_is_bound_to_the_operations_it_can_answer(match, operations):
    # The operations are found whatever the answer (here one they would refuse).
    answer = {"status": 418, "body": {}}
    assert bound(match, answer, violates_spec=True).operations == operations


def test_a_path_no_operation_serves_is_refused_with_the_closest_template():
    (problem,) = refused({"path": "/api/sesions"}, {"status": 200})
    assert "agentlens has no operation at any method /api/sesions" in problem
    assert "did you mean /api/sessions?" in problem
    assert '"violates_spec": true' in problem


def test_a_template_with_other_parameter_names_is_refused():
    (problem,) = refused({"path": "/api/sessions/{sessionId}"}, {"status": 200})
    assert "did you mean /api/sessions/{id}?" in problem


def test_a_method_the_path_does_not_have_is_refused():
    (problem,) = refused({"path": "/api/sessions", "method": "DELETE"}, {"status": 204})
    assert (
        problem == "stub.match: agentlens has no DELETE operation on /api/sessions (methods: GET)"
    )


def test_a_named_example_becomes_the_body():
    stub = bound({"path": "/api/sessions", "method": "GET"}, {"status": 200, "example": "empty"})
    assert stub.response.body == SESSIONS
    assert stub.response.media_type == "application/json"
    assert stub.response.example == "empty"


def test_an_unknown_example_is_refused_naming_those_there_are():
    (problem,) = refused({"path": "/api/sessions"}, {"status": 200, "example": "none"})
    assert "has no example named 'none'; available: documented, last-page, empty" in problem


def test_an_example_of_an_undeclared_status_is_refused():
    (problem,) = refused({"path": "/api/sessions"}, {"status": 418, "example": "empty"})
    assert "declares no response 418" in problem


def test_an_undeclared_status_is_refused_once():
    problems = refused({"path": "/api/sessions/{id}"}, {"status": 201, "body": {}})
    assert problems == [
        "getSession: status 201 is not declared for getSession (declared: 200, 401, 404, 431, 500)",
        'add "violates_spec": true to the stub if this answer breaks the spec on purpose',
    ]


def test_a_body_that_breaks_the_schema_is_refused_saying_where():
    problems = refused(
        {"path": "/api/sessions"}, {"status": 200, "body": {"sessions": [], "total": "0"}}
    )
    assert any('total: "0" is not of type "integer"' in p for p in problems), problems
    assert any("hasMore" in p for p in problems), problems


def test_a_response_without_the_declared_body_is_refused():
    problems = refused({"path": "/api/sessions"}, {"status": 200})
    assert "no body, but application/json declared" in problems[0]


def test_a_deliberate_violation_is_accepted_as_it_is():
    stub = bound({"path": "/api/teapot"}, {"status": 418, "body": {"a": 1}}, violates_spec=True)
    assert stub.operations == ()
    stub = bound({"path": "/api/sessions"}, {"status": 201, "body": {}}, violates_spec=True)
    assert stub.operations == ("listSessions",)
