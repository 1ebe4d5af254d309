"""The tasks beyond the document, through HTTP: what the real server and its client add
(``task_name``, ``metadata``, ``updated_at``, ``blocked``, whole tasks in the answers, the
progress' ``tasks`` and ``stats``) and the inferred ``GET|PUT|DELETE /tasks/{id}``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.apis.state_tracking.factory import machine, session, task


@pytest.fixture
def client(tracking):
    made = tracking("empty")
    machine(made, "box-1")
    return made


@pytest.fixture
def sid(client) -> str:
    return session(client)["session_id"]


def refused(response, status: int, message: str = "", *, details: bool) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["statusCode"], body["request_id"]) == (status, response.headers["x-request-id"])
    assert message in body["message"]
    assert ("details" in body) is details
    return body


def later(client, seconds: int = 15) -> None:
    client.ctx.clock.advance(timedelta(seconds=seconds))


# --- create and read -------------------------------------------------------------------------


def test_a_task_echoes_its_name_and_metadata(client, sid):
    name = "Implement user authentication"
    created = task(client, sid, task_name=name, metadata={"p": 1})
    assert (created["task_name"], created["metadata"]) == (name, {"p": 1})
    assert created["updated_at"] == created["created_at"]
    assert client.get(f"/tasks/{created['task_id']}").json() == created


def test_a_task_created_as_documented_has_a_null_name(client, sid):
    created = task(client, sid, github_issue_id="456")
    assert "task_name" in created
    assert created["task_name"] is None


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"task_name": 7}, id="name-not-a-string"),
        pytest.param({"metadata": "high"}, id="metadata-not-an-object"),
        pytest.param({"name": "x"}, id="unknown-field"),
    ],
)
def test_a_bad_create_body_is_a_400(client, sid, extra):
    body = {"session_id": sid, "project_id": "123", **extra}
    refused(client.post("/tasks", json=body), 400, details=True)


@pytest.mark.parametrize(
    ("method", "body"),
    [
        pytest.param("GET", None, id="get"),
        pytest.param("PUT", {"status": "blocked"}, id="put"),
        pytest.param("DELETE", None, id="delete"),
    ],
)
def test_an_unknown_task_is_a_404(client, method, body):
    response = client.request(method, "/tasks/nope", json=body)
    refused(response, 404, "Task with ID nope not found", details=False)


# --- start, complete, fail answer the whole task ---------------------------------------------


def test_the_actions_answer_the_whole_task(client, sid):
    first = task(client, sid, task_name="first")
    later(client)
    started = client.post(f"/tasks/{first['task_id']}/start").json()
    assert started == first | {
        "status": "in_progress",
        "started_at": "2026-01-19T12:00:15.000Z",
        "updated_at": "2026-01-19T12:00:15.000Z",
    }
    later(client)
    completed = client.post(f"/tasks/{first['task_id']}/complete").json()
    assert completed == started | {
        "status": "completed",
        "completed_at": "2026-01-19T12:00:30.000Z",
        "updated_at": "2026-01-19T12:00:30.000Z",
    }
    second = task(client, sid, task_name="second")
    failed = client.post(f"/tasks/{second['task_id']}/fail", json={"error_message": "boom"})
    assert failed.json() == second | {
        "status": "failed",
        "completed_at": "2026-01-19T12:00:30.000Z",
        "error_message": "boom",
        "updated_at": "2026-01-19T12:00:30.000Z",
    }


@pytest.mark.parametrize("action", ["complete", "fail"])
@pytest.mark.parametrize("status", ["pending", "blocked"])
def test_an_unstarted_or_blocked_task_can_be_finished(client, sid, status, action):
    tid = task(client, sid)["task_id"]
    if status == "blocked":
        client.put(f"/tasks/{tid}", json={"status": "blocked"})
    body = {"error_message": "gave up"} if action == "fail" else None
    finished = client.post(f"/tasks/{tid}/{action}", json=body)
    assert finished.status_code == 200, finished.text
    assert finished.json()["status"] == {"complete": "completed", "fail": "failed"}[action]


def test_a_blocked_task_cannot_be_started(client, sid):
    tid = task(client, sid)["task_id"]
    client.put(f"/tasks/{tid}", json={"status": "blocked"})
    response = client.post(f"/tasks/{tid}/start")
    refused(response, 400, "Cannot start task in status blocked", details=False)


# --- PUT ---------------------------------------------------------------------------------------


def test_put_moves_a_task_through_blocked_and_back(client, sid):
    tid = task(client, sid, metadata={"priority": "low"})["task_id"]
    later(client)
    blocked = client.put(
        f"/tasks/{tid}", json={"status": "blocked", "metadata": {"blocked_by": "t-0"}}
    ).json()
    assert (blocked["status"], blocked["started_at"]) == ("blocked", None)
    assert blocked["metadata"] == {"priority": "low", "blocked_by": "t-0"}
    assert blocked["updated_at"] == "2026-01-19T12:00:15.000Z"
    later(client)
    resumed = client.put(f"/tasks/{tid}", json={"status": "in_progress"}).json()
    assert (resumed["status"], resumed["started_at"]) == ("in_progress", "2026-01-19T12:00:30.000Z")
    assert client.get(f"/sessions/{sid}").json()["current_task_id"] is None, "only start sets it"
    failed = client.put(
        f"/tasks/{tid}", json={"status": "failed", "error_message": "timeout"}
    ).json()
    assert (failed["completed_at"], failed["error_message"]) == (
        "2026-01-19T12:00:30.000Z",
        "timeout",
    )
    retried = client.put(f"/tasks/{tid}", json={"status": "pending"}).json()
    assert [retried[k] for k in ("status", "started_at", "completed_at", "error_message")] == [
        "pending",
        None,
        None,
        None,
    ]
    assert client.get(f"/tasks/{tid}").json() == retried


def test_put_writes_the_issue_and_message_and_takes_no_body(client, sid):
    tid = task(client, sid, github_issue_id="456")["task_id"]
    updated = client.put(f"/tasks/{tid}", json={"github_issue_id": "789", "error_message": "n"})
    assert [updated.json()[k] for k in ("github_issue_id", "error_message")] == ["789", "n"]
    later(client)
    untouched = client.put(f"/tasks/{tid}")
    assert untouched.status_code == 200, untouched.text
    assert untouched.json() == updated.json() | {"updated_at": "2026-01-19T12:00:15.000Z"}


@pytest.mark.parametrize(
    ("status", "to"),
    [
        pytest.param("pending", "pending", id="same-status"),
        pytest.param("pending", "failed", id="pending-to-failed"),
        pytest.param("blocked", "completed", id="blocked-to-completed"),
        pytest.param("completed", "pending", id="completed-is-final"),
        pytest.param("failed", "in_progress", id="failed-only-to-pending"),
    ],
)
def test_put_refuses_what_the_real_server_refuses(client, sid, status, to):
    tid = task(client, sid)["task_id"]
    if status in ("blocked", "completed"):
        client.put(f"/tasks/{tid}", json={"status": status})
    if status == "failed":
        client.post(f"/tasks/{tid}/fail", json={"error_message": "boom"})
    before = client.get(f"/tasks/{tid}").json()
    response = client.put(f"/tasks/{tid}", json={"status": to})
    refused(response, 400, f"Invalid status transition from {status} to {to}", details=False)
    assert client.get(f"/tasks/{tid}").json() == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"status": "sleeping"}, id="unknown-status"),
        pytest.param({"task_name": "renamed"}, id="not-updatable"),
        pytest.param({"metadata": []}, id="metadata-not-an-object"),
        pytest.param({"status": None}, id="null-status"),
    ],
)
def test_a_bad_put_body_is_a_400_with_details(client, sid, body):
    tid = task(client, sid)["task_id"]
    refused(client.put(f"/tasks/{tid}", json=body), 400, details=True)


# --- DELETE --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "failed"])
def test_delete_is_a_soft_delete_to_completed(client, sid, status):
    tid = task(client, sid)["task_id"]
    if status == "failed":
        client.post(f"/tasks/{tid}/fail", json={"error_message": "boom"})
    later(client)
    response = client.delete(f"/tasks/{tid}")
    assert (response.status_code, response.content) == (204, b"")
    deleted = client.get(f"/tasks/{tid}").json()
    assert (deleted["status"], deleted["completed_at"]) == ("completed", "2026-01-19T12:00:15.000Z")
    assert [t["task_id"] for t in client.get("/tasks?status=completed").json()] == [tid]


# --- lists and progress ----------------------------------------------------------------------


def test_blocked_is_a_filter(client, sid):
    ids = [task(client, sid)["task_id"] for _ in range(3)]
    client.put(f"/tasks/{ids[1]}", json={"status": "blocked"})
    assert [t["task_id"] for t in client.get("/tasks?status=blocked").json()] == [ids[1]]
    refused(client.get("/tasks?status=stuck"), 400, details=True)


def test_a_limit_above_100_is_clamped(client, sid):
    for _ in range(101):
        task(client, sid)
    assert len(client.get("/tasks?limit=101").json()) == 100
    assert len(client.get("/tasks?limit=100000&offset=99").json()) == 2
    assert len(client.get("/tasks").json()) == 20


def test_progress_carries_the_real_servers_lists_and_stats(client, sid):
    ids = [task(client, sid)["task_id"] for _ in range(4)]
    client.post(f"/tasks/{ids[0]}/complete")
    client.post(f"/tasks/{ids[1]}/fail", json={"error_message": "boom"})
    client.put(f"/tasks/{ids[2]}", json={"status": "blocked"})
    progress = client.get(f"/sessions/{sid}/tasks").json()
    assert (progress["total_tasks"], progress["progress_percentage"]) == (4, 25)
    assert progress["by_status"]["blocked"]["count"] == 1
    assert {s: [t["task_id"] for t in lst] for s, lst in progress["tasks"].items()} == {
        "pending": [ids[3]],
        "in_progress": [],
        "completed": [ids[0]],
        "failed": [ids[1]],
        "blocked": [ids[2]],
    }
    assert progress["stats"] == {
        "total": 4,
        "pending": 1,
        "in_progress": 0,
        "completed": 1,
        "failed": 1,
        "blocked": 1,
        "completion_percentage": 25,
    }


# --- the datasets --------------------------------------------------------------------------


def test_the_documents_task_reads_with_the_real_servers_fields(tracking):
    docs = tracking("docs")
    read = docs.get("/tasks/task-uuid-456").json()
    assert (read["task_name"], read["updated_at"]) == (None, read["started_at"])
    listed = docs.get("/tasks?status=in_progress").json()
    progress = docs.get(f"/sessions/{read['session_id']}/tasks").json()
    assert listed == progress["tasks"]["in_progress"] == [read]


# --- the demo --------------------------------------------------------------------------------


def test_the_demo_shows_named_and_blocked_tasks(tracking):
    demo = tracking("demo")
    blocked = demo.get("/tasks?status=blocked&limit=100").json()
    assert blocked
    assert all(t["status"] == "blocked" for t in blocked)
    listed = demo.get("/tasks?limit=100").json()
    names = [t["task_name"] for t in listed]
    assert any(isinstance(n, str) for n in names)
    assert None in names
    paused = demo.get("/sessions?status=paused").json()[0]
    current = demo.get(f"/tasks/{paused['current_task_id']}").json()
    assert (current["status"], current["started_at"] is not None) == ("blocked", True)
