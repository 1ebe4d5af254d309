"""Live growth: the demo's active sessions receive events as the virtual clock runs.

Through HTTP: nothing changes while the clock stands still; after it moves, active sessions have
new events, hash-linked (checked by Node.js) and counted, and end properly; the result depends on
the seed and the clock reading only, not on how often anyone looked. Then the schedule itself.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from mockgate.apis.agentlens import growth
from mockgate.apis.agentlens.dataset import generate
from tests.apis.agentlens.expect import (
    AUTH,
    START,
    TAMPERED_TAG,
    assert_in_timeline_order,
    assert_linked,
    counters_of,
    instant,
    mismatched_hashes,
    recount,
)


def _list(client):
    response = client.get("/api/sessions", headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["sessions"]


def _timeline(client, sid):
    response = client.get(f"/api/sessions/{sid}/timeline", headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def _advance(client, duration):
    """Move the mock's clock through the admin API, as a dashboard developer would."""
    response = client.post("/__mockgate/clock", json={"advance": duration})
    assert response.status_code == 200, response.text


def _everything(client, ids):
    """The bytes of the list and of the timelines of ``ids``."""
    listed = client.get("/api/sessions", headers=AUTH)
    timelines = [client.get(f"/api/sessions/{sid}/timeline", headers=AUTH).content for sid in ids]
    return listed.content, timelines


@pytest.fixture(scope="module")
def seeded():
    """The demo dataset (seed 1) as generated, before any growth."""
    return generate(1, START)


@pytest.fixture(scope="module")
def growing(seeded):
    """The ids of its active sessions: the ones that grow (the others never change, as
    ``test_after_ten_minutes_active_sessions_have_grown`` shows)."""
    return [s["id"] for s in seeded["sessions"] if s["status"] == "active"]


@pytest.fixture
def demo(mock_client):
    return mock_client("agentlens", seed=1, dataset="demo")


def test_a_frozen_clock_changes_nothing(demo, monkeypatch, seeded):
    before = demo.ctx.store.snapshot()

    def never(*_args, **_kwargs):
        raise AssertionError("planned growth although no time passed")

    monkeypatch.setattr(growth, "plan", never)  # nothing due: not even a plan is computed
    listed = _list(demo)
    assert listed == seeded["sessions"]
    for session in listed:
        assert demo.get(f"/api/sessions/{session['id']}", headers=AUTH).json() == session
        assert _timeline(demo, session["id"])["events"] == seeded["events"][session["id"]]
    assert demo.ctx.store.snapshot() == before


def test_after_ten_minutes_active_sessions_have_grown(demo):
    before = {s["id"]: s for s in _list(demo)}
    old = {sid: _timeline(demo, sid)["events"] for sid in before}
    active = [sid for sid, s in before.items() if s["status"] == "active"]
    assert len(active) >= 3

    _advance(demo, "10m")
    now = START + timedelta(minutes=10)
    after = {s["id"]: s for s in _list(demo)}
    outcomes = set()
    for sid, session in after.items():
        timeline = _timeline(demo, sid)
        events = timeline["events"]
        assert demo.get(f"/api/sessions/{sid}", headers=AUTH).json() == session
        if sid not in active:
            assert (session, events) == (before[sid], old[sid])
            continue
        new = events[len(old[sid]) :]
        assert events[: len(old[sid])] == old[sid]
        assert new, f"{sid} received no event in 10 minutes"
        assert all(START < instant(e["timestamp"]) <= now for e in new)
        assert {(e["sessionId"], e["agentId"]) for e in new} == {(sid, session["agentId"])}
        assert_in_timeline_order(events)
        assert_linked(events)
        assert timeline["chainValid"] is (TAMPERED_TAG not in session["tags"])
        assert counters_of(session) == pytest.approx(recount(events))
        outcomes.add(_check_status(session, events))
    # Seed 1 shows both: sessions still running and sessions that finished meanwhile.
    assert outcomes == {"active", "ended"}


def _check_status(session, events):
    kinds = [e["eventType"] for e in events]
    if session["status"] == "active":
        assert "endedAt" not in session  # as on the real server
        assert "session_ended" not in kinds
        return "active"
    last = events[-1]
    assert kinds.count("session_ended") == 1
    assert last["eventType"] == "session_ended"
    assert session["endedAt"] == last["timestamp"]
    assert session["status"] == ("error" if last["payload"]["reason"] == "error" else "completed")
    return "ended"


def test_growth_depends_on_the_clock_reading_not_on_polling(mock_client, growing):
    once, often = (mock_client("agentlens", seed=1, dataset="demo") for _ in range(2))
    _advance(once, "10m")
    for _ in range(10):  # a dashboard polling every virtual minute
        _advance(often, "1m")
        _list(often)
        _timeline(often, growing[0])
    assert _everything(once, growing) == _everything(often, growing)
    assert _everything(once, growing) != _everything(
        mock_client("agentlens", seed=1, dataset="demo"), growing
    )


def test_every_growing_session_ends_and_then_stays_put(demo, growing):
    _advance(demo, "3h")
    ended = _everything(demo, growing)
    sessions = {s["id"]: s for s in _list(demo)}
    for sid in growing:
        timeline = _timeline(demo, sid)
        assert _check_status(sessions[sid], timeline["events"]) == "ended"
        assert counters_of(sessions[sid]) == pytest.approx(recount(timeline["events"]))
        assert timeline["chainValid"] is (TAMPERED_TAG not in sessions[sid]["tags"])
    _advance(demo, "2d")
    assert _everything(demo, growing) == ended


def test_client_events_join_a_growing_session_and_session_ended_stops_it(demo, growing):
    sid = growing[0]
    agent = demo.get(f"/api/sessions/{sid}", headers=AUTH).json()["agentId"]
    custom = {"type": "note", "data": {"by": "client"}}
    event = {"sessionId": sid, "agentId": agent, "eventType": "custom", "payload": custom}
    answer = demo.post("/api/events", headers=AUTH, json={"events": [event]})
    assert answer.status_code == 201
    _advance(demo, "5m")
    grown = _timeline(demo, sid)
    ids = [e["id"] for e in grown["events"]]
    assert ids.index(answer.json()["events"][0]["id"]) < len(ids) - 1  # growth went on after it
    assert grown["chainValid"] is True

    end = {**event, "eventType": "session_ended", "payload": {"reason": "manual"}}
    assert demo.post("/api/events", headers=AUTH, json={"events": [end]}).status_code == 201
    stopped = _timeline(demo, sid)
    _advance(demo, "1h")
    assert _timeline(demo, sid) == stopped
    assert demo.get(f"/api/sessions/{sid}", headers=AUTH).json()["status"] == "completed"


def test_grown_events_hash_as_the_real_server(demo, node, seeded, growing):
    _advance(demo, "3h")
    for sid in growing:
        events = _timeline(demo, sid)["events"]
        new = events[len(seeded["events"][sid]) :]
        assert len(new) >= growth.MIN_STEPS + 1
        assert mismatched_hashes(node, new) == []


def test_sessions_a_client_ingests_do_not_grow(demo):
    event = {"sessionId": "mine", "agentId": "me", "eventType": "session_started", "payload": {}}
    assert demo.post("/api/events", headers=AUTH, json={"events": [event]}).status_code == 201
    before = _timeline(demo, "mine")
    _advance(demo, "1h")
    assert _timeline(demo, "mine") == before


def test_the_bookmark_travels_with_the_state(mock_client, growing):
    source = mock_client("agentlens", seed=1, dataset="demo")
    _advance(source, "2m")
    _list(source)  # growth applied up to 12:02
    state = source.get("/__mockgate/state").json()
    copy = mock_client("agentlens", seed=1, dataset="empty")
    _advance(copy, "2m")
    assert copy.put("/__mockgate/state", json=state).status_code == 204
    for client in (source, copy):
        _advance(client, "8m")
    assert _everything(source, growing) == _everything(copy, growing)


# --- the schedule ------------------------------------------------------------------------------


def _record(sid="sess_x", *, seed=1):
    session = {"id": sid, "agentId": "agent", "startedAt": "2026-01-19T11:58:00.000Z"}
    started = {
        "id": "01KFB1W5C0000000000000000A",
        "timestamp": "2026-01-19T11:58:00.000Z",
        "eventType": "tool_call",
        "metadata": {"host": "worker-1"},
    }
    return growth.start(session, [started], seed=seed, seeded_at=START)


def test_start_anchors_the_schedule_at_the_seeding_moment():
    record = _record()
    assert (record["anchor"], record["applied"], record["toolCalls"]) == (
        "2026-01-19T12:00:00.000Z",
        0,
        1,
    )
    assert record["nextAt"] == growth.plan(record, 1)[0]["timestamp"]


@pytest.mark.parametrize("sid", [f"sess_{i}" for i in range(6)])
def test_a_plan_is_a_well_formed_session_tail(sid, schema_errors):
    record = _record(sid)
    planned = growth.plan(record, 1)
    assert planned == growth.plan(record, 1)
    assert planned != growth.plan(record, 2)
    moments = [instant(e["timestamp"]) for e in planned]
    assert all(a < b for a, b in itertools.pairwise(moments))
    low, high = (timedelta(milliseconds=ms) for ms in growth.STEP_GAP_MS)
    assert START + low <= moments[0] <= START + high
    assert len(planned) <= growth.MAX_STEPS * 3 + 1
    kinds = [e["eventType"] for e in planned]
    assert kinds[-1] == "session_ended"
    assert "session_ended" not in kinds[:-1]
    assert "session_started" not in kinds
    summary = planned[-1]["payload"]
    assert summary["totalToolCalls"] == 1 + kinds.count("tool_call")
    if summary["reason"] == "error":
        assert kinds[-2] == "tool_error"
    assert {e["metadata"]["host"] for e in planned} == {"worker-1"}
    assert len({e["id"] for e in planned}) == len(planned)
    assert [schema_errors("IngestEvent", e) for e in planned] == [[]] * len(planned)


def test_some_sessions_end_in_error():
    reasons = [growth.plan(_record(f"sess_{i}"), 7)[-1]["payload"]["reason"] for i in range(40)]
    assert 0 < reasons.count("error") < 20


@pytest.mark.parametrize(
    ("offset", "due"),
    [
        pytest.param(timedelta(milliseconds=-1), False, id="just-before"),
        pytest.param(timedelta(0), True, id="exactly-then"),
        pytest.param(timedelta(hours=1), True, id="later"),
    ],
)
def test_is_due(offset, due):
    record = _record()
    assert growth.is_due(record, instant(record["nextAt"]) + offset) is due
    assert growth.is_due({**record, "nextAt": None}, START + timedelta(days=9)) is False


def test_catch_up_stops_a_session_that_is_no_longer_active():
    record = _record()
    session = {"id": "sess_x", "agentId": "agent", "status": "completed"}
    result, updated = growth.catch_up(record, session, [], seed=1, now=START + timedelta(hours=1))
    assert result is None
    assert updated == {**record, "nextAt": None}
