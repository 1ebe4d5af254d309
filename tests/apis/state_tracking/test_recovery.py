"""Failure information, the prepare-recovery plan and recovery, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockgate.apis.state_tracking import machines, recovery
from mockgate.apis.state_tracking.rules import IllegalState, Invalid

T0 = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
SID = "550e8400-e29b-41d4-a716-446655440000"


def session(status: str = "failed", **fields) -> dict:
    return {
        "session_id": SID,
        "project_id": "123",
        "machine_id": "pro",
        "docker_slot": 1,
        "status": status,
        "started_at": "2026-01-19T11:00:00.000Z",
        "completed_at": "2026-01-19T12:00:30.000Z" if status == "failed" else None,
        "last_heartbeat": "2026-01-19T12:00:00.000Z",
        "current_task_id": "t-2",
        "recovery_attempts": 0,
        "metadata": {},
    } | fields


def machine(machine_id: str, status: str = "online", slots=(1, 2), held=None) -> dict:
    made = machines.new_machine(
        machine_id=machine_id, hostname=f"{machine_id}.local", docker_slots=slots, now=T0
    )
    for slot, holder in (held or {}).items():
        made = machines.occupy(made, slot, holder)
    return {**made, "status": status}


def task(task_id: str, status: str, minute: int) -> dict:
    stamp = f"2026-01-19T11:{minute:02d}:00.000Z"
    return {
        "task_id": task_id,
        "session_id": SID,
        "status": status,
        "created_at": stamp,
        "completed_at": stamp if status in ("completed", "failed") else None,
    }


TASKS = [task("t-1", "completed", 1), task("t-2", "failed", 2), task("t-3", "pending", 3)]


def test_failure_info_of_a_failed_session():
    failure = recovery.failure_record(SID, "crashed", {"exit_code": 1}, "2026-01-19T12:00:30.000Z")
    info = recovery.failure_info(session(), failure, TASKS, machine("pro"))
    assert info == {
        "session_id": SID,
        "failure_reason": "crashed",
        "error_details": {"exit_code": 1},
        "failed_at": "2026-01-19T12:00:30.000Z",
        "last_successful_task_id": "t-1",
        "recovery_recommendations": [
            "Check machine resources (CPU, memory)",
            "Review Claude logs for errors",
            "Attempt recovery with new machine",
        ],
    }


def test_failure_info_without_a_record_falls_back_to_the_session():
    failed = session(metadata={"failure_reason": "from metadata"})
    info = recovery.failure_info(failed, None, [], None)
    assert (info["failure_reason"], info["error_details"]) == ("from metadata", None)
    assert info["failed_at"] == failed["completed_at"]
    assert info["last_successful_task_id"] is None
    assert info["recovery_recommendations"][-1].startswith("Machine pro is no longer registered")


@pytest.mark.parametrize("status", ["active", "paused", "stalled", "completed", "archived"])
def test_failure_info_needs_a_failed_session(status):
    with pytest.raises(IllegalState, match="has not failed"):
        recovery.failure_info(session(status), None, [], None)


def test_the_plan_for_a_failed_session_on_an_offline_machine():
    fleet = {"pro": machine("pro", "offline"), "air": machine("air", held={1: "other"})}
    plan = recovery.plan(session(), tasks=TASKS, machines=fleet, now=T0)
    assert plan["can_recover"] is True
    assert plan["blockers"] == []
    assert plan["warnings"] == ["Machine pro is offline; recover on another machine"]
    assert (plan["last_successful_task_id"], plan["resume_from_task_id"]) == ("t-1", "t-2")
    assert (plan["current_machine_status"], plan["suggested_machine_id"]) == ("offline", "air")
    assert plan["suggested_docker_slot"] == 2
    assert plan["prepared_at"] == "2026-01-19T12:00:00.000Z"


def test_the_plan_prefers_the_current_slot_when_it_is_still_free():
    fleet = {"pro": machine("pro"), "air": machine("air")}
    plan = recovery.plan(session("stalled"), tasks=TASKS, machines=fleet, now=T0)
    assert (plan["suggested_machine_id"], plan["suggested_docker_slot"]) == ("pro", 1)


def test_the_plan_warns_when_the_slot_was_taken():
    fleet = {"pro": machine("pro", held={1: "intruder"})}
    plan = recovery.plan(session(), tasks=[], machines=fleet, now=T0)
    assert "now occupied by session intruder" in plan["warnings"][0]
    assert (plan["suggested_machine_id"], plan["suggested_docker_slot"]) == ("pro", 2)
    assert plan["resume_from_task_id"] is None


def test_the_plan_when_nothing_is_free():
    fleet = {"pro": machine("pro", slots=(1,), held={1: "intruder"})}
    plan = recovery.plan(session(), tasks=[], machines=fleet, now=T0)
    assert plan["suggested_machine_id"] is None
    assert plan["warnings"][-1] == "No online machine has a free docker slot"


@pytest.mark.parametrize(
    ("target", "blocker"),
    [
        pytest.param(
            session("completed"),
            "Session status is completed; completed sessions cannot be recovered",
            id="completed",
        ),
        pytest.param(
            session(recovery_attempts=3),
            "Session has been recovered 3 times; the maximum of 3 recovery attempts is reached",
            id="three-recoveries",
        ),
    ],
)
def test_the_plan_is_blocked_exactly_where_recover_refuses(target, blocker):
    plan = recovery.plan(target, tasks=TASKS, machines={"pro": machine("pro")}, now=T0)
    assert plan["can_recover"] is False
    assert plan["blockers"] == [blocker]
    assert plan["resume_from_task_id"] is plan["suggested_machine_id"] is None


def test_the_plan_for_an_active_session_can_recover_in_place():
    fleet = {"pro": machine("pro", held={1: SID})}
    plan = recovery.plan(session("active"), tasks=TASKS, machines=fleet, now=T0)
    assert (plan["can_recover"], plan["blockers"]) == (True, [])
    assert (plan["suggested_machine_id"], plan["suggested_docker_slot"]) == ("pro", 1)


def recover(target: dict | None = None, fleet: dict | None = None, **body) -> tuple[dict, dict]:
    body = {"new_machine_id": None, "new_docker_slot": None, "resume_from_task_id": None} | body
    return recovery.recover(
        target or session(),
        tasks=TASKS,
        machines=fleet or {"pro": machine("pro"), "air": machine("air")},
        now=T0 + timedelta(minutes=1),
        **body,
    )


def test_recover_in_place():
    recovered, changed = recover()
    assert recovered["status"] == "active"
    assert (recovered["machine_id"], recovered["docker_slot"]) == ("pro", 1)
    assert recovered["recovery_attempts"] == 1
    assert recovered["completed_at"] is None
    assert recovered["last_heartbeat"] == "2026-01-19T12:01:00.000Z"
    assert changed["pro"]["assigned_sessions"]["1"] == SID


def test_recover_onto_a_new_machine_and_slot_releases_the_old_one():
    stalled = session("stalled")
    fleet = {"pro": machine("pro", held={1: SID}), "air": machine("air")}
    recovered, changed = recover(stalled, fleet, new_machine_id="air", new_docker_slot=2)
    assert (recovered["machine_id"], recovered["docker_slot"]) == ("air", 2)
    assert changed["pro"]["assigned_sessions"] == {"1": None, "2": None}
    assert changed["air"]["assigned_sessions"] == {"1": None, "2": SID}


def test_a_new_machine_without_a_slot_gets_its_first_free_slot():
    fleet = {"pro": machine("pro"), "air": machine("air", held={1: "other"})}
    recovered, _ = recover(fleet=fleet, new_machine_id="air")
    assert recovered["docker_slot"] == 2


def test_resume_from_a_task_of_the_session():
    recovered, _ = recover(resume_from_task_id="t-3")
    assert recovered["current_task_id"] == "t-3"


def test_recover_refuses_a_task_of_another_session():
    with pytest.raises(Invalid, match="must be a task"):
        recover(resume_from_task_id="t-x")


@pytest.mark.parametrize(
    ("body", "machine_id", "slot"),
    [
        pytest.param({"new_machine_id": "nope"}, "nope", None, id="unregistered-machine"),
        pytest.param(
            {"new_machine_id": "nope", "new_docker_slot": 3}, "nope", 3, id="unregistered-slot"
        ),
        pytest.param({"new_docker_slot": 7}, "pro", 7, id="slot-the-machine-lacks"),
    ],
)
def test_recover_does_not_check_the_target(body, machine_id, slot):
    """Like the real server: any machine, any slot; an explicit slot is written as given, and
    held only where it can be (nowhere here)."""
    fleet = {"pro": machine("pro", held={1: SID})}
    recovered, changed = recover(fleet=fleet, **body)
    assert (recovered["status"], recovered["machine_id"], recovered["docker_slot"]) == (
        "active",
        machine_id,
        slot,
    )
    assert changed["pro"]["assigned_sessions"] == {"1": None, "2": None}  # the old slot is freed


def test_an_implied_slot_that_cannot_be_held_leaves_none():
    fleet = {"pro": machine("pro", held={1: "other"}), "air": machine("air", slots=(1,))}
    fleet["air"] = machines.occupy(fleet["air"], 1, "third")
    in_place, changed = recover(fleet=fleet)
    assert (in_place["machine_id"], in_place["docker_slot"]) == ("pro", None)
    assert changed == {}  # it held nothing, and takes nothing
    moved, _ = recover(fleet=fleet, new_machine_id="air")
    assert (moved["machine_id"], moved["docker_slot"]) == ("air", None)


def test_an_explicit_slot_another_session_holds_is_named_not_taken():
    fleet = {"pro": machine("pro", held={2: "other"})}
    recovered, changed = recover(fleet=fleet, new_docker_slot=2)
    assert recovered["docker_slot"] == 2
    assert changed == {}


@pytest.mark.parametrize("status", ["active", "paused", "stalled", "failed", "archived"])
def test_every_session_but_a_completed_one_recovers(status):
    target = session(status) | (
        {"archived_at": "2026-01-19T12:05:00.000Z"} if status == "archived" else {}
    )
    recovered, _ = recover(target)
    assert (recovered["status"], recovered["recovery_attempts"]) == ("active", 1)
    assert recovered["completed_at"] is None
    assert "archived_at" not in recovered


def test_completed_sessions_and_a_fourth_recovery_are_refused():
    with pytest.raises(IllegalState, match="Session status is completed"):
        recover(session("completed"))
    assert recover(session(recovery_attempts=2))[0]["recovery_attempts"] == 3
    with pytest.raises(IllegalState, match="maximum of 3 recovery attempts"):
        recover(session(recovery_attempts=3))
