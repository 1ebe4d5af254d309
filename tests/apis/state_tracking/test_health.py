"""The session health score and recommendations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockgate.apis.state_tracking.health import health_score, session_health

T0 = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "seconds", "attempts", "score"),
    [
        pytest.param("active", 0, 0, 100, id="fresh"),
        pytest.param("active", 15, 0, 95, id="documented-15s"),
        pytest.param("active", 60, 0, 95, id="one-minute"),
        pytest.param("active", 61, 0, 90, id="second-minute"),
        pytest.param("active", 600, 0, 60, id="silence-capped"),
        pytest.param("stalled", 3600, 0, 20, id="documented-stalled-hour"),
        pytest.param("paused", 30, 0, 95, id="paused"),
        pytest.param("active", 15, 2, 75, id="recovered-twice"),
        pytest.param("active", 15, 9, 65, id="recoveries-capped"),
        pytest.param("stalled", 3600, 5, 0, id="floor"),
        pytest.param("failed", 0, 0, 0, id="failed"),
        pytest.param("completed", 86400, 0, 100, id="completed-silence-ignored"),
        pytest.param("archived", 86400, 1, 90, id="archived"),
    ],
)
def test_health_score(status, seconds, attempts, score):
    assert health_score(status, seconds, attempts) == score


def session(status: str = "active", heard: datetime = T0, attempts: int = 0) -> dict:
    return {
        "session_id": "550e8400-e29b-41d4-a716-446655440000",
        "project_id": "123",
        "machine_id": "macbook-pro-m1",
        "docker_slot": 1,
        "status": status,
        "started_at": "2026-01-19T11:00:00.000Z",
        "completed_at": None,
        "last_heartbeat": heard.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "current_task_id": "task-uuid-456",
        "recovery_attempts": attempts,
    }


def test_the_documented_healthy_answer_then_the_real_servers_fields():
    health = session_health(session(), now=T0 + timedelta(seconds=15), threshold=300)
    assert health == {
        "session_id": "550e8400-e29b-41d4-a716-446655440000",
        "status": "active",
        "is_stale": False,
        "last_heartbeat": "2026-01-19T12:00:00.000Z",
        "seconds_since_heartbeat": 15,
        "health_score": 95,
        "recommendations": [],
        "time_since_heartbeat": 15,
        "project_id": "123",
        "machine_id": "macbook-pro-m1",
        "docker_slot": 1,
        "current_task_id": "task-uuid-456",
        "started_at": "2026-01-19T11:00:00.000Z",
        "completed_at": None,
    }


def test_the_documented_stale_answer():
    health = session_health(session("stalled"), now=T0 + timedelta(hours=1), threshold=300)
    assert (health["is_stale"], health["health_score"]) == (True, 20)
    assert health["recommendations"] == [
        "Session has not sent a heartbeat for 3600 seconds",
        "Check that the Claude process is still running",
        "Consider recovering the session on another machine",
    ]


def test_the_threshold_decides_staleness_not_the_score():
    lenient = session_health(session(), now=T0 + timedelta(seconds=400), threshold=600)
    strict = session_health(session(), now=T0 + timedelta(seconds=400), threshold=60)
    assert (lenient["is_stale"], strict["is_stale"]) == (False, True)
    assert lenient["health_score"] == strict["health_score"] == 65
    assert lenient["recommendations"] == []


def test_failed_and_fragile_sessions_get_advice():
    health = session_health(
        session("failed", attempts=3), now=T0, threshold=300, failure_reason="Claude crashed"
    )
    advice = health["recommendations"]
    assert advice[0] == "Session failed: Claude crashed"
    assert "failure-info" in advice[1]
    assert advice[2].startswith("Session has been recovered 3 times")


def test_finished_sessions_are_never_told_to_heartbeat():
    health = session_health(session("completed"), now=T0 + timedelta(days=1), threshold=300)
    assert health["is_stale"] is True
    assert health["recommendations"] == []
