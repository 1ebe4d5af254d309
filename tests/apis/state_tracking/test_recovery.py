"""Failure information, the prepare-recovery plan and recovery, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockgate.apis.state_tracking import machines, recovery
from mockgate.apis.state_tracking.rules import Conflict, IllegalState, Invalid, NotFound

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


def test_the_plan_for_an_active_session_is_blocked():
    plan = recovery.plan(session("active"), tasks=TASKS, machines={"pro": machine("pro")}, now=T0)
    assert plan["can_recover"] is False
    assert plan["blockers"] == [
        "Session status is active; only failed or stalled sessions can be recovered"
    ]
    assert plan["resume_from_task_id"] is plan["suggested_machine_id"] is None


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


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        pytest.param({"new_machine_id": "nope"}, NotFound, "Machine with ID nope", id="machine"),
        pytest.param({"new_docker_slot": 7}, Invalid, "docker_slot must be one", id="slot"),
        pytest.param({"resume_from_task_id": "t-x"}, Invalid, "must be a task", id="task"),
    ],
)
def test_recover_refuses_bad_targets(body, error, message):
    with pytest.raises(error, match=message):
        recover(**body)


def test_recover_refuses_an_occupied_slot_and_a_full_machine():
    fleet = {"pro": machine("pro", held={1: "other"}), "air": machine("air", slots=(1,))}
    fleet["air"] = machines.occupy(fleet["air"], 1, "third")
    with pytest.raises(Conflict, match="already occupied"):
        recover(fleet=fleet)
    with pytest.raises(Conflict, match="Machine air has no free docker slot"):
        recover(fleet=fleet, new_machine_id="air")


@pytest.mark.parametrize("status", ["active", "paused", "completed", "archived"])
def test_only_failed_or_stalled_sessions_recover(status):
    with pytest.raises(IllegalState, match=f"Session status is {status}"):
        recover(session(status))
