"""The state-tracking API's own TypeScript client (``StateTrackingApiClient``, in
stokedconsulting/stoked-projects ``packages/api/src/client/api-client.ts``), its whole surface in
one story against the mock, sending exactly what the client sends.

The client sends ``Content-Type: application/json`` and ``x-api-key`` on every request (a GET and
a body-less POST included), a body only when it has one (``JSON.stringify`` drops undefined
fields), query parameters without the undefined ones, and on an error reads the body's
``statusCode`` and ``message``. The fields checked on each answer are the ones its ``types.ts``
declares as always present; the mock's self-validation (``mock_client``) checks every answer
against the spec on top.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.apis.state_tracking.factory import KEY

# What types.ts declares as always present (not optional) on each kind of answer.
SESSION = {
    "session_id",
    "project_id",
    "machine_id",
    "status",
    "last_heartbeat",
    "started_at",
    "created_at",
    "updated_at",
}
TASK = {"task_id", "session_id", "project_id", "task_name", "status", "created_at", "updated_at"}
MACHINE = {
    "machine_id",
    "hostname",
    "docker_slots",
    "active_sessions",
    "status",
    "last_heartbeat",
    "created_at",
    "updated_at",
}
HEARTBEAT = {"session_id", "status", "last_heartbeat", "message"}
MACHINE_HEARTBEAT = {"machine_id", "status", "last_heartbeat", "message"}
STALE = {"session_id", "project_id", "machine_id", "status", "last_heartbeat"}
ACTIVE = {"session_id", "project_id", "machine_id", "last_heartbeat", "started_at"}
AVAILABLE = {
    "machine_id",
    "hostname",
    "status",
    "total_slots",
    "available_slots",
    "occupied_slots",
    "active_sessions",
    "last_heartbeat",
}
HEALTH = {"session_id", "status", "is_stale", "last_heartbeat", "recommendations"}


class ClientError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"API Error ({body.get('statusCode')}): {body.get('message')}")
        self.status = status
        self.body = body


class StateTrackingClient:
    """``StateTrackingApiClient.request`` over a test client: the same headers, bodies and
    error handling."""

    def __init__(self, http: Any, api_key: str = KEY) -> None:
        self.http = http
        self.api_key = api_key

    def request(
        self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None
    ) -> Any:
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        headers = {"Content-Type": "application/json", "x-api-key": self.api_key}
        content = None
        if body is not None:
            content = json.dumps({k: v for k, v in body.items() if v is not None})
        response = self.http.request(method, path, params=params, headers=headers, content=content)
        if not 200 <= response.status_code < 300:
            error = response.json()
            assert isinstance(error.get("statusCode"), int), error
            assert isinstance(error.get("message"), str | list), error
            raise ClientError(response.status_code, error)
        if response.status_code == 204:
            return None
        return response.json()


def has(record: Any, fields: set[str]) -> Any:
    assert isinstance(record, dict), record
    missing = fields - record.keys()
    assert not missing, f"the client reads {sorted(missing)}: {record}"
    return record


def each(records: Any, fields: set[str]) -> list[dict[str, Any]]:
    assert isinstance(records, list), records
    return [has(r, fields) for r in records]


@pytest.fixture
def client(mock_client) -> StateTrackingClient:
    # The documented rate limits on: the story stays within them, as a real client's would.
    return StateTrackingClient(mock_client("state-tracking", dataset="demo"))


def test_the_clients_whole_surface(client):
    c = client
    # --- machines: registered with and without metadata --------------------------------------
    plain = has(
        c.request(
            "POST",
            "/machines",
            {"machine_id": "story-box", "hostname": "story-box.local", "docker_slots": [1, 2]},
        ),
        MACHINE,
    )
    assert plain["active_sessions"] == []
    meta = {"os": "linux", "arch": "arm64"}
    tagged = c.request(
        "POST",
        "/machines",
        {
            "machine_id": "story-tagged",
            "hostname": "tagged.local",
            "docker_slots": [1],
            "metadata": meta,
        },
    )
    assert has(tagged, MACHINE)["metadata"] == meta

    # --- sessions: on a registered machine, an unregistered one, a new project ---------------
    project = c.request("GET", "/sessions")[0]["project_id"]
    on_box = has(
        c.request("POST", "/sessions", {"project_id": project, "machine_id": "story-box"}), SESSION
    )
    elsewhere = has(
        c.request(
            "POST",
            "/sessions",
            {"project_id": "brand-new-project", "machine_id": "never-registered"},
        ),
        SESSION,
    )
    assert elsewhere["status"] == "active"
    sid = on_box["session_id"]
    has(c.request("GET", f"/sessions/{sid}"), SESSION)
    listed = each(
        c.request("GET", "/sessions", query={"project_id": project, "limit": 50}), SESSION
    )
    assert sid in {s["session_id"] for s in listed}
    updated = c.request("PUT", f"/sessions/{sid}", {"metadata": {"branch": "main"}})
    assert has(updated, SESSION)["metadata"]["branch"] == "main"
    assert has(c.request("POST", f"/sessions/{sid}/heartbeat"), HEARTBEAT)["session_id"] == sid
    has(c.request("GET", f"/sessions/{sid}/health", query={"threshold": None}), HEALTH)
    each(c.request("GET", "/sessions/stale", query={"threshold": 60}), STALE)
    active = each(c.request("GET", "/sessions/active", query={"project_id": project}), ACTIVE)
    assert sid in {s["session_id"] for s in active}

    # --- tasks --------------------------------------------------------------------------------
    def new_task(name: str) -> dict[str, Any]:
        body = {"session_id": sid, "project_id": project, "task_name": name}
        task = has(c.request("POST", "/tasks", body), TASK)
        assert task["task_name"] == name
        assert task["status"] == "pending"
        return task

    first, second, third = new_task("write docs"), new_task("run tests"), new_task("ship it")
    tid = first["task_id"]
    assert has(c.request("GET", f"/tasks/{tid}"), TASK)["task_name"] == "write docs"
    blocked = c.request("PUT", f"/tasks/{tid}", {"status": "blocked"})
    assert has(blocked, TASK)["status"] == "blocked"
    listed_blocked = each(
        c.request("GET", "/tasks", query={"status": "blocked", "limit": 200}), TASK
    )
    assert tid in {t["task_id"] for t in listed_blocked}
    assert has(c.request("POST", f"/tasks/{tid}/complete"), TASK)["status"] == "completed"
    started = has(c.request("POST", f"/tasks/{second['task_id']}/start"), TASK)
    assert started["status"] == "in_progress"
    failed = c.request("POST", f"/tasks/{second['task_id']}/fail", {"error_message": "flaky"})
    assert has(failed, TASK)["status"] == "failed"
    assert c.request("DELETE", f"/tasks/{third['task_id']}") is None
    assert c.request("GET", f"/tasks/{third['task_id']}")["status"] == "completed"
    progress = c.request("GET", f"/sessions/{sid}/tasks")
    assert progress["session_id"] == sid
    assert set(progress["tasks"]) >= {"pending", "in_progress", "completed", "failed", "blocked"}
    assert progress["stats"]["total"] == 3
    assert progress["stats"]["completed"] == 2
    assert progress["stats"]["failed"] == 1

    # --- machines: read, listed, more slots, heartbeat, availability --------------------------
    assert has(c.request("GET", "/machines/story-box"), MACHINE)["hostname"] == "story-box.local"
    machines = each(c.request("GET", "/machines", query={"status": None}), MACHINE)
    assert {"story-box", "story-tagged"} <= {m["machine_id"] for m in machines}
    grown = c.request("PUT", "/machines/story-box", {"docker_slots": [1, 2, 3]})
    assert has(grown, MACHINE)["docker_slots"] == [1, 2, 3]
    has(c.request("POST", "/machines/story-box/heartbeat"), MACHINE_HEARTBEAT)
    each(c.request("GET", "/machines/available"), AVAILABLE)

    # --- slots: assign without a slot, release, assign to a new slot; stall and recover --------
    roaming = has(
        c.request("POST", "/sessions", {"project_id": project, "machine_id": "story-tagged"}),
        SESSION,
    )
    rid = roaming["session_id"]
    assigned = has(
        c.request("POST", "/machines/story-box/assign-session", {"session_id": rid}), MACHINE
    )
    assert rid in assigned["active_sessions"]
    released = c.request("POST", "/machines/story-box/release-session", {"session_id": rid})
    assert rid not in has(released, MACHINE)["active_sessions"]
    again = c.request(
        "POST", "/machines/story-box/assign-session", {"session_id": rid, "docker_slot": 3}
    )
    assert has(again, MACHINE)["assigned_sessions"]["3"] == rid
    stalled = c.request("POST", f"/sessions/{rid}/mark-stalled", {"reason": "no heartbeat"})
    assert has(stalled, SESSION)["status"] == "stalled"
    recovered = c.request("POST", f"/sessions/{rid}/recover")  # no body, as the client sends it
    assert has(recovered, SESSION)["status"] == "active"

    # --- failed and recovered; deleted (soft) and archived --------------------------------------
    failed_session = c.request("POST", f"/sessions/{sid}/mark-failed", {"reason": "crashed"})
    assert has(failed_session, SESSION)["status"] == "failed"
    assert has(c.request("POST", f"/sessions/{sid}/recover", {}), SESSION)["status"] == "active"
    assert c.request("DELETE", f"/sessions/{sid}") is None
    assert has(c.request("GET", f"/sessions/{sid}"), SESSION)["status"] == "completed"
    assert has(c.request("POST", f"/sessions/{sid}/archive"), SESSION)["status"] == "archived"

    # --- a machine deleted: it reads back offline ----------------------------------------------
    assert c.request("DELETE", "/machines/story-tagged") is None
    assert c.request("GET", "/machines/story-tagged")["status"] == "offline"


def test_what_the_client_is_refused(client):
    with pytest.raises(ClientError) as wrong_key:
        StateTrackingClient(client.http, api_key="not-a-key").request("GET", "/sessions")
    assert wrong_key.value.status == 401
    with pytest.raises(ClientError) as bad_body:
        client.request("POST", "/machines", {"machine_id": "x", "docker_slots": "four"})
    assert bad_body.value.status == 400
