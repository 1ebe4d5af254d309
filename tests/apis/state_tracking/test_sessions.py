"""Session rules without HTTP: the stall rule, heartbeats, transitions, filters, summaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockgate.apis.state_tracking import sessions
from mockgate.apis.state_tracking.rules import IllegalState

T0 = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)


def make(status: str = "active", **fields) -> dict:
    session = sessions.new_session(
        session_id=fields.pop("session_id", "s-1"),
        project_id=fields.pop("project_id", "123"),
        machine_id=fields.pop("machine_id", "m-1"),
        docker_slot=fields.pop("docker_slot", 1),
        metadata=fields.pop("metadata", {"vscode_version": "1.85.0"}),
        now=fields.pop("now", T0),
    )
    session["status"] = status
    if status in sessions.FINISHED:
        session["completed_at"] = "2026-01-19T12:00:00.000Z"
    return session | fields


def test_a_new_session_is_active_and_heartbeating_now():
    session = make()
    assert session["status"] == "active"
    assert session["started_at"] == session["last_heartbeat"] == "2026-01-19T12:00:00.000Z"
    assert session["created_at"] == session["updated_at"] == "2026-01-19T12:00:00.000Z"
    assert (session["completed_at"], session["current_task_id"]) == (None, None)
    assert session["recovery_attempts"] == 0


def test_view_fills_in_the_real_servers_fields_for_a_record_without_them():
    stored = {k: v for k, v in make("archived").items() if k not in ("created_at", "updated_at")}
    stored |= {"last_heartbeat": "2026-01-19T11:59:00.000Z", "archived_at": "2026-01-19T12:05:00Z"}
    shown = sessions.view(stored)
    assert shown["created_at"] == stored["started_at"]
    assert shown["updated_at"] == "2026-01-19T12:05:00.000Z"  # its latest timestamp
    assert {k: shown[k] for k in stored} == stored
    assert sessions.view(make()) == make()  # a record with them is answered as stored


@pytest.mark.parametrize(
    ("silence", "status"),
    [
        pytest.param(timedelta(seconds=300), "active", id="300s-still-active"),
        pytest.param(timedelta(seconds=300, milliseconds=999), "active", id="300.999s-active"),
        pytest.param(timedelta(seconds=301), "stalled", id="301s-stalled"),
        pytest.param(timedelta(hours=5), "stalled", id="hours-stalled"),
    ],
)
def test_an_active_session_stalls_after_the_threshold(silence, status):
    assert sessions.settle(make(), T0 + silence)["status"] == status


def test_a_stalled_session_was_updated_when_it_stalled_not_when_noticed():
    stalled = sessions.settle(make(), T0 + timedelta(hours=2))
    assert stalled["updated_at"] == "2026-01-19T12:05:01.000Z"  # 300 s silent, then 1 more


@pytest.mark.parametrize("status", ["paused", "stalled", "completed", "failed", "archived"])
def test_only_active_sessions_stall_and_nothing_else_changes(status):
    session = make(status)
    assert sessions.settle(session, T0 + timedelta(hours=1)) is session


def test_the_stall_threshold_is_configurable():
    assert sessions.settle(make(), T0 + timedelta(seconds=61), 60)["status"] == "stalled"
    assert sessions.settle(make(), T0 + timedelta(seconds=61), 600)["status"] == "active"


def test_seconds_since_heartbeat_are_whole_and_never_negative():
    session = make()
    assert sessions.seconds_since_heartbeat(session, T0 + timedelta(seconds=15.9)) == 15
    assert sessions.seconds_since_heartbeat(session, T0 - timedelta(minutes=5)) == 0


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("active", "active", id="active"),
        pytest.param("paused", "paused", id="paused-stays-paused"),
        pytest.param("stalled", "active", id="stalled-reactivated"),
        pytest.param("archived", "archived", id="archived-stays-archived"),
    ],
)
def test_a_heartbeat_keeps_or_reactivates(before, after):
    beat = sessions.heartbeat(make(before), T0 + timedelta(seconds=15))
    assert beat["status"] == after
    assert beat["last_heartbeat"] == "2026-01-19T12:00:15.000Z"


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_a_completed_or_failed_session_takes_no_heartbeat(status):
    with pytest.raises(IllegalState, match=f"Cannot update heartbeat for {status} session"):
        sessions.heartbeat(make(status), T0)


def test_soft_delete_completes_a_live_session_and_leaves_a_finished_one():
    deleted = sessions.soft_delete(make("paused"), T0 + timedelta(seconds=5))
    assert (deleted["status"], deleted["completed_at"]) == ("completed", "2026-01-19T12:00:05.000Z")
    failed = make("failed")
    assert sessions.soft_delete(failed, T0) is failed


def test_mark_failed_records_the_reason_and_keeps_the_metadata():
    failed = sessions.mark_failed(make(), "crashed", T0 + timedelta(seconds=30))
    assert failed["status"] == "failed"
    assert failed["completed_at"] == "2026-01-19T12:00:30.000Z"
    assert failed["metadata"] == {"vscode_version": "1.85.0", "failure_reason": "crashed"}


def test_mark_failed_keeps_when_a_finished_session_ended():
    archived = make("archived", archived_at="2026-01-19T12:05:00.000Z")
    failed = sessions.mark_failed(archived, "broken after all", T0 + timedelta(hours=1))
    assert failed["completed_at"] == archived["completed_at"]
    assert "archived_at" not in failed


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_finished_sessions_can_be_archived(status):
    archived = sessions.archive(make(status), T0 + timedelta(seconds=45))
    assert (archived["status"], archived["archived_at"]) == ("archived", "2026-01-19T12:00:45.000Z")
    keys = list(archived)
    assert keys[keys.index("metadata") + 1] == "archived_at"


def test_archiving_an_archived_session_changes_nothing():
    archived = sessions.archive(make("completed"), T0)
    assert sessions.archive(archived, T0 + timedelta(hours=1)) is archived


@pytest.mark.parametrize("status", ["active", "paused", "stalled"])
def test_live_sessions_cannot_be_archived(status):
    with pytest.raises(IllegalState, match=f"this session is {status}"):
        sessions.archive(make(status), T0)


@pytest.mark.parametrize("before", ["active", "paused", "stalled", "archived"])
def test_mark_stalled_records_the_reason(before):
    """A live session is stalled in place; an archived one is reopened (no longer finished)."""
    session = make(before) | (
        {"archived_at": "2026-01-19T12:00:00.000Z"} if before == "archived" else {}
    )
    stalled = sessions.mark_stalled(session, "no heartbeat", T0 + timedelta(minutes=10))
    assert (stalled["status"], stalled["completed_at"]) == ("stalled", None)
    assert stalled["metadata"] == {
        "vscode_version": "1.85.0",
        "stalled_reason": "no heartbeat",
        "stalled_timestamp": "2026-01-19T12:10:00.000Z",
    }
    assert "archived_at" not in stalled


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_completed_or_failed_sessions_cannot_be_marked_stalled(status):
    with pytest.raises(IllegalState, match=f"Cannot mark {status} session as stalled"):
        sessions.mark_stalled(make(status), "why", T0)


def test_update_writes_the_mutable_fields_and_replaces_metadata():
    updated = sessions.update(
        make(), {"status": "paused", "current_task_id": "t-9", "metadata": {"notes": "lunch"}}, T0
    )
    assert (updated["status"], updated["current_task_id"]) == ("paused", "t-9")
    assert updated["metadata"] == {"notes": "lunch"}
    assert updated["completed_at"] is None


@pytest.mark.parametrize(
    ("before", "after", "completed", "archived"),
    [
        pytest.param("active", "completed", True, False, id="finish"),
        pytest.param("paused", "failed", True, False, id="fail"),
        pytest.param("active", "archived", True, True, id="archive-directly"),
        pytest.param("completed", "archived", True, True, id="archive"),
        pytest.param("completed", "active", False, False, id="reopen"),
        pytest.param("archived", "paused", False, False, id="reopen-archived"),
    ],
)
def test_update_keeps_the_timestamps_a_status_implies(before, after, completed, archived):
    session = make(before)
    if before == "archived":
        session["archived_at"] = "2026-01-19T12:00:00.000Z"
    updated = sessions.update(session, {"status": after}, T0 + timedelta(minutes=1))
    assert updated["status"] == after
    assert (updated["completed_at"] is not None) is completed
    assert ("archived_at" in updated) is archived


def test_select_excludes_archived_sessions_unless_asked():
    found = [make(status, session_id=status) for status in sessions.STATUSES]
    assert {s["status"] for s in sessions.select(found)} == set(sessions.STATUSES) - {"archived"}
    assert sessions.select(found, status="archived") == []
    assert [
        s["session_id"] for s in sessions.select(found, status="archived", include_archived=True)
    ] == ["archived"]


def test_select_filters_by_project_and_machine():
    found = [
        make(session_id="a", project_id="1", machine_id="x"),
        make(session_id="b", project_id="1", machine_id="y"),
        make(session_id="c", project_id="2", machine_id="x"),
    ]
    chosen = sessions.select(found, project_id="1", machine_id="x")
    assert [s["session_id"] for s in chosen] == ["a"]


def test_newest_first_orders_by_start_then_id():
    found = [
        make(session_id="a", now=T0),
        make(session_id="b", now=T0 + timedelta(minutes=1)),
        make(session_id="c", now=T0),
    ]
    assert [s["session_id"] for s in sessions.newest_first(found)] == ["b", "c", "a"]


def test_the_stale_report_lists_silent_live_sessions_longest_silent_first():
    found = [
        make(session_id="fresh", now=T0 + timedelta(minutes=9)),
        make("paused", session_id="older", now=T0 + timedelta(minutes=2)),
        make("stalled", session_id="oldest", now=T0),
        make("completed", session_id="done", now=T0),
    ]
    report = sessions.stale_report(found, T0 + timedelta(minutes=10), 300)
    assert [(s["session_id"], s["seconds_since_heartbeat"]) for s in report] == [
        ("oldest", 600),
        ("older", 480),
    ]
    assert all(s["is_stale"] for s in report)
    assert [s["time_since_heartbeat"] for s in report] == [600, 480]


def test_an_active_summary_has_the_documented_then_the_real_servers_fields():
    summary = sessions.active_summary(make(current_task_id="t-1"), T0 + timedelta(seconds=42))
    assert summary == {
        "session_id": "s-1",
        "project_id": "123",
        "machine_id": "m-1",
        "status": "active",
        "started_at": "2026-01-19T12:00:00.000Z",
        "current_task_id": "t-1",
        "last_heartbeat": "2026-01-19T12:00:00.000Z",
        "docker_slot": 1,
        "time_since_heartbeat": 42,
    }


def test_the_stale_report_threshold_is_strict():
    session = make()
    assert sessions.stale_report([session], T0 + timedelta(seconds=300), 300) == []
    assert len(sessions.stale_report([session], T0 + timedelta(seconds=301), 300)) == 1


def test_by_status_groups_in_status_order_without_archived():
    found = [make(s, session_id=f"{s}-{i}") for i, s in enumerate(["failed", "active", "active"])]
    found.append(make("archived", session_id="gone"))
    groups = sessions.by_status(found)
    assert list(groups) == ["active", "failed"]
    assert [g["count"] for g in groups.values()] == [2, 1]


def test_rules_never_mutate_their_input():
    session = make()
    frozen = dict(session)
    sessions.heartbeat(session, T0)
    sessions.update(session, {"status": "completed", "metadata": {}}, T0)
    sessions.mark_failed(session, "x", T0)
    sessions.settle(session, T0 + timedelta(hours=1))
    assert session == frozen
