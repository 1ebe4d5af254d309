"""The document's four "Common Workflows", end to end over HTTP, as ``mockgate serve`` runs
them: the demo dataset, rate limits on, the document's own request bodies."""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture
def served(tracking):
    """The mock as ``mockgate serve state-tracking`` starts it (demo, documented limits)."""
    return tracking("demo", rate_limit=None, seed=1)


def create_and_monitor(client, doc_examples) -> str:
    """Workflow 1, "Create and Monitor a Session": create, then a heartbeat every 60 s."""
    created = client.post("/sessions", json=doc_examples["workflow-create-session-request"])
    assert created.status_code == 201
    session_id = created.json()["session_id"]
    for _ in range(3):
        client.ctx.clock.advance(timedelta(seconds=60))
        beat = client.post(f"/sessions/{session_id}/heartbeat")
        assert beat.status_code == 200
        assert beat.json()["status"] == "active"
        assert beat.json()["message"] == "Heartbeat updated successfully"
    return session_id


def test_1_create_and_monitor_a_session(served, doc_examples):
    session_id = create_and_monitor(served, doc_examples)
    session = served.get(f"/sessions/{session_id}").json()
    assert session["status"] == "active"
    assert session["last_heartbeat"] == "2026-01-19T12:03:00.000Z"
    assert session["started_at"] == "2026-01-19T12:00:00.000Z"
    assert served.get(f"/sessions/{session_id}/health").json()["health_score"] == 100
    assert session_id in {s["session_id"] for s in served.get("/sessions/active").json()}


def test_2_handle_session_failure_and_recovery(served, doc_examples):
    session_id = create_and_monitor(served, doc_examples)
    failed = served.post(
        f"/sessions/{session_id}/mark-failed", json=doc_examples["mark-session-failed-request"]
    )
    assert failed.status_code == 200
    # 1. Check session health
    health = served.get(f"/sessions/{session_id}/health").json()
    assert (health["status"], health["health_score"]) == ("failed", 0)
    # 2. If failed, get failure info
    info = served.get(f"/sessions/{session_id}/failure-info").json()
    assert info["failure_reason"] == "Claude process crashed unexpectedly"
    assert info["error_details"]["error_code"] == "ERR_CLAUDE_CRASH"
    # 3. Prepare recovery (no body, as in the document's curl)
    plan = served.post(f"/sessions/{session_id}/prepare-recovery")
    assert plan.status_code == 200
    assert plan.json()["can_recover"] is True
    # 4. Recover with new machine
    recovered = served.post(
        f"/sessions/{session_id}/recover", json=doc_examples["workflow-recover-session-request"]
    )
    assert recovered.status_code == 200
    documented = {
        "session_id": session_id,
        "status": "active",
        "recovery_attempts": 1,
        "machine_id": "macbook-air-m2",
        "docker_slot": 2,
    }
    assert documented.items() <= recovered.json().items()
    assert recovered.json() == served.get(f"/sessions/{session_id}").json()  # the whole session
    machines = {m["machine_id"]: m for m in served.get("/machines").json()}
    assert machines["macbook-air-m2"]["assigned_sessions"]["2"] == session_id
    assert machines["macbook-pro-m1"]["assigned_sessions"]["1"] is None


def test_3_track_task_progress(served, doc_examples):
    session_id = create_and_monitor(served, doc_examples)
    body = doc_examples["workflow-create-task-request"] | {"session_id": session_id}
    created = served.post("/tasks", json=body)
    assert created.status_code == 201
    task_id = created.json()["task_id"]
    assert created.json()["status"] == "pending"
    started = served.post(f"/tasks/{task_id}/start").json()
    assert (started["task_id"], started["status"]) == (task_id, "in_progress")
    completed = served.post(f"/tasks/{task_id}/complete").json()
    assert (completed["task_id"], completed["status"]) == (task_id, "completed")
    progress = served.get(f"/sessions/{session_id}/tasks").json()
    assert (progress["total_tasks"], progress["completed_tasks"]) == (1, 1)
    assert progress["progress_percentage"] == 100
    assert progress["by_status"]["completed"]["tasks"][0]["task_id"] == task_id
    assert served.get(f"/sessions/{session_id}").json()["current_task_id"] == task_id


def test_4_manage_machine_capacity(served, doc_examples):
    session_id = create_and_monitor(served, doc_examples)
    machine_id = served.get("/machines/available").json()[0]["machine_id"]
    body = doc_examples["workflow-assign-session-request"] | {"session_id": session_id}
    assigned = served.post(f"/machines/{machine_id}/assign-session", json=body)
    assert assigned.status_code == 200
    assert assigned.json()["assigned_sessions"]["2"] == session_id
    beat = served.post(f"/machines/{machine_id}/heartbeat")
    assert beat.status_code == 200
    assert beat.json()["status"] == "online"
    session = served.get(f"/sessions/{session_id}").json()
    assert (session["machine_id"], session["docker_slot"]) == (machine_id, 2)


def test_the_workflows_still_work_after_the_demo_ran_for_an_hour(served, doc_examples):
    served.ctx.clock.advance(timedelta(hours=1))
    available = served.get("/machines/available").json()
    assert [m["machine_id"] for m in available[:2]] == ["macbook-pro-m1", "macbook-air-m2"]
    test_4_manage_machine_capacity(served, doc_examples)
