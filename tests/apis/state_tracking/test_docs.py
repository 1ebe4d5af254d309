"""The ``docs`` dataset reproduces the document's answers, byte for byte where the document's
records and times allow it (the clock moved as the examples' timestamps say)."""

from __future__ import annotations

from datetime import timedelta

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
    assert docs.get(path).json() == doc_examples[example]


def test_health_and_heartbeats_fifteen_seconds_later(docs, doc_examples):
    docs.ctx.clock.advance(timedelta(seconds=15))
    health = docs.get(f"/sessions/{DOC_SESSION}/health").json()
    assert health == doc_examples["get-session-health-200"]
    beat = docs.post(f"/sessions/{DOC_SESSION}/heartbeat").json()
    assert beat == doc_examples["session-heartbeat-200"]
    machine = docs.post("/machines/macbook-pro-m1/heartbeat").json()
    assert machine == doc_examples["machine-heartbeat-200"]


def test_update_and_assign(docs, doc_examples):
    updated = docs.put(f"/sessions/{DOC_SESSION}", json=doc_examples["update-session-request"])
    assert updated.json() == doc_examples["update-session-200"]
    assigned = docs.post(
        "/machines/macbook-pro-m1/assign-session", json=doc_examples["assign-session-request"]
    )
    assert assigned.json() == doc_examples["assign-session-200"]


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
    assert recovered == doc_examples["recover-session-200"]
    assert docs.get(f"/sessions/{DOC_SESSION}").json()["current_task_id"] == "task-uuid-456"


def test_archive_fortyfive_seconds_later(docs, doc_examples):
    docs.ctx.clock.advance(timedelta(seconds=30))
    docs.post(f"/sessions/{DOC_SESSION}/mark-failed", json={"reason": "crashed"})
    docs.ctx.clock.advance(timedelta(seconds=15))
    archived = docs.post(f"/sessions/{DOC_SESSION}/archive").json()
    assert archived == doc_examples["archive-session-200"]


@pytest.mark.parametrize(
    ("action", "body", "example"),
    [
        pytest.param("complete", None, "complete-task-200", id="complete"),
        pytest.param("fail", "fail-task-request", "fail-task-200", id="fail"),
    ],
)
def test_finishing_the_documented_task(docs, doc_examples, action, body, example):
    docs.ctx.clock.advance(timedelta(seconds=30))
    sent = doc_examples[body] if body else None
    finished = docs.post(f"/tasks/task-uuid-456/{action}", json=sent).json()
    assert finished == doc_examples[example]


def test_a_new_task_is_created_and_started_as_documented(docs, doc_examples):
    created = docs.post("/tasks", json=doc_examples["create-task-request"]).json()
    task_id = created["task_id"]
    assert created == doc_examples["create-task-201"] | {"task_id": task_id}
    docs.ctx.clock.advance(timedelta(seconds=15))
    started = docs.post(f"/tasks/{task_id}/start").json()
    assert started == doc_examples["start-task-200"] | {"task_id": task_id}


def test_a_new_machine_is_registered_as_documented(docs, doc_examples):
    body = doc_examples["create-machine-request"] | {"machine_id": "macbook-pro-m3"}
    created = docs.post("/machines", json=body).json()
    assert created == doc_examples["create-machine-201"] | {"machine_id": "macbook-pro-m3"}
