"""Stubs through HTTP: ``/__mockgate/stubs`` added, listed, removed; what they answer and in which
order; their hit limits, spec checks, journal entries, and a state file keeping them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockgate.apis.context import MockOptions
from mockgate.core.clock import Clock
from mockgate.core.store.sqlite import ApiEntry, StateFile
from mockgate.mockserver.app import create_app
from tests.conftest import START
from tests.mockserver.test_persistence_e2e import serving

JSON = {"Content-Type": "application/json"}  # what a write to the admin API carries
EMPTY = {"sessions": [], "total": 0, "hasMore": False}
LIST_EMPTY = {
    "match": {"method": "GET", "path": "/api/sessions", "query": {"agentId": "my-agent"}},
    "response": {"status": 200, "example": "empty"},
}


def add(client, definition: dict, status: int = 201) -> dict:
    response = client.post("/__mockgate/stubs", json=definition, headers=JSON)
    assert response.status_code == status, response.text
    return response.json()


def listing(status: int, body: dict | None = None, **fields) -> dict:
    """A stub of listSessions answering ``status`` (with a valid body unless given)."""
    return {
        "match": {"method": "GET", "path": "/api/sessions"},
        "response": {"status": status, "body": EMPTY if body is None else body},
        **fields,
    }


@pytest.fixture
def agentlens(mock_client):
    return mock_client("agentlens")


def test_a_stub_answers_what_it_matches_and_the_journal_names_it(agentlens):
    stub = add(agentlens, LIST_EMPTY)
    assert stub["id"] == "stub-1"
    assert stub["operations"] == ["listSessions"]
    assert stub["response"]["body"] == EMPTY  # the example, resolved when added

    # Before authentication: the stub is the developer's override.
    answered = agentlens.get("/api/sessions", params={"agentId": "my-agent"})
    assert (answered.status_code, answered.json()) == (200, EMPTY)
    assert answered.headers["x-request-id"]
    assert agentlens.get("/api/sessions", params={"agentId": "other"}).status_code == 401

    journal = agentlens.get("/__mockgate/requests").json()["requests"]
    assert [(e["query"], e["stub"]) for e in journal] == [
        ({"agentId": ["my-agent"]}, "stub-1"),
        ({"agentId": ["other"]}, None),
    ]
    (listed,) = agentlens.get("/__mockgate/stubs").json()["stubs"]
    assert (listed["id"], listed["hits"], listed["remaining"]) == ("stub-1", 1, None)


def test_the_lowest_priority_wins_then_the_newest(agentlens):
    add(agentlens, listing(200, {**EMPTY, "total": 1}, priority=1))
    add(agentlens, listing(200, {**EMPTY, "total": 2}))
    add(agentlens, listing(200, {**EMPTY, "total": 3}))
    assert agentlens.get("/api/sessions").json()["total"] == 1
    agentlens.delete("/__mockgate/stubs/stub-1", headers=JSON)
    assert agentlens.get("/api/sessions").json()["total"] == 3
    order = [s["id"] for s in agentlens.get("/__mockgate/stubs").json()["stubs"]]
    assert order == ["stub-3", "stub-2"]


@pytest.mark.parametrize(
    ("match", "matching", "other"),
    [
        pytest.param(
            {"query": {"agentId": {"contains": "prod"}}},
            {"params": {"agentId": "agent-prod-1"}},
            {"params": {"agentId": "agent-dev-1"}},
            id="query-contains",
        ),
        pytest.param(
            {"query": {"agentId": {"matches": "ag_[0-9]{3}"}}},
            {"params": {"agentId": "ag_123"}},
            {"params": {"agentId": "ag_1234"}},
            id="query-matches",
        ),
        pytest.param(
            {"query": {"agentId": {"absent": True}}},
            {"params": {"status": "error"}},
            {"params": {"agentId": "a"}},
            id="query-absent",
        ),
        pytest.param(
            {"headers": {"X-Client": "dashboard"}},
            {"headers": {"x-client": "dashboard"}},
            {"headers": {"x-client": "cli"}},
            id="header-equals",
        ),
    ],
)
def test_query_and_header_predicates(agentlens, match, matching, other):
    definition = listing(200)
    definition["match"].update(match)
    add(agentlens, definition)
    assert agentlens.get("/api/sessions", **matching).status_code == 200
    assert agentlens.get("/api/sessions", **other).status_code == 401  # not stubbed


@pytest.mark.parametrize(
    ("body", "matching", "other"),
    [
        pytest.param(
            {"includes": {"events": [{"eventType": "tool_error"}]}},
            {"events": [{"eventType": "llm_call"}, {"eventType": "tool_error", "x": 1}]},
            {"events": [{"eventType": "llm_call"}]},
            id="includes",
        ),
        pytest.param(
            {"equals": {"events": []}},
            {"events": []},
            {"events": [], "extra": True},
            id="equals",
        ),
    ],
)
def test_body_predicates(agentlens, body, matching, other):
    add(
        agentlens,
        {
            "match": {"method": "POST", "path": "/api/events", "body": body},
            "response": {"status": 201, "example": "session-with-tool-call"},
        },
    )
    assert agentlens.post("/api/events", json=matching).status_code == 201
    assert agentlens.post("/api/events", json=other).status_code == 401


def test_a_stub_stops_answering_at_its_hit_limit(agentlens):
    stub = add(agentlens, listing(200, times=2))
    assert (stub["times"], stub["remaining"]) == (2, 2)
    assert agentlens.get("/api/sessions").status_code == 200
    assert agentlens.get("/__mockgate/stubs/stub-1").json()["remaining"] == 1
    assert agentlens.get("/api/sessions").status_code == 200
    assert agentlens.get("/api/sessions").status_code == 401
    gone = agentlens.get("/__mockgate/stubs/stub-1")
    assert gone.status_code == 404
    assert "removed at its hit limit" in gone.json()["error"]


def test_list_get_delete_and_remove_all(agentlens):
    add(agentlens, LIST_EMPTY)
    add(agentlens, listing(500, {"error": "down", "status": 500}))
    assert agentlens.get("/__mockgate/stubs/stub-1").json()["match"]["query"] == {
        "agentId": {"equals": "my-agent"}
    }
    assert agentlens.delete("/__mockgate/stubs/stub-1", headers=JSON).status_code == 204
    assert agentlens.delete("/__mockgate/stubs/stub-1", headers=JSON).status_code == 404
    assert [s["id"] for s in agentlens.get("/__mockgate/stubs").json()["stubs"]] == ["stub-2"]
    assert agentlens.delete("/__mockgate/stubs", headers=JSON).status_code == 204
    assert agentlens.get("/__mockgate/stubs").json() == {"stubs": []}


def test_a_reset_removes_the_stubs(agentlens):
    add(agentlens, LIST_EMPTY)
    assert agentlens.post("/__mockgate/reset", headers=JSON).status_code == 204
    assert agentlens.get("/__mockgate/stubs").json() == {"stubs": []}


def test_a_stub_wins_over_a_fault(agentlens):
    fault = {"operation": "listSessions", "status": 503}
    assert agentlens.post("/__mockgate/faults", json=fault, headers=JSON).status_code == 201
    add(agentlens, LIST_EMPTY)
    assert agentlens.get("/api/sessions", params={"agentId": "my-agent"}).status_code == 200
    assert agentlens.get("/api/sessions").status_code == 503


def test_a_delay_is_served(agentlens):
    definition = listing(200)
    definition["response"]["delay_ms"] = 150
    add(agentlens, definition)
    started = time.perf_counter()
    assert agentlens.get("/api/sessions").status_code == 200
    assert time.perf_counter() - started >= 0.15


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        pytest.param(
            listing(200, {"sessions": [], "total": "none"}),
            'listSessions: total: "none" is not of type "integer"',
            id="body-breaks-schema",
        ),
        pytest.param(
            listing(201),
            "listSessions: status 201 is not declared for listSessions",
            id="undeclared-status",
        ),
        pytest.param(
            {"match": {"path": "/api/agents"}, "response": {"status": 200, "body": []}},
            "stub.match.path: agentlens has no operation at any method /api/agents",
            id="unknown-path",
        ),
        pytest.param(
            {"match": {"path": "/api/sessions"}, "response": {"status": 200, "example": "full"}},
            "has no example named 'full'; available: documented, last-page, empty",
            id="unknown-example",
        ),
    ],
)
def test_a_stub_the_spec_does_not_allow_is_refused(agentlens, definition, problem):
    refused = add(agentlens, definition, status=400)
    assert refused["error"].startswith("Invalid stub: ")
    messages = [d["message"] for d in refused["details"]]
    assert any(problem in m for m in messages), messages
    assert agentlens.get("/__mockgate/stubs").json() == {"stubs": []}


def test_a_bad_definition_is_refused_with_every_problem(agentlens):
    match = {"path": "/api/sessions", "qury": {}, "query": {"agentId": {"matches": "(?=a)"}}}
    refused = add(agentlens, {"match": match, "response": {"status": 200}}, status=400)
    assert [d["message"] for d in refused["details"]] == [
        "stub.match.qury: unknown field; did you mean 'query'? "
        "expected method, path, query, headers, body",
        "stub.match.query.agentId.matches: '(?=a)' is not a regular expression this mock runs "
        "(look-around and back-references are not supported)",
    ]


@pytest.mark.parametrize(
    ("definition", "path"),
    [
        pytest.param(listing(201, {"draft": True}), "/api/sessions", id="undeclared-status"),
        pytest.param(
            {"match": {"path": "/api/agents"}, "response": {"status": 200, "body": []}},
            "/api/agents",
            id="unknown-path",
        ),
    ],
)
def test_a_deliberate_violation_is_answered_as_given(agentlens, definition, path):
    # mock_client validates every response and fails the test on a violation: a stub marked
    # as one is not held to the spec.
    add(agentlens, {**definition, "violates_spec": True})
    answered = agentlens.get(path)
    assert (answered.status_code, answered.json()) == (
        definition["response"]["status"],
        definition["response"]["body"],
    )
    assert agentlens.ctx.violations == []


def test_stubs_survive_a_restart_with_their_hits(tmp_path: Path):
    path = tmp_path / "state.db"

    def start() -> tuple[StateFile, TestClient]:
        file = StateFile.open(path, create=True)
        app = create_app(
            "agentlens",
            MockOptions(validate_responses=True),
            clock=Clock(START, frozen=True),
            store=file.store("agentlens", {}, ApiEntry(0, "empty")),
            stubs=file.stubs("agentlens"),
        )
        return file, TestClient(app, base_url="http://localhost")

    file, client = start()
    add(client, listing(200, times=3))
    add(client, LIST_EMPTY)
    assert client.get("/api/sessions").status_code == 200
    file.close()

    file, client = start()
    stubs = client.get("/__mockgate/stubs").json()["stubs"]
    assert [(s["id"], s["hits"], s["remaining"]) for s in stubs] == [
        ("stub-2", 0, None),
        ("stub-1", 1, 2),
    ]
    assert client.get("/api/sessions", params={"agentId": "my-agent"}).json() == EMPTY
    assert add(client, LIST_EMPTY)["id"] == "stub-3"
    assert client.post("/__mockgate/reset", headers=JSON).status_code == 204
    file.close()

    file, client = start()
    assert client.get("/__mockgate/stubs").json() == {"stubs": []}
    file.close()


@pytest.mark.slow
def test_mockgate_serve_keeps_stubs_in_its_state_file_across_a_kill(tmp_path: Path):
    state_file = tmp_path / "state.db"
    not_ready = {
        "match": {"method": "GET", "path": "/health/ready"},
        "response": {"status": 503, "example": "documented"},
        "times": 5,
    }
    with serving(state_file, tmp_path / "first.log") as server, server.client() as client:
        assert client.get("/health/ready").status_code == 200
        assert client.post("/__mockgate/stubs", json=not_ready, headers=JSON).status_code == 201
        assert client.get("/health/ready").status_code == 503
        server.kill()  # no shutdown: the hit was saved before its answer left
    with serving(state_file, tmp_path / "second.log") as server, server.client() as client:
        assert client.get("/health/ready").status_code == 503
        (stub,) = client.get("/__mockgate/stubs").json()["stubs"]
        assert (stub["id"], stub["hits"], stub["remaining"]) == ("stub-1", 2, 3)
        journal = client.get("/__mockgate/requests").json()["requests"]
        assert [e["stub"] for e in journal] == ["stub-1"]


def test_a_stub_answers_only_the_operations_it_is_bound_to(agentlens):
    # Any method, on a path the spec serves with GET alone: a PATCH there is not stubbed.
    add(agentlens, {"match": {"path": "/api/sessions"}, "response": listing(200)["response"]})
    assert agentlens.get("/api/sessions").status_code == 200
    assert agentlens.patch("/api/sessions").status_code == 405
