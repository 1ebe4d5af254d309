"""Seed data: deterministic, valid against the spec, and consistent with the session rules."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockgate.apis.agentlens.dataset import TAMPERED_TAG, docs_dataset, generate
from mockgate.apis.agentlens.hashchain import event_hash, verify
from mockgate.apis.agentlens.sessions import page, session_counters, timeline_order
from mockgate.apis.agentlens.ulid import ULID_PATTERN
from mockgate.core.resources import fixtures_dir
from mockgate.core.timestamps import parse_timestamp

SEED = 20260209
NOW = datetime(2026, 2, 9, 14, 30, 15, 987654, tzinfo=UTC)


@pytest.fixture(scope="module")
def dataset():
    return generate(SEED, NOW)


def _problems(data, now):
    """Every way ``data`` breaks the generated dataset's promises (empty when it keeps them)."""
    problems = []
    sessions, timelines = data["sessions"], data["events"]
    if list(timelines) != [s["id"] for s in sessions]:
        problems.append("events not keyed by the sessions' ids, in order")
    if sessions != page(sessions, 500)["sessions"]:
        problems.append("sessions not newest first")
    tampered = [s["id"] for s in sessions if TAMPERED_TAG in s["tags"]]
    if len(tampered) != 1:
        problems.append(f"{len(tampered)} sessions tagged {TAMPERED_TAG}")
    for session in sessions:
        timeline = timelines[session["id"]]
        problems += [f"{session['id']}: {p}" for p in _session_problems(session, timeline, now)]
        if verify(timeline) == (session["id"] in tampered):
            problems.append(f"{session['id']}: verify() is {verify(timeline)}")
    ids = [e["id"] for t in timelines.values() for e in t]
    if len(ids) != len(set(ids)):
        problems.append("event ids repeat")
    return problems


def _session_problems(session, timeline, now):
    problems = []
    counters = session_counters(timeline)
    if {k: session.get(k) for k in counters} != counters:
        problems.append("counters differ from session_counters(timeline)")
    if not 3 <= len(timeline) <= 60:
        problems.append(f"{len(timeline)} events")
    if not (session["id"].startswith("sess_") and ULID_PATTERN.fullmatch(session["id"][5:])):
        problems.append("session id is not sess_ + ULID")
    if any(not ULID_PATTERN.fullmatch(e["id"]) for e in timeline):
        problems.append("an event id is not a ULID")
    if timeline_order(timeline) != timeline:
        problems.append("timeline not in (timestamp, id) order")
    moments = [parse_timestamp(e["timestamp"]) for e in timeline]
    if any(a >= b for a, b in itertools.pairwise(moments)):
        problems.append("timestamps not strictly increasing")
    if moments[-1] > now:
        problems.append("an event after now")
    if {e["sessionId"] for e in timeline} != {session["id"]}:
        problems.append("events of another session")
    if {e["agentId"] for e in timeline} != {session["agentId"]}:
        problems.append("events of another agent")
    if session["startedAt"] != timeline[0]["timestamp"]:
        problems.append("startedAt is not the first event's timestamp")
    kinds = [e["eventType"] for e in timeline]
    if kinds[0] != "session_started" or kinds.count("session_started") != 1:
        problems.append("does not start with the one session_started")
    started = timeline[0]["payload"]
    if session["tags"] != started["tags"] or session.get("agentName") != started.get("agentName"):
        problems.append("tags/agentName differ from session_started")
    if session["status"] == "active":
        if "session_ended" in kinds or "endedAt" in session:
            problems.append("active but ended")
        if now - moments[-1] > timedelta(seconds=90):
            problems.append("active but its last event is not near now")
    else:
        if kinds[-1] != "session_ended" or kinds.count("session_ended") != 1:
            problems.append("ended but does not finish with the one session_ended")
        if session["endedAt"] != timeline[-1]["timestamp"]:
            problems.append("endedAt is not the last event's timestamp")
        reason = timeline[-1]["payload"]["reason"]
        if (session["status"] == "error") != (reason == "error"):
            problems.append(f"status {session['status']} after reason {reason}")
    if session["status"] == "error" and session["errorCount"] == 0:
        problems.append("error session without errors")
    problems += _pairing_problems(timeline)
    return problems


def _pairing_problems(timeline):
    problems = []
    calls = Counter(e["payload"]["callId"] for e in timeline if e["eventType"] == "tool_call")
    answers = Counter(
        e["payload"]["callId"]
        for e in timeline
        if e["eventType"] in ("tool_response", "tool_error")
    )
    if not calls or calls != answers or max(calls.values()) != 1:
        problems.append("tool calls not paired one to one with responses/errors")
    llm_calls = Counter(e["payload"]["callId"] for e in timeline if e["eventType"] == "llm_call")
    responses = [e["payload"] for e in timeline if e["eventType"] == "llm_response"]
    if llm_calls != Counter(r["callId"] for r in responses):
        problems.append("llm calls not paired with responses")
    if any(r["usage"]["totalTokens"] <= 0 for r in responses):
        problems.append("llm response without tokens")
    costs = [e["payload"]["costUsd"] for e in timeline if e["eventType"] == "cost_tracked"]
    if len(costs) != len(responses) or any(c <= 0 for c in costs):
        problems.append("cost_tracked does not follow every llm_response with a cost")
    return problems


def test_generated_dataset_keeps_its_promises(dataset):
    assert _problems(dataset, NOW) == []


def test_generated_dataset_is_realistic(dataset):
    sessions = dataset["sessions"]
    assert len(sessions) == 40
    agents = {s["agentId"] for s in sessions}
    assert 5 <= len(agents) <= 8
    unnamed = {s["agentId"] for s in sessions if "agentName" not in s}
    assert len(unnamed) == 1
    assert {s["status"] for s in sessions} == {"active", "completed", "error"}
    severities = {e["severity"] for t in dataset["events"].values() for e in t}
    assert severities == {"debug", "info", "warn", "error", "critical"}
    kinds = {e["eventType"] for t in dataset["events"].values() for e in t}
    assert {"tool_call", "tool_response", "tool_error", "llm_call", "llm_response"} <= kinds
    assert "cost_tracked" in kinds
    assert all(s["totalCostUsd"] > 0 for s in sessions if s["llmCallCount"])


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**64), sessions=st.integers(1, 6))
def test_any_seed_keeps_the_promises(seed, sessions):
    data = generate(seed, NOW, sessions=sessions)
    assert len(data["sessions"]) == sessions
    assert _problems(data, NOW) == []


def test_same_inputs_give_identical_output(dataset):
    assert json.dumps(generate(SEED, NOW)) == json.dumps(dataset)


@pytest.mark.parametrize(
    ("seed", "now"),
    [
        pytest.param(SEED + 1, NOW, id="other-seed"),
        pytest.param(SEED, NOW - timedelta(days=1), id="other-now"),
    ],
)
def test_other_inputs_give_other_output(dataset, seed, now):
    assert json.dumps(generate(seed, now)) != json.dumps(dataset)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"sessions": 0}, "at least 1", id="no-sessions"),
        pytest.param({"now": NOW.replace(tzinfo=None)}, "naive", id="naive-now"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(SEED, **{"now": NOW, **kwargs})


def test_tampered_session_is_discoverable_and_only_one_payload_changed(dataset):
    (session,) = [s for s in dataset["sessions"] if TAMPERED_TAG in s["tags"]]
    timeline = dataset["events"][session["id"]]
    assert not verify(timeline)
    mismatched = [e for e in timeline if e["hash"] != event_hash(e, e["prevHash"])]
    assert [e["eventType"] for e in mismatched] == ["tool_call"]
    # The links are intact: content was edited after hashing, nothing was re-linked.
    assert timeline[0]["prevHash"] is None
    assert all(b["prevHash"] == a["hash"] for a, b in itertools.pairwise(timeline))


def test_node_agrees_with_every_generated_hash(dataset, node):
    events = [e for timeline in dataset["events"].values() for e in timeline]
    assert [node.event_hash(e) for e in events] == [event_hash(e, e["prevHash"]) for e in events]


def test_every_record_is_valid_against_the_spec(dataset, schema_errors):
    problems = [(s["id"], schema_errors("Session", s)) for s in dataset["sessions"]]
    problems += [
        (e["id"], schema_errors("TimelineEvent", e))
        for timeline in dataset["events"].values()
        for e in timeline
    ]
    assert [p for p in problems if p[1]] == []
    assert schema_errors("SessionList", page(dataset["sessions"], 500)) == []
    some = dataset["sessions"][0]["id"]
    timeline = {"events": dataset["events"][some], "chainValid": True}
    assert schema_errors("Timeline", timeline) == []


def test_the_validator_does_catch_broken_records(dataset, schema_errors):
    session = {**dataset["sessions"][0], "startedAt": "yesterday", "eventCount": -1}
    assert len(schema_errors("Session", session)) == 2
    event = next(iter(dataset["events"].values()))[0]
    assert schema_errors("TimelineEvent", {k: v for k, v in event.items() if k != "prevHash"})


# --- the document's records ------------------------------------------------------------------


def _doc_example(example_id):
    path = fixtures_dir() / "doc-examples" / "agentlens.json"
    examples = json.loads(path.read_text(encoding="utf-8"))["examples"]
    return next(e["body"] for e in examples if e["id"] == example_id)


def test_docs_dataset_holds_the_documents_records_verbatim():
    docs = docs_dataset()
    assert docs["sessions"] == [_doc_example("get-session-200")]
    assert docs["sessions"] == _doc_example("list-sessions-200")["sessions"]
    strip = ("prevHash", "hash")
    documented = _doc_example("get-session-timeline-200")["events"]
    assert [
        {k: v for k, v in e.items() if k not in strip} for e in docs["events"]["sess_01HXYZ"]
    ] == [{k: v for k, v in e.items() if k not in strip} for e in documented]


def test_docs_dataset_chain_is_real_so_chain_valid_holds():
    timeline = docs_dataset()["events"]["sess_01HXYZ"]
    assert verify(timeline)
    assert all(len(e["hash"]) == 64 for e in timeline)
    assert [list(e) for e in timeline] == [
        list(e) for e in _doc_example("get-session-timeline-200")["events"]
    ]


def test_docs_dataset_is_valid_against_the_spec(schema_errors):
    docs = docs_dataset()
    assert schema_errors("Session", docs["sessions"][0]) == []
    timeline = {"events": docs["events"]["sess_01HXYZ"], "chainValid": True}
    assert schema_errors("Timeline", timeline) == []
