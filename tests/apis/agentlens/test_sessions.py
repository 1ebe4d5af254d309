"""Session rules: timeline order, counters, limit/offset clamping, filters, paging and ingest."""

from __future__ import annotations

import copy
import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockgate.apis.agentlens.dataset import docs_dataset
from mockgate.apis.agentlens.hashchain import verify
from mockgate.apis.agentlens.sessions import (
    clamp_limit,
    clamp_offset,
    filter_sessions,
    ingest,
    page,
    session_counters,
    timeline_order,
)
from mockgate.apis.agentlens.ulid import ULID_PATTERN, UlidFactory

NOW = datetime(2026, 2, 9, 14, 0, 5, 678901, tzinfo=UTC)


def _event(event_type, severity="info", payload=None, **extra):
    return {"eventType": event_type, "severity": severity, "payload": payload or {}, **extra}


# --- timeline_order --------------------------------------------------------------------------


def test_timeline_order_is_by_timestamp_then_id():
    events = [
        {"id": "B", "timestamp": "2026-02-09T14:00:01.000Z"},
        {"id": "C", "timestamp": "2026-02-09T14:00:00.000Z"},
        {"id": "A", "timestamp": "2026-02-09T14:00:01.000Z"},
    ]
    assert [e["id"] for e in timeline_order(events)] == ["C", "A", "B"]


def test_timeline_order_compares_instants_not_strings():
    events = [
        {"id": "1", "timestamp": "2026-02-09T14:00:00Z"},  # "Z" sorts after "." as text
        {"id": "2", "timestamp": "2026-02-09T14:00:00.500Z"},
        {"id": "3", "timestamp": "2026-02-09T15:00:00.250+02:00"},  # 13:00:00.250Z
    ]
    assert [e["id"] for e in timeline_order(events)] == ["3", "1", "2"]


def test_timeline_order_leaves_its_input_alone():
    events = [
        {"id": "b", "timestamp": "2026-01-01T00:00:01Z"},
        {"id": "a", "timestamp": "2026-01-01T00:00:00Z"},
    ]
    before = copy.deepcopy(events)
    timeline_order(events)
    assert events == before


# --- session_counters ------------------------------------------------------------------------


def test_counters_of_a_full_session():
    events = [
        _event("session_started", payload={"agentName": "A"}),
        _event("tool_call", payload={"callId": "c1"}),
        _event("tool_response", payload={"callId": "c1"}),
        _event("tool_call", "debug", payload={"callId": "c2"}),
        _event("tool_error", "error", payload={"callId": "c2"}),
        _event("llm_call"),
        _event("llm_response", payload={"usage": {"inputTokens": 100, "outputTokens": 20}}),
        _event("cost_tracked", payload={"costUsd": 0.1}),
        _event("llm_call"),
        _event("llm_response", payload={"inputTokens": 50, "outputTokens": 5, "costUsd": 9.0}),
        _event("cost_tracked", payload={"costUsd": 0.2}),
        _event("alert_triggered", "warn"),
        _event("session_ended", "critical", payload={"reason": "error"}),
    ]
    assert session_counters(events) == {
        "eventCount": 13,
        "toolCallCount": 2,
        "errorCount": 2,
        "totalCostUsd": 0.3,  # 0.1 + 0.2 rounded; llm_response.costUsd not counted again
        "llmCallCount": 2,
        "totalInputTokens": 150,
        "totalOutputTokens": 25,
    }


def test_counters_of_nothing_are_zero():
    assert session_counters([]) == {
        "eventCount": 0,
        "toolCallCount": 0,
        "errorCount": 0,
        "totalCostUsd": 0.0,
        "llmCallCount": 0,
        "totalInputTokens": 0,
        "totalOutputTokens": 0,
    }


@pytest.mark.parametrize(
    ("event", "errors"),
    [
        pytest.param(_event("custom", "error"), 1, id="severity-error"),
        pytest.param(_event("custom", "critical"), 1, id="severity-critical"),
        pytest.param(_event("tool_error", "info"), 1, id="tool-error-any-severity"),
        pytest.param(_event("tool_error", "error"), 1, id="tool-error-counted-once"),
        pytest.param(_event("custom", "warn"), 0, id="warn-is-not-an-error"),
        pytest.param(_event("tool_response", "info"), 0, id="info"),
    ],
)
def test_error_count_rule(event, errors):
    assert session_counters([event])["errorCount"] == errors


@pytest.mark.parametrize(
    "cost",
    [
        pytest.param("0.5", id="string"),
        pytest.param(-1.0, id="negative"),
        pytest.param(True, id="bool"),
        pytest.param(float("nan"), id="nan"),
        pytest.param(float("inf"), id="infinity"),
        pytest.param(10**400, id="huge-int"),
        pytest.param(None, id="missing"),
    ],
)
def test_amounts_that_are_not_nonnegative_numbers_count_as_zero(cost):
    assert (
        session_counters([_event("cost_tracked", payload={"costUsd": cost})])["totalCostUsd"] == 0
    )


def test_cost_is_rounded_to_six_decimals():
    events = [_event("cost_tracked", payload={"costUsd": 0.0000014})] * 3
    assert session_counters(events)["totalCostUsd"] == 0.000004


# --- clamping --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, 50, id="missing"),
        pytest.param(0, 50, id="zero"),
        pytest.param(-1, 1, id="negative"),
        pytest.param(-500, 1, id="very-negative"),
        pytest.param(1, 1, id="one"),
        pytest.param(20, 20, id="in-range"),
        pytest.param(500, 500, id="max"),
        pytest.param(501, 500, id="above-max"),
        pytest.param(10**9, 500, id="huge"),
    ],
)
def test_clamp_limit(raw, expected):
    assert clamp_limit(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, 0, id="missing"),
        pytest.param(-7, 0, id="negative"),
        pytest.param(0, 0, id="zero"),
        pytest.param(7, 7, id="positive"),
    ],
)
def test_clamp_offset(raw, expected):
    assert clamp_offset(raw) == expected


# --- filter_sessions -------------------------------------------------------------------------


def _session(sid, started, *, agent="a1", status="completed", tags=()):
    return {"id": sid, "agentId": agent, "startedAt": started, "status": status, "tags": list(tags)}


SESSIONS = [
    _session("s1", "2026-02-01T00:00:00.000Z", tags=["production"]),
    _session("s2", "2026-02-02T12:00:00.000Z", agent="a2", status="error", tags=["staging", "eu"]),
    _session("s3", "2026-02-03T00:00:00.000Z", status="active", tags=["eu"]),
    _session("s4", "2026-02-04T00:00:00.000Z", agent="a2"),
]


def _at(text):
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param({}, ["s1", "s2", "s3", "s4"], id="none"),
        pytest.param({"agent_id": "a2"}, ["s2", "s4"], id="agent"),
        pytest.param({"agent_id": "nobody"}, [], id="unknown-agent"),
        pytest.param({"statuses": ["error"]}, ["s2"], id="one-status"),
        pytest.param({"statuses": ["error", "active"]}, ["s2", "s3"], id="several-statuses"),
        pytest.param({"statuses": ["bogus"]}, [], id="unknown-status-matches-nothing"),
        pytest.param({"statuses": []}, ["s1", "s2", "s3", "s4"], id="empty-statuses-no-filter"),
        pytest.param(
            {"since": _at("2026-02-02T12:00:00Z")}, ["s2", "s3", "s4"], id="since-inclusive"
        ),
        pytest.param({"until": _at("2026-02-02T12:00:00Z")}, ["s1", "s2"], id="until-inclusive"),
        pytest.param(
            {"since": _at("2026-02-02T00:00:00+00:00"), "until": _at("2026-02-03T01:00:00+01:00")},
            ["s2", "s3"],
            id="range-with-offsets",
        ),
        pytest.param({"tags": ["eu"]}, ["s2", "s3"], id="one-tag"),
        pytest.param({"tags": ["production", "staging"]}, ["s1", "s2"], id="any-of-the-tags"),
        pytest.param({"tags": ["nope"]}, [], id="unknown-tag"),
        pytest.param({"tags": []}, ["s1", "s2", "s3", "s4"], id="empty-tags-no-filter"),
        pytest.param({"agent_id": "a2", "tags": ["eu"]}, ["s2"], id="filters-combine-with-and"),
    ],
)
def test_filter_sessions(filters, expected):
    assert [s["id"] for s in filter_sessions(SESSIONS, **filters)] == expected


# --- page ------------------------------------------------------------------------------------


def test_page_lists_newest_first_ties_by_id_descending():
    sessions = [
        _session("a", "2026-02-01T00:00:00.000Z"),
        _session("c", "2026-02-02T00:00:00.000Z"),
        _session("b", "2026-02-02T00:00:00Z"),  # same instant as "c"
    ]
    assert [s["id"] for s in page(sessions)["sessions"]] == ["c", "b", "a"]


@pytest.mark.parametrize(
    ("limit", "offset", "ids", "has_more"),
    [
        pytest.param(2, 0, ["s4", "s3"], True, id="first-page"),
        pytest.param(2, 2, ["s2", "s1"], False, id="last-page-exactly"),
        pytest.param(3, 2, ["s2", "s1"], False, id="short-last-page"),
        pytest.param(2, 10, [], False, id="past-the-end"),
        pytest.param(None, None, ["s4", "s3", "s2", "s1"], False, id="defaults"),
        pytest.param(0, 0, ["s4", "s3", "s2", "s1"], False, id="zero-limit-means-50"),
        pytest.param(-3, 0, ["s4"], True, id="negative-limit-means-1"),
        pytest.param(1, -3, ["s4"], True, id="negative-offset-means-0"),
    ],
)
def test_page(limit, offset, ids, has_more):
    result = page(SESSIONS, limit, offset)
    assert [s["id"] for s in result["sessions"]] == ids
    assert result["total"] == len(SESSIONS)
    assert result["hasMore"] is has_more


def test_page_caps_at_500():
    many = [_session(f"s{i:04d}", "2026-02-01T00:00:00.000Z") for i in range(501)]
    result = page(many, 1000)
    assert len(result["sessions"]) == 500
    assert result["hasMore"] is True


_TIES = [datetime(2026, 1, 1, 9, tzinfo=UTC), datetime(2026, 1, 1, 10, tzinfo=UTC)]
_starts = st.lists(
    st.sampled_from(_TIES)  # equal startedAt values, to exercise the id tie-break
    | st.datetimes(
        min_value=datetime(2026, 1, 1),  # hypothesis takes naive bounds
        max_value=datetime(2026, 1, 2),
        timezones=st.just(UTC),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(starts=_starts, limits=st.lists(st.integers(-2, 35), min_size=1, max_size=40))
def test_walking_pages_never_skips_or_repeats(starts, limits):
    sessions = [
        _session(f"s{i:02d}", t.isoformat(timespec="milliseconds")) for i, t in enumerate(starts)
    ]
    seen: list[str] = []
    offset = 0
    for raw in itertools.cycle(limits):
        result = page(sessions, raw, offset)
        assert result["total"] == len(sessions)
        seen += [s["id"] for s in result["sessions"]]
        offset += len(result["sessions"])
        if not result["hasMore"]:
            break
    assert len(seen) == len(set(seen))
    assert seen == [s["id"] for s in page(sessions, 500)["sessions"]]


# --- ingest ----------------------------------------------------------------------------------


def _ids(prefix="01JN4Q8Z3K5M7P9R1T3V5X7Z"):
    counter = itertools.count()
    return lambda _now: f"{prefix}{next(counter):02d}"


def _ingest_request(agentlens_spec):
    body = agentlens_spec["paths"]["/api/events"]["post"]["requestBody"]
    return body["content"]["application/json"]["examples"]["session-with-tool-call"]["value"]


def test_ingest_reproduces_the_spec_example(agentlens_spec, schema_errors):
    """The spec's ingest example, with its ids, gives its 201 body: hashes and all."""
    request = _ingest_request(agentlens_spec)
    expected = agentlens_spec["paths"]["/api/events"]["post"]["responses"]["201"]["content"][
        "application/json"
    ]["examples"]["session-with-tool-call"]["value"]
    ids = iter(e["id"] for e in expected["events"])
    result = ingest({}, {}, request["events"], now=NOW, id_factory=lambda _now: next(ids))
    assert result.body == expected
    assert schema_errors("IngestResult", result.body) == []


def test_ingest_creates_the_session(agentlens_spec, schema_errors):
    result = ingest({}, {}, _ingest_request(agentlens_spec)["events"], now=NOW, id_factory=_ids())
    session = result.sessions["sess_01HZZZ"]
    assert session == {
        "id": "sess_01HZZZ",
        "agentId": "my-agent",
        "agentName": "My Agent",
        "startedAt": "2026-02-09T14:00:00.000Z",
        "status": "active",
        "eventCount": 3,
        "toolCallCount": 1,
        "errorCount": 0,
        "totalCostUsd": 0.0,
        "tags": ["staging"],
        "llmCallCount": 0,
        "totalInputTokens": 0,
        "totalOutputTokens": 0,
    }
    timeline = result.timelines["sess_01HZZZ"]
    assert verify(timeline)
    assert schema_errors("Session", session) == []
    assert [schema_errors("TimelineEvent", e) for e in timeline] == [[], [], []]


def test_ingest_fills_defaults():
    raw = {
        "sessionId": "s",
        "agentId": "a",
        "eventType": "custom",
        "payload": {"type": "t", "data": {}},
    }
    result = ingest({}, {}, [{**raw, "unknownField": 1}], now=NOW, id_factory=_ids())
    (event,) = result.timelines["s"]
    assert list(event) == [
        "id", "timestamp", "sessionId", "agentId", "eventType", "severity", "payload", "metadata",
        "prevHash", "hash",
    ]  # fmt: skip
    assert event["timestamp"] == "2026-02-09T14:00:05.678Z"  # now, milliseconds truncated
    assert event["severity"] == "info"
    assert event["metadata"] == {}
    assert event["prevHash"] is None
    # A session created by another event than session_started has no name and no tags.
    session = result.sessions["s"]
    assert "agentName" not in session
    assert session["tags"] == []
    assert session["status"] == "active"


def test_ingest_answers_in_request_order_across_sessions():
    events = [
        _event("session_started", sessionId="x", agentId="a"),
        _event("session_started", sessionId="y", agentId="b"),
        _event("custom", sessionId="x", agentId="a"),
    ]
    result = ingest({}, {}, events, now=NOW, id_factory=_ids())
    assert [e["id"] for e in result.body["events"]] == [
        "01JN4Q8Z3K5M7P9R1T3V5X7Z00",
        "01JN4Q8Z3K5M7P9R1T3V5X7Z01",
        "01JN4Q8Z3K5M7P9R1T3V5X7Z02",
    ]
    assert result.body["ingested"] == 3
    assert [len(result.timelines[s]) for s in ("x", "y")] == [2, 1]
    assert all(verify(t) for t in result.timelines.values())
    hashes = {e["id"]: e["hash"] for t in result.timelines.values() for e in t}
    assert all(hashes[e["id"]] == e["hash"] for e in result.body["events"])


def test_ingest_extends_an_existing_chain():
    first = ingest(
        {},
        {},
        [_event("session_started", sessionId="s", agentId="a")],
        now=NOW,
        id_factory=_ids("A" * 24),
    )
    later = NOW + timedelta(seconds=1)
    second = ingest(
        first.sessions,
        first.timelines,
        [_event("tool_call", payload={"callId": "c"}, sessionId="s", agentId="a")],
        now=later,
        id_factory=_ids("B" * 24),
    )
    timeline = second.timelines["s"]
    assert len(timeline) == 2
    assert timeline[1]["prevHash"] == timeline[0]["hash"]
    assert verify(timeline)
    assert second.sessions["s"]["eventCount"] == 2
    assert second.sessions["s"]["toolCallCount"] == 1


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        pytest.param("completed", "completed", id="completed"),
        pytest.param("error", "error", id="error"),
        pytest.param("timeout", "completed", id="timeout-is-completed"),
        pytest.param("manual", "completed", id="manual-is-completed"),
    ],
)
def test_session_ended_ends_the_session(reason, status):
    events = [
        _event("session_started", sessionId="s", agentId="a", timestamp="2026-02-09T13:00:00.000Z"),
        _event(
            "session_ended",
            payload={"reason": reason},
            sessionId="s",
            agentId="a",
            timestamp="2026-02-09T13:05:00.000Z",
        ),
    ]
    session = ingest({}, {}, events, now=NOW, id_factory=_ids()).sessions["s"]
    assert session["status"] == status
    assert session["endedAt"] == "2026-02-09T13:05:00.000Z"


def test_session_started_again_reactivates():
    ended = ingest(
        {},
        {},
        [
            _event(
                "session_started",
                payload={"agentName": "Old", "tags": ["t"]},
                sessionId="s",
                agentId="a",
            ),
            _event("session_ended", payload={"reason": "completed"}, sessionId="s", agentId="a"),
        ],
        now=NOW,
        id_factory=_ids("A" * 24),
    )
    restarted = ingest(
        ended.sessions,
        ended.timelines,
        [
            _event(
                "session_started",
                payload={"agentName": "New", "tags": []},
                sessionId="s",
                agentId="a",
            )
        ],
        now=NOW + timedelta(seconds=1),
        id_factory=_ids("B" * 24),
    ).sessions["s"]
    assert restarted["status"] == "active"
    assert "endedAt" not in restarted  # the real server would keep the old one; active has none
    assert restarted["agentName"] == "New"
    assert restarted["tags"] == ["t"]  # an empty tag list does not clear them


def test_ingest_grows_seeded_counters_instead_of_recounting(schema_errors):
    docs = docs_dataset()
    session = docs["sessions"][0]
    sid = session["id"]
    result = ingest(
        {sid: session},
        docs["events"],
        [_event("tool_call", payload={"callId": "c9"}, sessionId=sid, agentId="my-agent")],
        now=NOW,
        id_factory=_ids(),
    )
    grown = result.sessions[sid]
    assert (grown["eventCount"], grown["toolCallCount"], grown["totalCostUsd"]) == (48, 16, 0.42)
    assert grown["llmCallCount"] == 0  # the optional counters start being sent
    assert verify(result.timelines[sid])
    assert schema_errors("Session", grown) == []


def test_ingest_modifies_nothing_it_was_given():
    docs = docs_dataset()
    sessions = {s["id"]: s for s in docs["sessions"]}
    before = copy.deepcopy((sessions, docs["events"]))
    request = [
        _event("tool_call", payload={"arguments": {"q": "x"}}, sessionId="sess_01HXYZ", agentId="a")
    ]
    result = ingest(sessions, docs["events"], request, now=NOW, id_factory=_ids())
    assert (sessions, docs["events"]) == before
    # Nor does the stored event share state with the request.
    request[0]["payload"]["arguments"]["q"] = "changed"
    assert verify(result.timelines["sess_01HXYZ"])


def test_a_back_dated_event_breaks_the_timeline_chain_as_on_the_real_server():
    first = ingest(
        {},
        {},
        [_event("session_started", sessionId="s", agentId="a")],
        now=NOW,
        id_factory=_ids("A" * 24),
    )
    late = _event("custom", sessionId="s", agentId="a", timestamp="2020-01-01T00:00:00.000Z")
    result = ingest(first.sessions, first.timelines, [late], now=NOW, id_factory=_ids("B" * 24))
    timeline = result.timelines["s"]
    assert timeline[0]["timestamp"] == "2020-01-01T00:00:00.000Z"
    assert result.sessions["s"]["startedAt"] == "2020-01-01T00:00:00.000Z"
    assert not verify(timeline)


def test_ingest_needs_an_aware_now():
    with pytest.raises(ValueError, match="naive"):
        ingest(
            {},
            {},
            [_event("custom", sessionId="s", agentId="a")],
            now=datetime(2026, 1, 1),
            id_factory=_ids(),
        )


def test_ingest_with_ulids_keeps_same_millisecond_events_in_order():
    ids = UlidFactory(random.Random(1))
    events = [_event("custom", sessionId="s", agentId="a", payload={"n": i}) for i in range(20)]
    result = ingest({}, {}, events, now=NOW, id_factory=ids)
    timeline = result.timelines["s"]
    assert [e["payload"]["n"] for e in timeline] == list(range(20))
    assert all(ULID_PATTERN.fullmatch(e["id"]) for e in timeline)
    assert verify(timeline)


def test_only_string_tags_are_kept():
    started = _event(
        "session_started", payload={"tags": ["a", 1, None, "b"]}, sessionId="s", agentId="a"
    )
    assert ingest({}, {}, [started], now=NOW, id_factory=_ids()).sessions["s"]["tags"] == ["a", "b"]
