"""Task rules without HTTP: every action and update, legal or not, and progress."""

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
    ("start", "blocked"): None,
    ("complete", "pending"): "completed",
    ("complete", "in_progress"): "completed",
    ("complete", "completed"): None,
    ("complete", "failed"): None,
    ("complete", "blocked"): "completed",
    ("fail", "pending"): "failed",
    ("fail", "in_progress"): "failed",
    ("fail", "completed"): None,
    ("fail", "failed"): None,
    ("fail", "blocked"): "failed",
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
        done = act(action, task)
        assert (done["status"], done["updated_at"]) == (outcome, "2026-01-19T12:00:15.000Z")


# PUT /tasks/{id}: every (from, to) pair of statuses, legal exactly as the real server has it.
LEGAL_UPDATES = {
    ("pending", "in_progress"),
    ("pending", "blocked"),
    ("pending", "completed"),
    ("in_progress", "completed"),
    ("in_progress", "failed"),
    ("in_progress", "blocked"),
    ("in_progress", "pending"),
    ("blocked", "pending"),
    ("blocked", "in_progress"),
    ("failed", "pending"),
}


@pytest.mark.parametrize(
    ("before", "after"),
    [pytest.param(b, a, id=f"{b}-to-{a}") for b in tasks.STATUSES for a in tasks.STATUSES],
)
def test_every_status_update(before, after):
    task = make(before)
    if (before, after) in LEGAL_UPDATES:
        assert tasks.update(task, {"status": after}, LATER)["status"] == after
    else:
        with pytest.raises(IllegalState, match=f"Invalid status transition from {before} to"):
            tasks.update(task, {"status": after}, LATER)


def test_an_update_stamps_the_times_its_status_needs():
    started = tasks.update(make(), {"status": "in_progress"}, LATER)
    assert started["started_at"] == started["updated_at"] == "2026-01-19T12:00:15.000Z"
    blocked = tasks.update(started, {"status": "blocked"}, LATER + timedelta(minutes=1))
    assert (blocked["started_at"], blocked["updated_at"]) == (
        "2026-01-19T12:00:15.000Z",
        "2026-01-19T12:01:15.000Z",
    )
    resumed = tasks.update(blocked, {"status": "in_progress"}, LATER + timedelta(minutes=2))
    assert resumed["started_at"] == "2026-01-19T12:00:15.000Z"  # kept: it had started
    unblocked = tasks.update(make("blocked"), {"status": "in_progress"}, LATER)
    assert unblocked["started_at"] == "2026-01-19T12:00:15.000Z"  # blocked before it started
    done = tasks.update(resumed, {"status": "completed"}, LATER + timedelta(minutes=3))
    assert done["completed_at"] == "2026-01-19T12:03:15.000Z"


def test_a_task_back_in_pending_has_started_and_finished_nothing():
    failed = tasks.fail(tasks.start(make(), LATER), "boom", LATER)
    retried = tasks.update(failed, {"status": "pending"}, LATER + timedelta(minutes=1))
    assert (retried["started_at"], retried["completed_at"], retried["error_message"]) == (
        None,
        None,
        None,
    )
    noted = tasks.update(failed, {"status": "pending", "error_message": "flaky"}, LATER)
    assert noted["error_message"] == "flaky"


def test_an_update_writes_fields_and_merges_metadata():
    task = {**make(), "metadata": {"priority": "low", "tags": ["api"]}}
    updated = tasks.update(
        task,
        {"github_issue_id": None, "error_message": "note", "metadata": {"priority": "high"}},
        LATER,
    )
    assert updated["metadata"] == {"priority": "high", "tags": ["api"]}
    assert (updated["github_issue_id"], updated["error_message"]) == (None, "note")
    assert (updated["status"], updated["updated_at"]) == ("pending", "2026-01-19T12:00:15.000Z")
    assert task["metadata"] == {"priority": "low", "tags": ["api"]}, "the stored task is untouched"
    assert tasks.update(task, {}, LATER) == {**task, "updated_at": "2026-01-19T12:00:15.000Z"}


@pytest.mark.parametrize("status", tasks.STATUSES)
def test_a_delete_completes_the_task_from_any_status(status):
    deleted = tasks.delete(make(status), LATER)
    assert (deleted["status"], deleted["completed_at"], deleted["updated_at"]) == (
        "completed",
        "2026-01-19T12:00:15.000Z",
        "2026-01-19T12:00:15.000Z",
    )


def test_a_new_task_is_pending_with_nothing_started():
    task = make()
    assert task["status"] == "pending"
    assert (task["started_at"], task["completed_at"], task["error_message"]) == (None, None, None)
    assert (task["created_at"], task["metadata"]) == ("2026-01-19T12:00:00.000Z", {})
    assert (task["task_name"], task["updated_at"]) == (None, task["created_at"])


def test_view_fills_in_the_real_servers_fields_of_a_record_without_them():
    documented = {**make("in_progress"), "started_at": "2026-01-19T12:00:00.000Z"}
    for key in ("task_name", "updated_at", "created_at"):
        del documented[key]
    shown = tasks.view(documented)
    assert shown == documented | {"task_name": None, "updated_at": "2026-01-19T12:00:00.000Z"}
    done = {**make("completed"), "completed_at": "2026-01-19T12:05:00.000Z"}
    del done["updated_at"]
    assert tasks.view(done)["updated_at"] == "2026-01-19T12:05:00.000Z"
    named = tasks.start({**make(), "task_name": "x"}, LATER)
    assert tasks.view(named) == named


def test_a_new_task_keeps_its_name_and_a_copy_of_its_metadata():
    metadata = {"priority": "high"}
    task = tasks.new_task(
        task_id="t-1",
        session_id="s-1",
        project_id="123",
        github_issue_id=None,
        task_name="Implement user authentication",
        metadata=metadata,
        now=T0,
    )
    assert (task["task_name"], task["metadata"]) == ("Implement user authentication", metadata)
    assert task["metadata"] is not metadata


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
        make("blocked", "stuck"),
    ]
    progress = tasks.progress("s-1", found)
    by_status = progress["by_status"]
    assert list(by_status) == ["pending", "in_progress", "completed", "failed", "blocked"]
    assert [t["task_id"] for t in by_status["completed"]["tasks"]] == ["early", "late"]
    assert by_status["pending"] == {"count": 0, "tasks": []}
    assert progress["tasks"] == {status: group["tasks"] for status, group in by_status.items()}
    assert (progress["total_tasks"], progress["progress_percentage"]) == (4, 50)


@pytest.mark.parametrize(
    ("statuses", "stats"),
    [
        pytest.param([], (0, 0, 0, 0, 0, 0, 0), id="no-tasks"),
        pytest.param(
            ["completed"] * 7 + ["failed"] + ["pending"] * 2, (10, 2, 0, 7, 1, 0, 70), id="doc"
        ),
        pytest.param(["completed"] + ["pending"] * 7, (8, 7, 0, 1, 0, 0, 13), id="half-rounds-up"),
        pytest.param(["completed", "in_progress", "blocked"], (3, 0, 1, 1, 0, 1, 33), id="third"),
    ],
)
def test_progress_stats_as_the_real_server_counts(statuses, stats):
    found = [make(s, task_id=f"t-{i}") for i, s in enumerate(statuses)]
    got = tasks.progress("s-1", found)["stats"]
    names = ("total", *tasks.STATUSES, "completion_percentage")
    assert list(got) == list(names)
    assert tuple(got.values()) == stats


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
