"""The AgentLens mock through its HTTP surface: auth, listing, detail, timelines, ingest,
determinism, and the shared machinery (faults, ``Prefer``) on this API.

The mocks are in-process, their clock frozen at 2026-01-19T12:00Z and every response checked
against the spec. Building a mock takes ~0.3 s, so most tests share one per module, reset through
the admin API before each test (``client``); tests comparing mocks take fresh ones from the
``mock_client`` fixture. Expectations are computed from the spec's rules in ``expect``; hashes
are recomputed by Node.js.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockgate.apis.context import MockContext, MockOptions
from mockgate.core.clock import Clock
from mockgate.core.resources import fixtures_dir
from mockgate.mockserver.app import context_of, create_app
from tests.apis.agentlens.expect import (
    AUTH,
    SDK_COUNTERS,
    START,
    TAMPERED_TAG,
    TELEMETRY_EVENTS,
    TELEMETRY_SESSION,
    assert_in_timeline_order,
    assert_linked,
    counters_of,
    instant,
    matches,
    mismatched_hashes,
    recount,
    telemetry_state,
)

DEMO_SESSIONS = 40
_CUSTOM = {"type": "checkpoint", "data": {}}


class MockClient(TestClient):
    ctx: MockContext


@pytest.fixture(scope="module")
def shared_client() -> MockClient:
    """One demo mock (seed 1) for the module, as ``mock_client`` would build it."""
    app = create_app(
        "agentlens",
        MockOptions(seed=1, dataset="demo", validate_responses=True),
        clock=Clock(START, frozen=True),
    )
    client = MockClient(app, base_url="http://localhost", raise_server_exceptions=False)
    client.ctx = context_of(app)
    return client


@pytest.fixture
def client(shared_client) -> Iterator[MockClient]:
    """The module's mock, back to its seeded state, clock and no faults; checked for
    responses that broke the spec afterwards."""
    shared_client.ctx.clock.set(START)
    reset = shared_client.post("/__mockgate/reset", headers={"Content-Type": "application/json"})
    assert reset.status_code == 204
    yield shared_client
    violations = list(shared_client.ctx.violations)
    shared_client.ctx.violations.clear()
    assert violations == [], "the mock broke its own spec"


@pytest.fixture
def sessions(client):
    """Every session of the demo dataset, as one page lists them."""
    return _ok(client.get("/api/sessions", headers=AUTH))["sessions"]


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def _error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body.pop("error"), str)
    assert body.pop("status") == status
    return body


# --- auth --------------------------------------------------------------------------------------

_OPERATIONS = [
    pytest.param("GET", "/api/sessions", id="listSessions"),
    pytest.param("GET", "/api/sessions/sess_x", id="getSession"),
    pytest.param("GET", "/api/sessions/sess_x/timeline", id="getSessionTimeline"),
    pytest.param("POST", "/api/events", id="ingestEvents"),
]
_BAD_CREDENTIALS = [
    pytest.param({}, id="missing"),
    pytest.param({"Authorization": "Bearer als_wrong_key"}, id="wrong-key"),
    pytest.param({"Authorization": "Basic als_mockgate_dev_key"}, id="wrong-scheme"),
    pytest.param({"Authorization": "als_mockgate_dev_key"}, id="no-scheme"),
    pytest.param({"Authorization": "Bearer "}, id="empty-key"),
]


@pytest.mark.parametrize(("method", "path"), _OPERATIONS)
@pytest.mark.parametrize("headers", _BAD_CREDENTIALS)
def test_without_a_valid_key_every_operation_answers_401(client, method, path, headers):
    body = {"events": [{"sessionId": "s", "agentId": "a", "eventType": "custom", "payload": {}}]}
    response = client.request(
        method, path, headers=headers, json=body if method == "POST" else None
    )
    assert _error(response, 401) == {}
    assert client.ctx.store.count("sessions") == DEMO_SESSIONS  # nothing was ingested


def test_the_admin_health_check_needs_no_key(client):
    body = _ok(client.get("/__mockgate/health"))
    assert (body["status"], body["api"], body["seed"]) == ("ok", "agentlens", 1)


# --- GET /api/sessions -------------------------------------------------------------------------


def test_the_default_page_lists_every_demo_session_newest_first(sessions, client):
    body = _ok(client.get("/api/sessions", headers=AUTH))
    assert (body["total"], len(body["sessions"]), body["hasMore"]) == (DEMO_SESSIONS, 40, False)
    assert len({s["id"] for s in sessions}) == DEMO_SESSIONS
    started = [(instant(s["startedAt"]), s["id"]) for s in sessions]
    assert started == sorted(started, reverse=True)
    # The dataset exercises every status (so the status filters below can fail).
    assert {s["status"] for s in sessions} == {"active", "completed", "error"}


def _tags(sessions):
    return sorted({t for s in sessions for t in s["tags"]})


def _an_hour_east(timestamp):
    """The same instant written with a +01:00 offset."""
    return instant(timestamp).astimezone(timezone(timedelta(hours=1))).isoformat()


# Each filter as a function of the listed sessions (newest first), so that its values come from
# the data and it keeps some sessions but not all.
_FILTERS = [
    pytest.param(lambda ss: {"agentId": ss[3]["agentId"]}, id="agentId"),
    pytest.param(lambda ss: {"status": "error"}, id="status-single"),
    pytest.param(lambda ss: {"status": "active,error"}, id="status-comma-separated"),
    pytest.param(lambda ss: {"status": "paused"}, id="status-unknown-value"),
    pytest.param(lambda ss: {"from": ss[10]["startedAt"]}, id="from-inclusive"),
    pytest.param(lambda ss: {"to": ss[10]["startedAt"]}, id="to-inclusive"),
    pytest.param(
        lambda ss: {"from": ss[30]["startedAt"], "to": ss[5]["startedAt"]}, id="from-and-to"
    ),
    pytest.param(lambda ss: {"from": _an_hour_east(ss[20]["startedAt"])}, id="from-with-offset"),
    pytest.param(lambda ss: {"tags": _tags(ss)[0]}, id="one-tag"),
    pytest.param(lambda ss: {"tags": ",".join(_tags(ss)[1:3])}, id="tags-comma-separated-any"),
    pytest.param(lambda ss: {"tags": "no-such-tag"}, id="unknown-tag"),
    pytest.param(
        lambda ss: {"agentId": ss[3]["agentId"], "status": "completed,error", "tags": "eu,us"},
        id="combined",
    ),
]


@pytest.mark.parametrize("make_query", _FILTERS)
def test_each_filter_keeps_exactly_the_matching_sessions(client, sessions, make_query, request):
    query = make_query(sessions)
    expected = [s for s in sessions if matches(s, query)]
    body = _ok(client.get("/api/sessions", headers=AUTH, params=query))
    assert body["sessions"] == expected
    assert body["total"] == len(expected)
    assert body["hasMore"] is False
    if "unknown" not in request.node.callspec.id:
        assert 0 < len(expected) < DEMO_SESSIONS, "the filter must keep some sessions, not all"


def test_the_bounds_of_from_and_to_are_inclusive(client, sessions):
    moment = sessions[7]["startedAt"]
    query = {"from": moment, "to": moment}
    assert [
        s["id"] for s in _ok(client.get("/api/sessions", headers=AUTH, params=query))["sessions"]
    ] == [sessions[7]["id"]]


@pytest.mark.parametrize(
    ("limit", "size", "has_more"),
    [
        pytest.param(None, 40, False, id="absent-means-50"),
        pytest.param(0, 40, False, id="zero-means-50"),
        pytest.param(-5, 1, True, id="negative-means-1"),
        pytest.param(7, 7, True, id="in-range"),
        pytest.param(1000, 40, False, id="above-500-is-clamped"),
    ],
)
def test_limit_is_clamped_as_the_real_server_does(client, sessions, limit, size, has_more):
    params = {} if limit is None else {"limit": limit}
    body = _ok(client.get("/api/sessions", headers=AUTH, params=params))
    assert body["sessions"] == sessions[:size]
    assert (body["total"], body["hasMore"]) == (DEMO_SESSIONS, has_more)


def test_page_sizes_with_more_sessions_than_the_largest_page(client):
    batch = [
        {"sessionId": f"bulk-{i:04d}", "agentId": "bulk", "eventType": "custom", "payload": _CUSTOM}
        for i in range(1000)
    ]
    _ok(client.post("/api/events", headers=AUTH, json={"events": batch}), 201)
    last = _ok(client.get("/api/sessions", headers=AUTH, params={"limit": 900, "offset": 600}))
    assert (len(last["sessions"]), last["hasMore"]) == (440, False)
    # limit -> page size, with 1040 sessions: 0 and absent mean 50, anything above 500 is 500.
    for limit, size in [(None, 50), (0, 50), (499, 499), (500, 500), (501, 500), (10**6, 500)]:
        params = {} if limit is None else {"limit": limit}
        body = _ok(client.get("/api/sessions", headers=AUTH, params=params))
        assert (len(body["sessions"]), body["total"], body["hasMore"]) == (size, 1040, True), limit


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        pytest.param(-3, slice(0, 5), id="negative-means-0"),
        pytest.param(0, slice(0, 5), id="zero"),
        pytest.param(36, slice(36, 40), id="short-last-page"),
        pytest.param(40, slice(40, 40), id="at-the-end"),
        pytest.param(99, slice(40, 40), id="past-the-end"),
    ],
)
def test_offset(client, sessions, offset, expected):
    body = _ok(client.get("/api/sessions", headers=AUTH, params={"limit": 5, "offset": offset}))
    assert body["sessions"] == sessions[expected]
    assert body["total"] == DEMO_SESSIONS
    assert body["hasMore"] is (expected.stop < DEMO_SESSIONS)


@pytest.mark.parametrize(
    ("params", "path"),
    [
        pytest.param({"limit": "abc"}, "limit", id="limit-not-a-number"),
        pytest.param({"limit": "2.5"}, "limit", id="limit-not-an-integer"),
        pytest.param({"offset": "abc"}, "offset", id="offset-not-a-number"),
        pytest.param({"from": "yesterday"}, "from", id="from-not-a-date-time"),
        pytest.param({"to": "2026-13-01T00:00:00Z"}, "to", id="to-not-a-date-time"),
        pytest.param({"sort": "asc"}, "sort", id="unknown-parameter"),
    ],
)
def test_invalid_queries_are_400_naming_the_parameter(client, params, path):
    body = _error(client.get("/api/sessions", headers=AUTH, params=params), 400)
    assert path in [d["path"] for d in body["details"]]
    assert all(isinstance(d["message"], str) and d["message"] for d in body["details"])


# Reading never changes the mock (frozen clock), so one client serves every example.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    limit=st.integers(1, 15),
    status=st.sampled_from([None, "completed", "active,error"]),
)
def test_walking_pages_returns_every_session_once_in_order(client, limit, status):
    query = {} if status is None else {"status": status}
    whole = _ok(client.get("/api/sessions", headers=AUTH, params={**query, "limit": 500}))
    seen, flags = [], []
    for offset in itertools.count(0, limit):
        params = {**query, "limit": limit, "offset": offset}
        body = _ok(client.get("/api/sessions", headers=AUTH, params=params))
        assert body["total"] == whole["total"]
        seen += body["sessions"]
        flags.append(body["hasMore"])
        if not body["hasMore"]:
            break
    assert seen == whole["sessions"]
    assert flags == [True] * (len(flags) - 1) + [False]
    assert len(flags) == max(1, -(-whole["total"] // limit))


# --- GET /api/sessions/{id} --------------------------------------------------------------------


def test_each_session_is_served_as_listed(client, sessions):
    for session in sessions:
        assert _ok(client.get(f"/api/sessions/{session['id']}", headers=AUTH)) == session


def test_only_ended_sessions_have_an_ended_at_key(sessions):
    """As on the real server: an active session has no `endedAt` at all (not `null`)."""
    by_status: dict[str, list] = {}
    for session in sessions:
        by_status.setdefault(session["status"], []).append(session)
    assert by_status.keys() == {"active", "completed", "error"}
    assert not [s["id"] for s in by_status["active"] if "endedAt" in s]
    for session in by_status["completed"] + by_status["error"]:
        assert instant(session["endedAt"]) >= instant(session["startedAt"]), session["id"]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/api/sessions/sess_nope", id="getSession"),
        pytest.param("/api/sessions/sess_nope/timeline", id="getSessionTimeline"),
    ],
)
def test_an_unknown_session_is_404(client, path):
    response = client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {"error": "Session not found", "status": 404}


# --- GET /api/sessions/{id}/timeline -----------------------------------------------------------


def test_timelines_are_ordered_and_linked_and_only_the_tampered_one_is_invalid(client, sessions):
    tampered = [s["id"] for s in sessions if TAMPERED_TAG in s["tags"]]
    assert len(tampered) == 1
    for session in sessions:
        body = _ok(client.get(f"/api/sessions/{session['id']}/timeline", headers=AUTH))
        events = body["events"]
        assert events, session["id"]
        assert {e["sessionId"] for e in events} == {session["id"]}
        assert events[0]["eventType"] == "session_started"
        assert_in_timeline_order(events)
        assert_linked(events)  # the tampered session's links are intact: only a payload changed
        assert body["chainValid"] is (session["id"] not in tampered)
        assert body["chained"] is True


def test_timeline_hashes_are_the_real_servers(client, sessions, node):
    for session in sessions:
        events = _ok(client.get(f"/api/sessions/{session['id']}/timeline", headers=AUTH))["events"]
        bad = mismatched_hashes(node, events)
        if TAMPERED_TAG in session["tags"]:
            # The edited event no longer matches its hash (the edit was made after hashing).
            assert [events[i]["eventType"] for i in bad] == ["tool_call"]
        else:
            assert bad == [], session["id"]


def test_an_unchained_timeline_says_so_and_is_verified_event_by_event(client, node):
    """OTLP telemetry (every prevHash null): `chained: false`, each event's own hash verified,
    as the real server does."""
    state = telemetry_state()
    assert client.put("/__mockgate/state", json=state).status_code == 204
    path = f"/api/sessions/{TELEMETRY_SESSION['id']}/timeline"
    timeline = _ok(client.get(path, headers=AUTH))
    assert timeline == {"events": list(TELEMETRY_EVENTS), "chainValid": True, "chained": False}
    assert mismatched_hashes(node, timeline["events"]) == []
    state["timelines"][TELEMETRY_SESSION["id"]]["events"][1]["payload"]["costUsd"] = 0
    assert client.put("/__mockgate/state", json=state).status_code == 204
    tampered = _ok(client.get(path, headers=AUTH))
    assert (tampered["chainValid"], tampered["chained"]) == (False, False)


def test_counters_agree_with_the_timeline(client, sessions):
    for session in sessions:
        events = _ok(client.get(f"/api/sessions/{session['id']}/timeline", headers=AUTH))["events"]
        counted = recount(events)
        assert counters_of(session) == pytest.approx(counted), session["id"]
    # The sums are not trivially zero in the dataset.
    assert sum(s["llmCallCount"] for s in sessions) > 0
    assert sum(s["errorCount"] for s in sessions) > 0
    assert sum(s["totalCostUsd"] for s in sessions) > 0


# --- POST /api/events --------------------------------------------------------------------------

_SID = "sess_ingested"


def _event(kind, payload, **fields):
    return {
        "sessionId": _SID,
        "agentId": "ingest-agent",
        "eventType": kind,
        "payload": payload,
        **fields,
    }


def _start(**fields):
    payload = {"agentName": "Ingest Agent", "tags": ["mockgate", "ci"]}
    return _event("session_started", payload, **fields)


def _tool_call(call_id="c1"):
    return _event("tool_call", {"toolName": "lookup", "callId": call_id, "arguments": {"q": "x"}})


def _post(client, *events):
    return _ok(client.post("/api/events", headers=AUTH, json={"events": list(events)}), 201)


def _timeline(client, sid=_SID):
    return _ok(client.get(f"/api/sessions/{sid}/timeline", headers=AUTH))


def test_the_first_event_creates_the_session(client):
    answer = _post(client, _start(), _tool_call())
    assert answer["ingested"] == 2
    session = _ok(client.get(f"/api/sessions/{_SID}", headers=AUTH))
    assert session == {
        "id": _SID,
        "agentId": "ingest-agent",
        "agentName": "Ingest Agent",
        "startedAt": "2026-01-19T12:00:00.000Z",  # no timestamp given: the clock's now
        "status": "active",  # no endedAt key while active, as on the real server
        "eventCount": 2,
        "toolCallCount": 1,
        "errorCount": 0,
        "totalCostUsd": 0,
        "tags": ["mockgate", "ci"],
        "llmCallCount": 0,
        "totalInputTokens": 0,
        "totalOutputTokens": 0,
    }
    timeline = _timeline(client)
    events = timeline["events"]
    assert [{"id": e["id"], "hash": e["hash"]} for e in events] == answer["events"]
    assert (events[1]["severity"], events[1]["metadata"]) == ("info", {})  # the defaults
    assert_linked(events)
    assert timeline["chainValid"] is True
    listed = _ok(client.get("/api/sessions", headers=AUTH))
    assert listed["total"] == DEMO_SESSIONS + 1
    assert listed["sessions"][0] == session  # the newest session


def test_a_session_is_chained_from_its_second_event(client):
    """One event links to nothing (`chained: false`, as the real server says); the next links."""
    _post(client, _start())
    timeline = _timeline(client)
    assert (len(timeline["events"]), timeline["chainValid"], timeline["chained"]) == (
        1,
        True,
        False,
    )
    _post(client, _tool_call())
    timeline = _timeline(client)
    assert (len(timeline["events"]), timeline["chainValid"], timeline["chained"]) == (2, True, True)


def test_a_quiet_session_stays_active_never_idle(client):
    """The real server may call a session quiet for long `idle`; the SDK rejects that status, so
    the mock keeps it `active` (and without `endedAt`) until its `session_ended`."""
    _post(client, _start(timestamp="2026-01-19T12:00:00.000Z"))
    client.ctx.clock.advance(timedelta(days=3))
    session = _ok(client.get(f"/api/sessions/{_SID}", headers=AUTH))
    assert session["status"] == "active"
    assert "endedAt" not in session
    active = _ok(client.get("/api/sessions", headers=AUTH, params={"status": "active"}))
    assert _SID in [s["id"] for s in active["sessions"]]


def test_later_events_append_link_and_count(client):
    _post(client, _start(), _tool_call())
    before = _timeline(client)["events"]
    usage = {"inputTokens": 1200, "outputTokens": 300, "totalTokens": 1500}
    answer = _post(
        client,
        _event(
            "llm_call", {"callId": "l1", "provider": "openai", "model": "gpt-4o", "messages": []}
        ),
        _event("llm_response", {"callId": "l1", "usage": usage, "costUsd": 0.006}),
        _event(
            "cost_tracked", {"provider": "openai", "model": "gpt-4o", **usage, "costUsd": 0.006}
        ),
        # An error event by its type (severity info) and one by its severity.
        _event("tool_error", {"callId": "c1", "toolName": "lookup", "error": "boom"}),
        _event("custom", _CUSTOM, severity="critical"),
    )
    events = _timeline(client)["events"]
    assert events[:2] == before
    assert [e["id"] for e in events[2:]] == [e["id"] for e in answer["events"]]
    assert events[2]["prevHash"] == before[-1]["hash"]
    assert_linked(events)
    session = _ok(client.get(f"/api/sessions/{_SID}", headers=AUTH))
    assert counters_of(session) == recount(events)
    assert (session["llmCallCount"], session["totalInputTokens"]) == (1, 1200)
    assert (session["errorCount"], session["totalCostUsd"]) == (2, 0.006)


def test_batches_ingested_in_one_millisecond_keep_their_order(client):
    # The clock is frozen: every batch gets the same timestamp, so the ids alone order them.
    answers = [_post(client, _event("custom", {**_CUSTOM, "data": {"n": n}})) for n in range(12)]
    events = _timeline(client)["events"]
    assert [e["payload"]["data"]["n"] for e in events] == list(range(12))
    assert [e["id"] for e in events] == [a["events"][0]["id"] for a in answers]
    assert_linked(events)
    assert _timeline(client)["chainValid"] is True


def test_the_same_ingest_gives_the_same_ids_and_hashes(mock_client):
    def ingest_twice(client):
        return [
            _post(client, _start(), _tool_call()),
            _post(client, _event("custom", _CUSTOM, sessionId="another")),
        ]

    one, two = (mock_client("agentlens", seed=1, dataset="demo") for _ in range(2))
    assert ingest_twice(one) == ingest_twice(two)


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        pytest.param("completed", "completed", id="completed"),
        pytest.param("timeout", "completed", id="timeout"),
        pytest.param("error", "error", id="error"),
    ],
)
def test_session_ended_ends_the_session(client, reason, status):
    _post(client, _start(), _tool_call())
    _post(client, _event("session_ended", {"reason": reason}, timestamp="2026-01-19T12:00:05.000Z"))
    session = _ok(client.get(f"/api/sessions/{_SID}", headers=AUTH))
    assert (session["status"], session["endedAt"]) == (status, "2026-01-19T12:00:05.000Z")
    timeline = _timeline(client)
    assert timeline["chainValid"] is True
    filtered = _ok(client.get("/api/sessions", headers=AUTH, params={"status": status}))
    assert _SID in [s["id"] for s in filtered["sessions"]]


def test_ingested_hashes_are_the_real_servers(client, node):
    """Payloads that JSON.stringify writes differently from Python's json module, hashed."""
    tricky = {
        "b": 1,
        "10": "index-like keys come first in JS",
        "2": [0.1, 1e21, 1e-7, 5e-324, -0.0, 2**53 + 1, 100.0],
        "a": {"z": None, "1": True, "é": "héllo ✓ \u2028 \U0001f600"},
    }
    _post(client, _start(), _tool_call(), _event("custom", {"type": "t", "data": tricky}))
    _post(client, _event("session_ended", {"reason": "completed"}, metadata={"k": [1, {}]}))
    events = _timeline(client)["events"]
    assert len(events) == 4
    assert mismatched_hashes(node, events) == []


def _many(n):
    return {"events": [_event("custom", _CUSTOM) for _ in range(n)]}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        pytest.param({"events": []}, "events", id="empty-list"),
        pytest.param(_many(1001), "events", id="1001-events"),
        pytest.param({}, "events", id="no-events"),
        pytest.param(
            {"events": [{k: v for k, v in _tool_call().items() if k != "sessionId"}]},
            "events.0.sessionId",
            id="missing-sessionId",
        ),
        pytest.param(
            {"events": [_tool_call(), _event("tool_exploded", {})]},
            "events.1.eventType",
            id="bad-eventType",
        ),
        pytest.param(
            {"events": [_event("custom", {}, severity="fatal")]},
            "events.0.severity",
            id="bad-severity",
        ),
        pytest.param(
            {"events": [_event("custom", {}, timestamp="soon")]},
            "events.0.timestamp",
            id="bad-timestamp",
        ),
    ],
)
def test_invalid_ingest_bodies_are_400_with_details_and_store_nothing(client, body, path):
    before = client.get("/api/sessions", headers=AUTH).content
    details = _error(client.post("/api/events", headers=AUTH, json=body), 400)["details"]
    assert path in [d["path"] for d in details]
    assert client.get("/api/sessions", headers=AUTH).content == before
    assert client.get(f"/api/sessions/{_SID}", headers=AUTH).status_code == 404


def test_a_body_that_is_not_json_is_400(client):
    headers = {**AUTH, "Content-Type": "application/json"}
    response = client.post("/api/events", headers=headers, content=b"{not json")
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_1000_events_are_accepted(client):
    answer = _post(client, *_many(1000)["events"])
    assert answer["ingested"] == 1000
    assert len({e["id"] for e in answer["events"]}) == 1000
    timeline = _timeline(client)
    assert [e["id"] for e in timeline["events"]] == [e["id"] for e in answer["events"]]
    assert timeline["chainValid"] is True


# --- determinism -------------------------------------------------------------------------------


def _fingerprint(client):
    listed = client.get("/api/sessions", headers=AUTH)
    first = listed.json()["sessions"][0]["id"]
    return listed.content, client.get(f"/api/sessions/{first}/timeline", headers=AUTH).content


def test_the_same_seed_gives_the_same_bytes(mock_client):
    one, two = (mock_client("agentlens", seed=1, dataset="demo") for _ in range(2))
    assert _fingerprint(one) == _fingerprint(two)


def test_another_seed_gives_other_data(mock_client):
    one, two = (mock_client("agentlens", seed=seed, dataset="demo") for seed in (1, 2))
    listed, timeline = _fingerprint(one)
    other_listed, other_timeline = _fingerprint(two)
    assert listed != other_listed
    assert timeline != other_timeline


def _document(example_id):
    path = fixtures_dir() / "doc-examples" / "agentlens.json"
    examples = json.loads(path.read_text(encoding="utf-8"))["examples"]
    return next(e["body"] for e in examples if e["id"] == example_id)


def test_the_docs_dataset_serves_the_documents_session(mock_client):
    client = mock_client("agentlens", dataset="docs")
    documented = _document("get-session-200")
    session = _ok(client.get("/api/sessions/sess_01HXYZ", headers=AUTH))
    # Every documented field, verbatim and in the document's order; then the counters the SDK
    # needs (the document omits them), counted from the events the document shows.
    assert list(session)[: len(documented)] == list(documented)
    assert {k: session[k] for k in documented} == documented
    assert {k: session[k] for k in session if k not in documented} == dict.fromkeys(SDK_COUNTERS, 0)
    listed = _ok(client.get("/api/sessions", headers=AUTH))
    assert (listed["sessions"], listed["total"], listed["hasMore"]) == ([session], 1, False)

    timeline = _ok(client.get("/api/sessions/sess_01HXYZ/timeline", headers=AUTH))
    shown = _document("get-session-timeline-200")["events"]
    unhashed = [{k: v for k, v in e.items() if k not in ("prevHash", "hash")} for e in shown]
    assert [
        {k: v for k, v in e.items() if k not in ("prevHash", "hash")} for e in timeline["events"]
    ] == unhashed
    assert [list(e) for e in timeline["events"]] == [list(e) for e in shown]
    assert_linked(timeline["events"])
    assert timeline["chainValid"] is True


def test_the_docs_timeline_hashes_are_the_real_servers(mock_client, node):
    client = mock_client("agentlens", dataset="docs")
    events = _ok(client.get("/api/sessions/sess_01HXYZ/timeline", headers=AUTH))["events"]
    assert mismatched_hashes(node, events) == []


# --- faults and Prefer on this API -------------------------------------------------------------


def test_a_fault_fails_the_next_list_in_the_agentlens_shape(client, sessions):
    fault = {"operation": "listSessions", "status": 503, "times": 1}
    _ok(client.post("/__mockgate/faults", json=fault), 201)
    assert _error(client.get("/api/sessions", headers=AUTH), 503) == {}
    assert _ok(client.get("/api/sessions", headers=AUTH))["sessions"] == sessions
    # Other operations were never affected.
    assert client.get(f"/api/sessions/{sessions[0]['id']}", headers=AUTH).status_code == 200


def test_prefer_code_404_on_get_session(client, sessions):
    headers = {**AUTH, "Prefer": "code=404"}
    response = client.get(f"/api/sessions/{sessions[0]['id']}", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"error": "Session not found", "status": 404}
    assert client.get(f"/api/sessions/{sessions[0]['id']}", headers=AUTH).status_code == 200


def test_prefer_example_last_page(client, agentlens_spec):
    response = client.get("/api/sessions", headers={**AUTH, "Prefer": "example=last-page"})
    operation = agentlens_spec["paths"]["/api/sessions"]["get"]
    example = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert _ok(response) == example["last-page"]["value"]
    assert _ok(response)["hasMore"] is False
