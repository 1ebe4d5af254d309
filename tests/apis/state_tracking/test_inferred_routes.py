"""The real server's routes the document lacks, through HTTP: a machine read, updated and taken
offline, a session released from its slot, a session marked stalled, and the OpenAPI document at
the real server's ``/api/docs-json``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.apis.state_tracking.factory import machine, session
from tests.apis.state_tracking.test_http import make_status, refused


@pytest.fixture
def client(tracking):
    made = tracking("empty")
    machine(made, "box-1")
    return made


# --- GET | PUT | DELETE /machines/{id} -------------------------------------------------------


def test_a_machine_reads_as_listed(client):
    sid = session(client, slot=2)["session_id"]
    read = client.get("/machines/box-1")
    assert read.status_code == 200
    assert read.json() == client.get("/machines").json()[0]
    assert (read.json()["active_sessions"], read.json()["metadata"]) == ([sid], {})
    refused(client.get("/machines/nope"), 404, "Machine with ID nope not found", details=False)


def test_update_writes_the_fields_and_counts_as_a_heartbeat(client):
    client.ctx.clock.advance(timedelta(minutes=2))
    updated = client.put(
        "/machines/box-1",
        json={"docker_slots": [1, 2, 3, 4, 5], "status": "maintenance", "metadata": {"os": "x"}},
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["docker_slots"], body["status"], body["metadata"]) == (
        [1, 2, 3, 4, 5],
        "maintenance",
        {"os": "x"},
    )
    assert body["last_heartbeat"] == body["updated_at"] == "2026-01-19T12:02:00.000Z"
    assert client.get("/machines/box-1").json() == body
    replaced = client.put("/machines/box-1", json={"metadata": {"cpu": "8 cores"}}).json()
    assert (replaced["metadata"], replaced["status"]) == ({"cpu": "8 cores"}, "maintenance")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"docker_slots": [1, 1]}, id="repeated-slot"),
        pytest.param({"docker_slots": [0, 1]}, id="slot-below-one"),
        pytest.param({"status": "broken"}, id="unknown-status"),
        pytest.param({"hostname": "renamed"}, id="unknown-field"),
    ],
)
def test_update_refuses_an_invalid_body(client, body):
    refused(client.put("/machines/box-1", json=body), 400)


def test_update_cannot_remove_a_held_slot(client):
    sid = session(client, slot=3)["session_id"]
    refused(
        client.put("/machines/box-1", json={"docker_slots": [1, 2]}),
        400,
        f"Cannot remove docker slot 3 - currently in use by session {sid}",
        details=False,
    )
    shrunk = client.put("/machines/box-1", json={"docker_slots": [3]}).json()
    assert shrunk["assigned_sessions"] == {"3": sid}
    refused(client.put("/machines/nope", json={}), 404, details=False)


def test_delete_takes_the_machine_offline_and_a_heartbeat_brings_it_back(client):
    sid = session(client, slot=1)["session_id"]
    deleted = client.delete("/machines/box-1")
    assert (deleted.status_code, deleted.content) == (204, b"")
    offline = client.get("/machines/box-1").json()
    assert (offline["status"], offline["active_sessions"]) == ("offline", [sid])
    assert client.get("/machines/available").json() == []
    assert client.post("/machines/box-1/heartbeat").json()["status"] == "online"
    refused(client.delete("/machines/nope"), 404, details=False)


# --- POST /machines/{id}/release-session ---------------------------------------------------


def test_release_frees_the_slot_and_answers_the_machine(client):
    sid = session(client, slot=2)["session_id"]
    released = client.post("/machines/box-1/release-session", json={"session_id": sid})
    assert released.status_code == 200, released.text
    assert released.json() == client.get("/machines/box-1").json()
    assert released.json()["assigned_sessions"]["2"] is None
    assert released.json()["active_sessions"] == []
    left = client.get(f"/sessions/{sid}").json()
    assert (left["status"], left["machine_id"], left["docker_slot"]) == ("active", "box-1", None)
    assert session(client, slot=2)["docker_slot"] == 2  # the slot is free again


def test_release_of_a_session_the_machine_does_not_hold_is_a_400(client):
    machine(client, "box-2", [1])
    sid = session(client, machine_id="box-2", slot=1)["session_id"]
    release = "/machines/box-1/release-session"
    refused(
        client.post(release, json={"session_id": sid}),
        400,
        f"Session {sid} is not assigned to machine box-1",
        details=False,
    )
    refused(client.post(release, json={"session_id": "nope"}), 400, details=False)
    refused(client.post(release, json={}), 400, "session_id")
    refused(
        client.post("/machines/nope/release-session", json={"session_id": sid}), 404, details=False
    )


# --- POST /sessions/{id}/mark-stalled ------------------------------------------------------


def test_mark_stalled_answers_the_whole_session_and_a_heartbeat_reactivates_it(client):
    sid = session(client, slot=1)["session_id"]
    client.ctx.clock.advance(timedelta(seconds=30))
    stalled = client.post(f"/sessions/{sid}/mark-stalled", json={"reason": "no heartbeat"})
    assert stalled.status_code == 200, stalled.text
    body = stalled.json()
    assert body == client.get(f"/sessions/{sid}").json()
    assert (body["status"], body["docker_slot"]) == ("stalled", 1)
    assert body["metadata"]["stalled_reason"] == "no heartbeat"
    assert body["metadata"]["stalled_timestamp"] == body["updated_at"]
    assert client.post(f"/sessions/{sid}/heartbeat").json()["status"] == "active"


def test_an_archived_session_marked_stalled_is_reopened_in_its_old_slot(client):
    sid = session(client, slot=4)["session_id"]
    client.delete(f"/sessions/{sid}")
    client.post(f"/sessions/{sid}/archive")
    reopened = client.post(f"/sessions/{sid}/mark-stalled", json={"reason": "back"}).json()
    assert (reopened["status"], reopened["completed_at"], reopened["docker_slot"]) == (
        "stalled",
        None,
        4,
    )
    assert "archived_at" not in reopened
    assert client.get("/machines/box-1").json()["assigned_sessions"]["4"] == sid


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_completed_or_failed_sessions_cannot_be_marked_stalled(client, status):
    sid = make_status(client, status)
    response = client.post(f"/sessions/{sid}/mark-stalled", json={"reason": "why"})
    refused(response, 400, f"Cannot mark {status} session as stalled", details=False)


def test_mark_stalled_needs_a_reason(client):
    sid = session(client)["session_id"]
    refused(client.post(f"/sessions/{sid}/mark-stalled", json={}), 400, "reason")
    refused(client.post(f"/sessions/{sid}/mark-stalled", json={"reason": ""}), 400)
    refused(client.post("/sessions/nope/mark-stalled", json={"reason": "x"}), 404, details=False)


# --- GET /api/docs-json --------------------------------------------------------------------


def test_the_openapi_document_is_served_at_both_paths(client):
    documented = client.get("/api/docs/openapi.json")
    real = client.get("/api/docs-json", headers={"Authorization": ""})  # public, like the other
    assert (documented.status_code, real.status_code) == (200, 200)
    assert real.content == documented.content
    assert real.json()["info"]["title"] == "Claude Projects State Tracking API"
    assert "/machines/{id}/release-session" in real.json()["paths"]
