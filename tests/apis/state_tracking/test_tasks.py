"""Task rules without HTTP: every transition, legal or not, and progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockgate.apis.state_tracking import tasks
from mockgate.apis.state_tracking.rules import IllegalState

T0 = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(seconds=15)


def make(status: str = "pending", task_id: str = "t-1", created: datetime = T0) -> dict:
    task = tasks.new_task(
        task_id=task_id,
        session_id="s-1",
        project_id="123",
        github_issue_id="456",
        metadata=None,
        now=created,
    )
    return {**task, "status": status}


def act(action: str, task: dict) -> dict:
    if action == "fail":
        return tasks.fail(task, "GitHub API rate limit exceeded", LATER)
    return {"start": tasks.start, "complete": tasks.complete}[action](task, LATER)


# Every (action, status) pair: the status it leads to, or None when it is illegal.
TRANSITIONS = {
    ("start", "pending"): "in_progress",
    ("start", "in_progress"): None,
    ("start", "completed"): None,
    ("start", "failed"): None,
    ("complete", "pending"): None,
    ("complete", "in_progress"): "completed",
    ("complete", "completed"): None,
    ("complete", "failed"): None,
    ("fail", "pending"): "failed",
    ("fail", "in_progress"): "failed",
    ("fail", "completed"): None,
    ("fail", "failed"): None,
}


@pytest.mark.parametrize(
    ("action", "status", "outcome"),
    [pytest.param(a, s, o, id=f"{a}-{s}") for (a, s), o in TRANSITIONS.items()],
)
def test_every_transition(action, status, outcome):
    task = make(status)
    if outcome is None:
        with pytest.raises(IllegalState, match=f"Cannot {action} task in status {status}"):
            act(action, task)
    else:
        assert act(action, task)["status"] == outcome


def test_a_new_task_is_pending_with_nothing_started():
    task = make()
    assert task["status"] == "pending"
    assert (task["started_at"], task["completed_at"], task["error_message"]) == (None, None, None)
    assert (task["created_at"], task["metadata"]) == ("2026-01-19T12:00:00.000Z", {})


def test_transitions_stamp_their_times():
    started = tasks.start(make(), LATER)
    assert started["started_at"] == "2026-01-19T12:00:15.000Z"
    done = tasks.complete(started, LATER + timedelta(seconds=15))
    assert done["completed_at"] == "2026-01-19T12:00:30.000Z"
    failed = tasks.fail(make(), "boom", LATER)
    assert (failed["completed_at"], failed["error_message"]) == ("2026-01-19T12:00:15.000Z", "boom")


@pytest.mark.parametrize(
    ("statuses", "percentage"),
    [
        pytest.param([], 0, id="no-tasks"),
        pytest.param(["completed"] * 7 + ["failed"] + ["pending"] * 2, 70, id="documented-70"),
        pytest.param(["completed", "pending", "pending"], 33.33, id="a-third"),
        pytest.param(["completed", "completed"], 100, id="all"),
    ],
)
def test_progress_percentage(statuses, percentage):
    found = [make(s, task_id=f"t-{i}") for i, s in enumerate(statuses)]
    progress = tasks.progress("s-1", found)
    assert progress["progress_percentage"] == percentage
    assert type(progress["progress_percentage"]) is type(percentage)
    assert progress["total_tasks"] == len(statuses)


def test_progress_groups_every_status_oldest_first():
    found = [
        make("completed", "late", T0 + timedelta(minutes=2)),
        make("completed", "early", T0),
        make("failed", "bad", T0 + timedelta(minutes=1)),
    ]
    by_status = tasks.progress("s-1", found)["by_status"]
    assert list(by_status) == ["pending", "in_progress", "completed", "failed"]
    assert [t["task_id"] for t in by_status["completed"]["tasks"]] == ["early", "late"]
    assert by_status["pending"] == {"count": 0, "tasks": []}


def test_queue_order_falls_back_to_started_at_and_keeps_ties_in_store_order():
    undated = {**make("in_progress", "doc"), "started_at": "2026-01-19T11:00:00.000Z"}
    del undated["created_at"]
    found = [
        make(task_id="b", created=T0 + timedelta(hours=1)),
        make(task_id="a2"),
        undated,
        make(task_id="a1"),
    ]
    assert [t["task_id"] for t in tasks.queue_order(found)] == ["doc", "a2", "a1", "b"]


def test_last_completed_is_the_one_that_completed_last():
    first = {**make("completed", "t-1"), "completed_at": "2026-01-19T12:10:00.000Z"}
    second = {**make("completed", "t-2"), "completed_at": "2026-01-19T12:20:00.000Z"}
    assert tasks.last_completed([second, first, make("failed", "t-3")])["task_id"] == "t-2"
    assert tasks.last_completed([make()]) is None


def test_select_filters():
    found = [make("pending", "a"), {**make("failed", "b"), "project_id": "9"}]
    assert [t["task_id"] for t in tasks.select(found, status="failed", project_id="9")] == ["b"]
    assert tasks.select(found, session_id="other") == []
