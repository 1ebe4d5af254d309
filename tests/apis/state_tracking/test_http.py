"""The state-machine rules through HTTP: every refusal with its status and envelope."""

from __future__ import annotations

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


def test_create_session_refuses_unknown_machines_and_projects(client):
    body = {"project_id": "123", "machine_id": "nope"}
    refused(
        client.post("/sessions", json=body), 404, "Machine with ID nope not found", details=False
    )
    body = {"project_id": "999", "machine_id": "box-1"}
    refused(
        client.post("/sessions", json=body), 404, "Project with ID 999 not found", details=False
    )


def test_create_session_takes_its_slot(client):
    first = session(client, slot=1)
    conflict = client.post(
        "/sessions", json={"project_id": "123", "machine_id": "box-1", "docker_slot": 1}
    )
    refused(conflict, 409, "Docker slot 1 on machine box-1 is already occupied", details=False)
    body = refused(
        client.post(
            "/sessions", json={"project_id": "123", "machine_id": "box-2", "docker_slot": 3}
        ),
        400,
        "docker_slot must be one of the docker slots of machine box-2 (1, 2)",
    )
    assert body["details"] == [
        "docker_slot: must be one of the docker slots of machine box-2 (1, 2)"
    ]
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
    refused(client.put(f"/sessions/{sid}", json={"docker_slot": 9}), 400, "docker_slot")
    other = session(client, slot=1)["session_id"]
    refused(client.put(f"/sessions/{other}", json={"docker_slot": 3}), 400, "occupied")
    refused(client.put("/sessions/abc-123", json={}), 404, "Session with ID abc-123", details=False)


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
    refused(client.put(f"/sessions/{sid}", json={"status": "active", "docker_slot": 9}), 400)
    refused(client.put(f"/sessions/{sid}", json={"status": "active", "docker_slot": 2}), 400)
    moved = client.put(f"/sessions/{sid}", json={"status": "active", "docker_slot": 3}).json()
    slots = client.get("/machines?hostname=box-1.local").json()[0]["assigned_sessions"]
    assert (moved["docker_slot"], slots["2"], slots["3"]) == (3, intruder, sid)


def test_delete_is_a_soft_delete_that_frees_the_slot(client):
    sid = session(client, slot=1)["session_id"]
    response = client.delete(f"/sessions/{sid}")
    assert (response.status_code, response.content) == (204, b"")
    kept = client.get(f"/sessions/{sid}").json()
    assert (kept["status"], kept["completed_at"]) == ("completed", "2026-01-19T12:00:00.000Z")
    assert session(client, slot=1)["docker_slot"] == 1
    assert client.delete(f"/sessions/{sid}").status_code == 204  # twice is harmless
    refused(client.delete("/sessions/nope"), 404, details=False)


@pytest.mark.parametrize("status", ["completed", "failed", "archived"])
def test_a_finished_session_takes_no_heartbeat(client, status):
    sid = make_status(client, status)
    response = client.post(f"/sessions/{sid}/heartbeat")
    refused(response, 400, f"Cannot update heartbeat for {status} session", details=False)


@pytest.mark.parametrize(
    ("status", "after"),
    [
        pytest.param("active", "active", id="active"),
        pytest.param("paused", "paused", id="paused"),
        pytest.param("stalled", "active", id="stalled-reactivated"),
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


@pytest.mark.parametrize("status", ["active", "paused", "stalled", "archived"])
def test_only_finished_sessions_can_be_archived(client, status):
    sid = make_status(client, status)
    refused(client.post(f"/sessions/{sid}/archive"), 400, "Only completed or failed", details=False)


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


@pytest.mark.parametrize("status", ["active", "paused", "completed", "archived"])
def test_only_failed_or_stalled_sessions_recover(client, status):
    sid = make_status(client, status)
    refused(
        client.post(f"/sessions/{sid}/recover"), 400, f"Session status is {status}", details=False
    )


def test_recover_rules(client):
    sid = session(client, slot=1)["session_id"]
    client.post(f"/sessions/{sid}/mark-failed", json={"reason": "crashed"})
    intruder = session(client, slot=1)["session_id"]
    refused(client.post(f"/sessions/{sid}/recover"), 409, "already occupied", details=False)
    refused(
        client.post(f"/sessions/{sid}/recover", json={"new_machine_id": "nope"}), 404, details=False
    )
    refused(
        client.post(f"/sessions/{sid}/recover", json={"new_docker_slot": 9}), 400, "docker_slot"
    )
    refused(client.post(f"/sessions/{sid}/recover", json={"resume_from_task_id": "t"}), 400)
    plan = client.post(f"/sessions/{sid}/prepare-recovery", json={}).json()
    assert (plan["suggested_machine_id"], plan["suggested_docker_slot"]) == ("box-1", 2)
    assert plan["warnings"] == [
        f"Docker slot 1 on machine box-1 is now occupied by session {intruder};"
        " recover on another slot"
    ]
    recovered = client.post(f"/sessions/{sid}/recover", json={"new_docker_slot": 2}).json()
    assert (recovered["status"], recovered["docker_slot"], recovered["recovery_attempts"]) == (
        "active",
        2,
        1,
    )
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
    client.ctx.clock.advance(__import__("datetime").timedelta(seconds=1))
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
    ("complete", "pending"),
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
    assert moved.json() == {"machine_id": "box-2", "assigned_sessions": {"1": None, "2": sid}}
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


def test_machine_filters(client):
    assert [m["machine_id"] for m in client.get("/machines?status=online").json()] == [
        "box-1",
        "box-2",
    ]
    assert client.get("/machines?status=maintenance").json() == []
    refused(client.get("/machines?status=broken"), 400)
    refused(client.post("/machines/nope/heartbeat"), 404, "Machine with ID nope", details=False)
