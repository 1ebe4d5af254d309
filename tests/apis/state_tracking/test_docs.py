"""The ``docs`` dataset reproduces the document's answers, byte for byte where the document's
records and times allow it (the clock moved as the examples' timestamps say)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.apis.state_tracking.factory import DOC_SESSION


@pytest.fixture
def docs(tracking):
    return tracking("docs")


@pytest.mark.parametrize(
    ("path", "example"),
    [
        pytest.param(
            "/sessions?status=active&project_id=123&limit=10", "list-sessions-200", id="sessions"
        ),
        pytest.param(f"/sessions/{DOC_SESSION}", "get-session-200", id="session"),
        pytest.param("/sessions/active?project_id=123", "find-active-sessions-200", id="active"),
        pytest.param("/machines?status=online", "list-machines-200", id="machines"),
        pytest.param("/machines/available", "find-available-machines-200", id="available"),
        pytest.param(
            f"/tasks?session_id={DOC_SESSION}&status=in_progress", "list-tasks-200", id="tasks"
        ),
    ],
)
def test_reads(docs, doc_examples, path, example):
    """The documented answer, within which the mock adds the real server's fields."""
    assert within(doc_examples[example], docs.get(path).json())


def within(documented: Any, answered: Any) -> bool:
    """Whether ``answered`` is ``documented`` with fields added to its objects (lists as long,
    every documented key and value kept)."""
    if isinstance(documented, list):
        return (
            isinstance(answered, list)
            and len(answered) == len(documented)
            and all(map(within, documented, answered))
        )
    if isinstance(documented, dict):
        return isinstance(answered, dict) and all(
            key in answered and within(value, answered[key]) for key, value in documented.items()
        )
    return bool(documented == answered)


def test_health_and_heartbeats_fifteen_seconds_later(docs, doc_examples):
    docs.ctx.clock.advance(timedelta(seconds=15))
    health = docs.get(f"/sessions/{DOC_SESSION}/health").json()
    assert within(doc_examples["get-session-health-200"], health)
    assert health["time_since_heartbeat"] == health["seconds_since_heartbeat"] == 15
    beat = docs.post(f"/sessions/{DOC_SESSION}/heartbeat").json()
    assert beat == doc_examples["session-heartbeat-200"]
    machine = docs.post("/machines/macbook-pro-m1/heartbeat").json()
    assert machine == doc_examples["machine-heartbeat-200"]


def test_update_and_assign(docs, doc_examples):
    """The documented session and slot map, with the real server's fields: the session's
    ``created_at`` (its start) and ``updated_at`` (now), the whole machine."""
    updated = docs.put(f"/sessions/{DOC_SESSION}", json=doc_examples["update-session-request"])
    assert updated.json() == doc_examples["update-session-200"] | {
        "created_at": "2026-01-19T11:00:00.000Z",
        "updated_at": "2026-01-19T12:00:00.000Z",
    }
    assigned = docs.post(
        "/machines/macbook-pro-m1/assign-session", json=doc_examples["assign-session-request"]
    )
    assert assigned.status_code == 200  # the document's status (the real server's is 201)
    machine = assigned.json()
    assert within(doc_examples["assign-session-200"], machine)
    assert machine["active_sessions"] == [DOC_SESSION]
    assert within(doc_examples["list-machines-200"][0], machine)


def test_failure_archive_and_recovery(docs, doc_examples):
    docs.ctx.clock.advance(timedelta(seconds=30))
    failed = docs.post(
        f"/sessions/{DOC_SESSION}/mark-failed", json=doc_examples["mark-session-failed-request"]
    ).json()
    documented = doc_examples["mark-session-failed-200"]
    assert {k: failed[k] for k in ("session_id", "status", "completed_at")} == {
        k: documented[k] for k in ("session_id", "status", "completed_at")
    }
    assert documented["metadata"].items() <= failed["metadata"].items()
    info = docs.get(f"/sessions/{DOC_SESSION}/failure-info").json()
    expected = doc_examples["get-failure-info-200"]
    assert expected["error_details"].items() <= info["error_details"].items()
    assert {k: v for k, v in info.items() if k != "error_details"} == {
        k: v for k, v in expected.items() if k != "error_details"
    }
    recovered = docs.post(
        f"/sessions/{DOC_SESSION}/recover", json=doc_examples["recover-session-request"]
    ).json()
    assert within(doc_examples["recover-session-200"], recovered)
    assert recovered == docs.get(f"/sessions/{DOC_SESSION}").json()  # the whole session
    assert recovered["current_task_id"] == "task-uuid-456"


def test_archive_fortyfive_seconds_later(docs, doc_examples):
    docs.ctx.clock.advance(timedelta(seconds=30))
    docs.post(f"/sessions/{DOC_SESSION}/mark-failed", json={"reason": "crashed"})
    docs.ctx.clock.advance(timedelta(seconds=15))
    archived = docs.post(f"/sessions/{DOC_SESSION}/archive").json()
    assert within(doc_examples["archive-session-200"], archived)
    assert archived == docs.get(f"/sessions/{DOC_SESSION}").json()  # the whole session
    again = docs.post(f"/sessions/{DOC_SESSION}/archive")
    assert (again.status_code, again.json()) == (200, archived)  # archiving twice changes nothing


@pytest.mark.parametrize(
    ("action", "body", "example"),
    [
        pytest.param("complete", None, "complete-task-200", id="complete"),
        pytest.param("fail", "fail-task-request", "fail-task-200", id="fail"),
    ],
)
def test_finishing_the_documented_task(docs, doc_examples, action, body, example):
    """The documented fields as documented, within the whole task the real server answers."""
    docs.ctx.clock.advance(timedelta(seconds=30))
    sent = doc_examples[body] if body else None
    finished = docs.post(f"/tasks/task-uuid-456/{action}", json=sent).json()
    assert doc_examples[example].items() <= finished.items()
    assert finished["session_id"] == DOC_SESSION
    assert finished["updated_at"] == finished["completed_at"]


def test_a_new_task_is_created_and_started_as_documented(docs, doc_examples):
    """Exactly the documented task, plus the real server's ``task_name`` (none given: null) and
    ``updated_at``."""
    created = docs.post("/tasks", json=doc_examples["create-task-request"]).json()
    task_id = created["task_id"]
    documented = doc_examples["create-task-201"] | {"task_id": task_id}
    assert created == documented | {"task_name": None, "updated_at": documented["created_at"]}
    docs.ctx.clock.advance(timedelta(seconds=15))
    started = docs.post(f"/tasks/{task_id}/start").json()
    assert doc_examples["start-task-200"] | {"task_id": task_id} == {
        key: started[key] for key in ("task_id", "status", "started_at")
    }
    assert started == created | {
        "status": "in_progress",
        "started_at": started["started_at"],
        "updated_at": started["started_at"],
    }


def test_a_new_machine_is_registered_as_documented(docs, doc_examples):
    body = doc_examples["create-machine-request"] | {"machine_id": "macbook-pro-m3"}
    created = docs.post("/machines", json=body).json()
    documented = doc_examples["create-machine-201"] | {"machine_id": "macbook-pro-m3"}
    assert created == documented | {
        "metadata": {},
        "updated_at": documented["created_at"],
        "active_sessions": [],
    }
