"""The state-machine rules through HTTP: every refusal with its status and envelope."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.apis.state_tracking.factory import machine, session, task


@pytest.fixture
def client(tracking):
    made = tracking("empty")
    machine(made, "box-1")
    machine(made, "box-2", [1, 2])
    return made


def refused(response, status: int, message: str = "", *, details: bool = True) -> dict:
    """The envelope of a refusal, checked: status, code, message, details as the rule says."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status
    assert message in body["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert ("details" in body) is details
    return body


def make_status(client, status: str) -> str:
    """A session brought to ``status`` through the API."""
    sid = session(client)["session_id"]
    if status in ("completed", "archived"):
        assert client.delete(f"/sessions/{sid}").status_code == 204
    if status == "failed":
        client.post(f"/sessions/{sid}/mark-failed", json={"reason": "crashed"})
    if status == "archived":
        assert client.post(f"/sessions/{sid}/archive").status_code == 200
    if status in ("paused", "stalled"):
        client.put(f"/sessions/{sid}", json={"status": status})
    assert client.get(f"/sessions/{sid}").json()["status"] == status
    return sid


# --- sessions ------------------------------------------------------------------------------


def test_create_session_accepts_any_machine_and_project(client):
    """As the real server (and the document's first workflow, whose machine is never
    registered): no 404 for an unknown machine or project; the session names its slot."""
    body = {"project_id": "999", "machine_id": "nope", "docker_slot": 1}
    created = client.post("/sessions", json=body)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in body} == body
    assert client.get("/sessions/by-project/999").json()["total_sessions"] == 1  # now known


def test_create_session_takes_its_slot_and_refuses_only_one_really_held(client):
    first = session(client, slot=1)
    conflict = client.post(
        "/sessions", json={"project_id": "123", "machine_id": "box-1", "docker_slot": 1}
    )
    refused(conflict, 409, "Docker slot 1 on machine box-1 is already occupied", details=False)
    lacking = client.post(
        "/sessions", json={"project_id": "123", "machine_id": "box-2", "docker_slot": 3}
    )
    assert (lacking.status_code, lacking.json()["docker_slot"]) == (201, 3)  # named, not held
    box2 = client.get("/machines/box-2").json()
    assert (box2["assigned_sessions"], box2["active_sessions"]) == ({}, [])
    slots = client.get("/machines?hostname=box-1.local").json()[0]["assigned_sessions"]
    assert slots == {"1": first["session_id"], "2": None, "3": None, "4": None}


@pytest.mark.parametrize("field", ["session_id", "project_id", "machine_id", "started_at"])
def test_an_immutable_field_is_a_400_naming_it(client, field):
    sid = session(client)["session_id"]
    body = refused(client.put(f"/sessions/{sid}", json={field: "x"}), 400, field)
    assert body["error"] == "validation_error"
    assert any(field in d for d in body["details"])


def test_update_session_fields(client):
    sid = session(client, slot=1)["session_id"]
    updated = client.put(
        f"/sessions/{sid}",
        json={"status": "paused", "current_task_id": "t-1", "metadata": {"notes": "lunch"}},
    ).json()
    assert (updated["status"], updated["current_task_id"]) == ("paused", "t-1")
    assert updated["metadata"] == {"notes": "lunch"}
    moved = client.put(f"/sessions/{sid}", json={"docker_slot": 3}).json()
    slots = client.get("/machines?hostname=box-1.local").json()[0]["assigned_sessions"]
    assert moved["docker_slot"] == 3
    assert slots["3"] == sid
    assert slots["1"] is None
    refused(client.put(f"/sessions/{sid}", json={"status": "sleeping"}), 400, "status")
    refused(client.put("/sessions/abc-123", json={}), 404, "Session with ID abc-123", details=False)


def test_update_does_no_slot_checks(client):
    """As the real server: a slot the machine lacks, or another session holds, is written as
    given; the session leaves the slot it held and holds the new one only where it can."""
    sid = session(client, slot=1)["session_id"]
    lacking = client.put(f"/sessions/{sid}", json={"docker_slot": 9})
    assert (lacking.status_code, lacking.json()["docker_slot"]) == (200, 9)
    assert client.get("/machines/box-1").json()["active_sessions"] == []
    other = session(client, slot=3)["session_id"]
    held = client.put(f"/sessions/{sid}", json={"docker_slot": 3})
    assert (held.status_code, held.json()["docker_slot"]) == (200, 3)
    assert client.get("/machines/box-1").json()["assigned_sessions"]["3"] == other
    assert client.put(f"/sessions/{sid}", json={"docker_slot": 2}).json()["docker_slot"] == 2
    assert client.get("/machines/box-1").json()["active_sessions"] == [sid, other]


def test_finishing_through_an_update_frees_the_slot_and_reopening_takes_it_back(client):
    sid = session(client, slot=2)["session_id"]
    done = client.put(f"/sessions/{sid}", json={"status": "completed"}).json()
    assert done["completed_at"] == "2026-01-19T12:00:00.000Z"
    assert client.get("/machines/available").json()[0]["available_slots"] == 4
    reopened = client.put(f"/sessions/{sid}", json={"status": "paused"}).json()
    assert (reopened["status"], reopened["completed_at"], reopened["docker_slot"]) == (
        "paused",
        None,
        2,
    )
    assert client.get("/machines/available").json()[0]["available_slots"] == 3
    client.put(f"/sessions/{sid}", json={"status": "completed"})
    intruder = session(client, slot=2)["session_id"]
    taken = client.put(f"/sessions/{sid}", json={"status": "active"}).json()
    assert (taken["status"], taken["docker_slot"]) == ("active", None)  # its slot was taken
    client.put(f"/sessions/{sid}", json={"status": "completed"})
    moved = client.put(f"/sessions/{sid}", json={"status": "active", "docker_slot": 3}).json()
    slots = client.get("/machines?hostname=box-1.local").json()[0]["assigned_sessions"]
    assert (moved["docker_slot"], slots["2"], slots["3"]) == (3, intruder, sid)


def test_sessions_carry_the_real_servers_fields(client):
    created = session(client, slot=2)
    sid = created["session_id"]
    assert created["created_at"] == created["updated_at"] == created["started_at"]
    client.ctx.clock.advance(timedelta(seconds=42))
    (active,) = client.get("/sessions/active").json()
    assert {k: active[k] for k in ("last_heartbeat", "docker_slot", "time_since_heartbeat")} == {
        "last_heartbeat": created["last_heartbeat"],
        "docker_slot": 2,
        "time_since_heartbeat": 42,
    }
    updated = client.put(f"/sessions/{sid}", json={"metadata": {"n": 1}}).json()
    assert (updated["created_at"], updated["updated_at"]) == (
        created["created_at"],
        "2026-01-19T12:00:42.000Z",
    )
    client.ctx.clock.advance(timedelta(minutes=10))
    (stale,) = client.get("/sessions/stale").json()
    assert stale["time_since_heartbeat"] == stale["seconds_since_heartbeat"] == 642
    read = client.get(f"/sessions/{sid}").json()
    assert (read["status"], read["updated_at"]) == ("stalled", "2026-01-19T12:05:01.000Z")
    health = client.get(f"/sessions/{sid}/health").json()
    assert {k: health[k] for k in ("project_id", "machine_id", "docker_slot")} == {
        "project_id": "123",
        "machine_id": "box-1",
        "docker_slot": 2,
    }
    assert (health["started_at"], health["completed_at"]) == (created["started_at"], None)
    failed = client.post(f"/sessions/{sid}/mark-failed", json={"reason": "crashed"}).json()
    assert failed == client.get(f"/sessions/{sid}").json()  # the whole session


def test_available_machines_carry_the_real_servers_fields(client):
    sid = session(client, slot=2)["session_id"]
    box1 = next(m for m in client.get("/machines/available").json() if m["machine_id"] == "box-1")
    assert box1 == {
        "machine_id": "box-1",
        "hostname": "box-1.local",
        "available_slots": 3,
        "total_slots": 4,
        "assigned_sessions": 1,
        "status": "online",
        "occupied_slots": 1,
        "active_sessions": [sid],
        "last_heartbeat": "2026-01-19T12:00:00.000Z",
        "available_slot_numbers": [1, 3, 4],
    }


def test_delete_is_a_soft_delete_that_frees_the_slot(client):
    sid = session(client, slot=1)["session_id"]
    response = client.delete(f"/sessions/{sid}")
    assert (response.status_code, response.content) == (204, b"")
    kept = client.get(f"/sessions/{sid}").json()
    assert (kept["status"], kept["completed_at"]) == ("completed", "2026-01-19T12:00:00.000Z")
    assert session(client, slot=1)["docker_slot"] == 1
    assert client.delete(f"/sessions/{sid}").status_code == 204  # twice is harmless
    refused(client.delete("/sessions/nope"), 404, details=False)


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_a_completed_or_failed_session_takes_no_heartbeat(client, status):
    sid = make_status(client, status)
    response = client.post(f"/sessions/{sid}/heartbeat")
    refused(response, 400, f"Cannot update heartbeat for {status} session", details=False)


@pytest.mark.parametrize(
    ("status", "after"),
    [
        pytest.param("active", "active", id="active"),
        pytest.param("paused", "paused", id="paused"),
        pytest.param("stalled", "active", id="stalled-reactivated"),
        pytest.param("archived", "archived", id="archived-stays-archived"),
    ],
)
def test_a_heartbeat_keeps_or_reactivates(client, status, after):
    sid = make_status(client, status)
    assert client.post(f"/sessions/{sid}/heartbeat").json()["status"] == after


def test_mark_failed_needs_a_reason_and_keeps_the_details(client):
    sid = session(client, slot=4)["session_id"]
    refused(client.post(f"/sessions/{sid}/mark-failed", json={}), 400, details=True)
    refused(client.post(f"/sessions/{sid}/mark-failed", json={"reason": ""}), 400)
    details = {"error_code": "ERR_CRASH", "exit_code": 1, "stack_trace": "Error: exit 1"}
    failed = client.post(
        f"/sessions/{sid}/mark-failed", json={"reason": "crashed", "error_details": details}
    )
    assert failed.json()["metadata"]["failure_reason"] == "crashed"
    info = client.get(f"/sessions/{sid}/failure-info").json()
    assert (info["failure_reason"], info["error_details"]) == ("crashed", details)
    assert client.get("/machines/available").json()[0]["available_slots"] == 4


@pytest.mark.parametrize("status", ["active", "paused", "stalled", "completed", "archived"])
def test_failure_info_only_for_failed_sessions(client, status):
    sid = make_status(client, status)
    refused(client.get(f"/sessions/{sid}/failure-info"), 400, "has not failed", details=False)


def test_failure_info_names_the_last_successful_task(client):
    sid = session(client)["session_id"]
    for _ in range(2):
        done = task(client, sid)["task_id"]
        client.post(f"/tasks/{done}/start")
        client.post(f"/tasks/{done}/complete")
    client.put(f"/sessions/{sid}", json={"status": "failed"})
    info = client.get(f"/sessions/{sid}/failure-info").json()
    assert info["last_successful_task_id"] == done
    assert info["failure_reason"] == "Set to failed by an update"


@pytest.mark.parametrize("status", ["active", "paused", "stalled"])
def test_only_finished_sessions_can_be_archived(client, status):
    sid = make_status(client, status)
    refused(client.post(f"/sessions/{sid}/archive"), 400, "Only completed or failed", details=False)


def test_archiving_twice_answers_the_archived_session(client):
    sid = make_status(client, "archived")
    before = client.get(f"/sessions/{sid}").json()
    client.ctx.clock.advance(timedelta(minutes=5))
    again = client.post(f"/sessions/{sid}/archive")
    assert (again.status_code, again.json()) == (200, before)


def test_archived_sessions_leave_normal_queries(client):
    sid = make_status(client, "archived")
    archived = client.get(f"/sessions/{sid}").json()
    assert archived["archived_at"] == "2026-01-19T12:00:00.000Z"
    assert client.get("/sessions").json() == []
    assert client.get("/sessions?status=archived").json() == []
    listed = client.get("/sessions?include_archived=true").json()
    assert [s["session_id"] for s in listed] == [sid]
    assert client.get("/sessions/by-project/123").json()["total_sessions"] == 0


def test_purge_requires_confirmation_and_removes_the_tasks(client):
    sid = session(client, slot=1)["session_id"]
    for _ in range(3):
        task(client, sid)
    refused(client.request("DELETE", f"/sessions/{sid}/purge", json={"confirm": False}), 400)
    refused(client.request("DELETE", f"/sessions/{sid}/purge"), 400)
    purged = client.request("DELETE", f"/sessions/{sid}/purge", json={"confirm": True})
    assert purged.json() == {"session_id": sid, "purged": True, "tasks_deleted": 3}
    refused(client.get(f"/sessions/{sid}"), 404, details=False)
    assert client.get(f"/tasks?session_id={sid}").json() == []
    assert session(client, slot=1)["docker_slot"] == 1


def test_a_completed_session_does_not_recover(client):
    sid = make_status(client, "completed")
    refused(
        client.post(f"/sessions/{sid}/recover"), 400, "Session status is completed", details=False
    )


@pytest.mark.parametrize("status", ["active", "paused", "stalled", "failed", "archived"])
def test_every_other_session_recovers_without_a_body(client, status):
    """The real client calls recover without a body (and a JSON content type)."""
    sid = make_status(client, status)
    recovered = client.post(
        f"/sessions/{sid}/recover", headers={"Content-Type": "application/json"}
    )
    assert recovered.status_code == 200, recovered.text
    assert recovered.json() == client.get(f"/sessions/{sid}").json()  # the whole session
    assert (recovered.json()["status"], recovered.json()["recovery_attempts"]) == ("active", 1)


def test_the_fourth_recovery_is_refused(client):
    sid = session(client, slot=1)["session_id"]
    for attempt in (1, 2, 3):
        client.post(f"/sessions/{sid}/mark-failed", json={"reason": "crashed"})
        assert client.post(f"/sessions/{sid}/recover").json()["recovery_attempts"] == attempt
    client.post(f"/sessions/{sid}/mark-failed", json={"reason": "crashed"})
    refused(client.post(f"/sessions/{sid}/recover"), 400, "maximum of 3", details=False)
    plan = client.post(f"/sessions/{sid}/prepare-recovery").json()
    assert (plan["can_recover"], plan["suggested_machine_id"]) == (False, None)


def test_recover_does_not_check_the_target(client):
    sid = session(client, slot=1)["session_id"]
    client.post(f"/sessions/{sid}/mark-failed", json={"reason": "crashed"})
    intruder = session(client, slot=1)["session_id"]
    refused(client.post(f"/sessions/{sid}/recover", json={"resume_from_task_id": "t"}), 400)
    plan = client.post(f"/sessions/{sid}/prepare-recovery", json={}).json()
    assert (plan["suggested_machine_id"], plan["suggested_docker_slot"]) == ("box-1", 2)
    assert plan["warnings"] == [
        f"Docker slot 1 on machine box-1 is now occupied by session {intruder};"
        " recover on another slot"
    ]
    in_place = client.post(f"/sessions/{sid}/recover").json()  # its slot was taken: none
    assert (in_place["machine_id"], in_place["docker_slot"]) == ("box-1", None)
    assert in_place["recovery_attempts"] == 1
    client.post(f"/sessions/{sid}/mark-failed", json={"reason": "again"})
    elsewhere = client.post(
        f"/sessions/{sid}/recover", json={"new_machine_id": "nope", "new_docker_slot": 9}
    ).json()
    assert (elsewhere["machine_id"], elsewhere["docker_slot"]) == ("nope", 9)
    client.post(f"/sessions/{sid}/mark-failed", json={"reason": "and again"})
    moved = client.post(f"/sessions/{sid}/recover", json={"new_machine_id": "box-2"}).json()
    assert (moved["machine_id"], moved["docker_slot"]) == ("box-2", 1)  # its first free slot
    assert client.get("/machines/box-2").json()["active_sessions"] == [sid]
    refused(client.get(f"/sessions/{sid}/failure-info"), 400, details=False)


def test_prepare_recovery_changes_nothing_and_takes_no_fields(client):
    sid = make_status(client, "failed")
    before = client.get(f"/sessions/{sid}").json()
    for _ in range(2):
        assert client.post(f"/sessions/{sid}/prepare-recovery").json()["can_recover"] is True
    assert client.get(f"/sessions/{sid}").json() == before
    refused(client.post(f"/sessions/{sid}/prepare-recovery", json={"dry": True}), 400)


def test_lists_filter_and_page(client):
    made = [session(client)["session_id"] for _ in range(3)]
    client.ctx.clock.advance(timedelta(seconds=1))
    newest = session(client, machine_id="box-2")["session_id"]
    listed = [s["session_id"] for s in client.get("/sessions").json()]
    assert listed[0] == newest
    assert set(listed) == {*made, newest}
    assert [s["session_id"] for s in client.get("/sessions?machine_id=box-2").json()] == [newest]
    assert len(client.get("/sessions?machine_id=&project_id=").json()) == 4  # empty: no filter
    assert len(client.get("/sessions?limit=2&offset=1").json()) == 2
    assert client.get("/sessions?offset=4").json() == []
    for query in ("limit=0", "limit=101", "offset=-1", "limit=ten"):
        refused(client.get(f"/sessions?{query}"), 400)
    for query in ("limit=0", "offset=-1", "limit=ten"):  # GET /tasks clamps a larger limit
        refused(client.get(f"/tasks?{query}"), 400)
    refused(client.get("/sessions?status=sleeping"), 400)


def test_by_project(client):
    session(client)
    make_status(client, "failed")
    grouped = client.get("/sessions/by-project/123").json()
    assert grouped["total_sessions"] == 2
    assert {k: v["count"] for k, v in grouped["by_status"].items()} == {"active": 1, "failed": 1}
    refused(client.get("/sessions/by-project/999"), 404, "Project with ID 999", details=False)


# --- tasks ---------------------------------------------------------------------------------

ILLEGAL = [
    ("start", "in_progress"),
    ("start", "completed"),
    ("start", "failed"),
    ("start", "blocked"),
    ("complete", "completed"),
    ("complete", "failed"),
    ("fail", "completed"),
    ("fail", "failed"),
]


def task_in(client, status: str) -> str:
    tid = task(client, session(client)["session_id"])["task_id"]
    if status in ("in_progress", "completed"):
        client.post(f"/tasks/{tid}/start")
    if status == "completed":
        client.post(f"/tasks/{tid}/complete")
    if status == "failed":
        client.post(f"/tasks/{tid}/fail", json={"error_message": "boom"})
    if status == "blocked":
        client.put(f"/tasks/{tid}", json={"status": "blocked"})
    return tid


@pytest.mark.parametrize(
    ("action", "status"), [pytest.param(a, s, id=f"{a}-{s}") for a, s in ILLEGAL]
)
def test_every_illegal_task_transition_is_a_400(client, action, status):
    tid = task_in(client, status)
    body = {"error_message": "again"} if action == "fail" else None
    response = client.post(f"/tasks/{tid}/{action}", json=body)
    refused(response, 400, f"Cannot {action} task in status {status}", details=False)
    assert client.get(f"/tasks?status={status}").json()[0]["task_id"] == tid


def test_task_rules(client):
    refused(
        client.post("/tasks", json={"session_id": "nope", "project_id": "123"}), 404, details=False
    )
    tid = task_in(client, "pending")
    refused(client.post(f"/tasks/{tid}/fail", json={}), 400)
    refused(client.post(f"/tasks/{tid}/fail", json={"error_message": ""}), 400)
    failed = client.post(f"/tasks/{tid}/fail", json={"error_message": "boom"}).json()
    assert (failed["status"], failed["error_message"]) == ("failed", "boom")
    for action in ("start", "complete"):
        refused(client.post(f"/tasks/nope/{action}"), 404, "Task with ID nope", details=False)


def test_task_progress(client):
    sid = session(client)["session_id"]
    ids = [task(client, sid, github_issue_id=str(n))["task_id"] for n in range(3)]
    client.post(f"/tasks/{ids[0]}/start")
    client.post(f"/tasks/{ids[0]}/complete")
    client.post(f"/tasks/{ids[1]}/start")
    progress = client.get(f"/sessions/{sid}/tasks").json()
    assert progress["progress_percentage"] == 33.33
    assert {k: v["count"] for k, v in progress["by_status"].items()} == {
        "pending": 1,
        "in_progress": 1,
        "completed": 1,
        "failed": 0,
        "blocked": 0,
    }
    assert client.get(f"/sessions/{sid}").json()["current_task_id"] == ids[1]
    refused(client.get("/sessions/nope/tasks"), 404, details=False)


# --- machines ------------------------------------------------------------------------------


def test_create_machine(client):
    body = {"machine_id": "box-1", "hostname": "x", "docker_slots": [1]}
    refused(
        client.post("/machines", json=body),
        409,
        "Machine with ID box-1 already exists",
        details=False,
    )
    refused(
        client.post("/machines", json={"machine_id": "", "hostname": "x", "docker_slots": [1]}), 400
    )
    refused(
        client.post("/machines", json={"machine_id": "m", "hostname": "x", "docker_slots": ["1"]}),
        400,
    )
    meta = {"os": "Ubuntu 22.04", "cpu": "8 cores"}
    body = {"machine_id": "m", "hostname": "m.local", "docker_slots": [1], "metadata": meta}
    created = client.post("/machines", json=body).json()
    assert (created["metadata"], created["active_sessions"]) == (meta, [])
    assert client.get("/machines?hostname=m.local").json()[0]["metadata"] == meta


def test_assign_session_rules(client):
    sid = session(client, slot=1)["session_id"]
    other = session(client)["session_id"]
    assign = "/machines/{}/assign-session"
    refused(
        client.post(assign.format("nope"), json={"session_id": sid, "docker_slot": 1}),
        404,
        details=False,
    )
    refused(
        client.post(assign.format("box-2"), json={"session_id": "nope", "docker_slot": 1}),
        404,
        details=False,
    )
    refused(
        client.post(assign.format("box-2"), json={"session_id": sid, "docker_slot": 3}),
        400,
        "docker_slot",
    )
    refused(
        client.post(assign.format("box-1"), json={"session_id": other, "docker_slot": 1}),
        409,
        details=False,
    )
    moved = client.post(assign.format("box-2"), json={"session_id": sid, "docker_slot": 2})
    assert moved.status_code == 200  # the document's status (the real server's is 201)
    assert moved.json() == client.get("/machines/box-2").json()  # the whole machine
    assert moved.json()["assigned_sessions"] == {"1": None, "2": sid}
    assert moved.json()["active_sessions"] == [sid]
    followed = client.get(f"/sessions/{sid}").json()
    assert (followed["machine_id"], followed["docker_slot"]) == ("box-2", 2)
    box1 = client.get("/machines?hostname=box-1.local").json()[0]["assigned_sessions"]
    assert box1["1"] is None
    done = make_status(client, "completed")
    refused(
        client.post(assign.format("box-1"), json={"session_id": done, "docker_slot": 4}),
        400,
        "completed",
    )


def test_assign_without_a_slot_takes_the_first_free_one(client):
    machine(client, "trio", [3, 1, 2])
    first, second, third, fourth = (session(client)["session_id"] for _ in range(4))
    assign = "/machines/trio/assign-session"
    taken = [client.post(assign, json={"session_id": s}).json() for s in (first, second)]
    assert taken[-1]["assigned_sessions"] == {"3": first, "1": second, "2": None}
    again = client.post(assign, json={"session_id": first}).json()  # keeps the slot it holds
    assert again["assigned_sessions"]["3"] == first
    assert client.post(assign, json={"session_id": third}).json()["active_sessions"] == [
        first,
        second,
        third,
    ]
    refused(
        client.post(assign, json={"session_id": fourth}),
        409,
        "No available docker slots on machine trio - all 3 slots are occupied",
        details=False,
    )
    assert client.get(f"/sessions/{third}").json()["docker_slot"] == 2


def test_machine_filters(client):
    assert [m["machine_id"] for m in client.get("/machines?status=online").json()] == [
        "box-1",
        "box-2",
    ]
    assert client.get("/machines?status=maintenance").json() == []
    refused(client.get("/machines?status=broken"), 400)
    refused(client.post("/machines/nope/heartbeat"), 404, "Machine with ID nope", details=False)
