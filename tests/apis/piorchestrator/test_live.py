"""Live sessions: while the virtual clock runs, active sessions capture, time out, end, and new
ones start; the state depends on the seed and the clock reading only, not on who looked when."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pytest

from mockgate.apis.piorchestrator import live, stamps
from tests.apis.piorchestrator.expect import (
    LIST,
    START,
    advance,
    evidence,
    ok,
    pair,
    sessions,
)


def _snapshot(client):
    """The list and every listed session's evidence, as the dashboard would fetch them."""
    listed = client.get(LIST, params={"limit": 100}).content
    ids = [s["session_id"] for s in ok(client.get(LIST, params={"limit": 100}))["sessions"]]
    return listed, [client.get(f"/api/v1/sessions/{sid}/evidence").content for sid in ids]


def _status(client):
    return {s["session_id"]: s for s in sessions(client, limit=100)}


def test_nothing_changes_while_the_clock_stands_still(demo):
    assert _snapshot(demo) == _snapshot(demo)


def test_a_dashboard_refreshing_every_10_seconds_sees_sessions_progress(demo):
    first = _status(demo)
    active = {sid for sid, s in first.items() if s["status"] == "active"}
    seen = [first]
    for _ in range(30):  # five minutes
        advance(demo, "10s")
        seen.append(_status(demo))
    changes = sum(1 for a, b in itertools.pairwise(seen) if a != b)
    assert changes >= 10  # elapsed_seconds aside, captures and statuses change all along
    last = seen[-1]
    ended = {last[sid]["status"] for sid in active}
    assert ended == {"active", "complete", "failed", "partial"}
    stuck = [sid for sid in active if last[sid]["status"] == "active"]
    assert len(stuck) == 1
    assert last[stuck[0]]["elapsed_seconds"] > 300  # the dashboard flags it stale
    for sid in active:
        history = [snapshot[sid]["total_captures"] for snapshot in seen]
        assert history == sorted(history)  # captures only ever accumulate
    assert len(last) > len(first)  # new sessions started


def test_an_active_session_captures_before_then_after_and_completes(demo):
    waiting = [
        s
        for s in _status(demo).values()
        if s["status"] == "active" and s["has_before_open"] and s["failed_captures"] == 0
    ]
    sid = waiting[0]["session_id"]
    advance(demo, "4m")
    session = _status(demo)[sid]
    assert (session["status"], session["pair_complete"]) == ("complete", True)
    data = pair(demo, sid)
    assert data["pair_status"] == "complete"
    assert data["before"]["created_at"] < data["after"]["created_at"]


def test_some_active_sessions_fail_with_a_camera_timeout(demo):
    active = [sid for sid, s in _status(demo).items() if s["status"] == "active"]
    advance(demo, "5m")
    now = _status(demo)
    failed = [sid for sid in active if now[sid]["status"] == "failed"]
    assert failed
    for sid in failed:
        captures = evidence(demo, sid)["captures"]
        assert any(c["status"] == "timeout" for c in captures)
        timeouts = [c for c in captures if c["status"] == "timeout"]
        assert timeouts[0]["failure_reason"] == "Camera timeout after 30s"
        assert now[sid]["last_error"]["occurred_at"] == captures[-1]["created_at"]


def test_retry_after_says_when_the_next_capture_comes(demo):
    for session in _status(demo).values():
        if session["status"] != "active" or session["elapsed_seconds"] > 300:
            continue
        sid = session["session_id"]
        wait = pair(demo, sid)["retry_after_seconds"]
        count = session["total_captures"]
        demo.ctx.clock.advance(timedelta(seconds=wait - 1))
        assert _status(demo)[sid]["total_captures"] == count
        demo.ctx.clock.advance(timedelta(seconds=1))
        assert _status(demo)[sid]["total_captures"] == count + 1
        return
    pytest.fail("no live session")


def test_the_state_depends_on_the_clock_not_on_how_often_anyone_looked(pi):
    polled, jumped = pi(), pi()
    for _ in range(36):  # any request lets the store catch up with the clock
        advance(polled, "10s")
        polled.get(LIST)
    advance(jumped, "6m")
    assert _snapshot(polled) == _snapshot(jumped)


def test_the_same_seed_tells_the_same_story_and_another_seed_another(pi):
    one, two, other = pi(), pi(), pi(seed=2)
    for client in (one, two, other):
        advance(client, "20m")
    assert _snapshot(one) == _snapshot(two)
    assert ok(one.get(LIST)) != ok(other.get(LIST))


# --- the script and the spawner, without HTTP ------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "status", "tags"),
    [
        pytest.param("complete", "complete", ["BEFORE_OPEN", "AFTER_CLOSE"], id="complete"),
        pytest.param(
            "full",
            "complete",
            ["BEFORE_OPEN", "AFTER_OPEN", "BEFORE_CLOSE", "AFTER_CLOSE"],
            id="full",
        ),
        pytest.param("retry", "complete", ["BEFORE_OPEN"] * 2 + ["AFTER_CLOSE"], id="retry"),
        pytest.param("failed", "failed", ["BEFORE_OPEN"] * 2, id="failed"),
        pytest.param("partial", "partial", ["BEFORE_OPEN"] + ["AFTER_CLOSE"] * 2, id="partial"),
        pytest.param("stuck", "active", ["BEFORE_OPEN"], id="stuck"),
    ],
)
def test_every_outcome_plays_out_as_scripted(outcome, status, tags):
    started = stamps.stamp(START)
    session = live.new_session(
        random.Random(outcome),
        session_id="sess-test01",
        container_id="ctr-001",
        device_id="espcam-a1b2c3",
        started_at=started,
        outcome=outcome,
    )
    frozen = repr(session)
    ended, captures = live.advance(session, stamps.shift(started, 3600))
    assert repr(session) == frozen  # advance is pure
    assert ended["status"] == status
    assert "pending" not in ended or status == "active"
    assert [c["capture_tag"] for c in captures] == tags
    assert ("correlation_id" in ended) == (status == "failed")
    if status != "active":
        assert stamps.seconds_between(started, ended["ended_at"]) < 300


def test_the_spawner_stops_at_its_limit(monkeypatch):
    monkeypatch.setattr(live, "MAX_SPAWNED", 3)
    record = live.spawner(1, stamps.stamp(START))
    record, born = live.spawn_due(record, 1, stamps.shift(stamps.stamp(START), 86400), set())
    assert (record["spawned"], len(born)) == (3, 3)
    assert len({s["session_id"] for s in born}) == 3
    containers = [s["container_id"] for s in born]
    assert len(set(containers)) == 3  # taken in turn
