"""Consumer-side coverage over HTTP: ``/__mockgate/coverage`` after a known sequence of
requests, and the consumer violations (requests the spec refuses) with their reasons."""

from __future__ import annotations

import pytest

from tests.apis.state_tracking.factory import AUTH as TRACKING

AGENTLENS = {"Authorization": "Bearer als_mockgate_dev_key"}
ADMIN_WRITE = {"Content-Type": "application/json"}


def coverage(client, summary: bool = False) -> dict:
    response = client.get("/__mockgate/coverage", params={"summary": "true"} if summary else {})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_known_sequence_gives_known_figures(mock_client):
    client = mock_client("state-tracking", rate_limit="off")
    assert client.get("/sessions", params={"status": "active", "limit": 5}, headers=TRACKING)
    assert client.get("/sessions", params={"status": "paused"}, headers=TRACKING)
    machine = {"machine_id": "m1", "hostname": "h", "docker_slots": [1]}
    assert client.post("/machines", json=machine, headers=TRACKING).status_code == 201
    body = {"project_id": "123", "machine_id": "m1", "metadata": {"owner": "me"}}
    assert client.post("/sessions", json=body, headers=TRACKING).status_code == 201

    data = coverage(client, summary=True)
    listing = data["operations"]["listSessions"]
    assert listing["requests"] == 2
    assert listing["statuses"] == {"200": 2}
    assert listing["parameters"]["query:status"] == {"active": 1, "paused": 1}
    assert listing["parameters"]["query:limit"] == {"*": 1}
    created = data["operations"]["createSession"]
    assert created["body_properties"] == {
        "project_id": 1,
        "machine_id": 1,
        "metadata": 1,
        "metadata.owner": 1,
    }
    assert "201:session_id" in created["response_properties"]
    summary = data["summary"]
    assert summary["operations"]["covered"] == 3
    assert "getHealth" in summary["operations"]["missing"]
    assert "listSessions query:status=archived" in summary["enum_values"]["missing"]
    assert "listSessions query:status=active" not in summary["enum_values"]["missing"]
    assert "createSession docker_slot" in summary["body_properties"]["missing"]
    assert data["violations"] == []


def test_requests_the_spec_refuses_are_consumer_violations(mock_client):
    client = mock_client("agentlens")
    malformed = client.post("/api/events", json={"events": "not a list"}, headers=AGENTLENS)
    assert malformed.status_code == 400
    assert client.get("/api/nope", headers=AGENTLENS).status_code == 404
    assert client.delete("/api/sessions", headers=AGENTLENS).status_code == 405
    assert client.get("/api/sessions").status_code == 401
    # The API's own answers to well-formed requests are not the consumer's fault.
    assert client.get("/api/sessions/sess_unknown", headers=AGENTLENS).status_code == 404
    assert client.get("/api/sessions", headers=AGENTLENS).status_code == 200

    data = coverage(client)
    found = [(v["method"], v["path"], v["status"]) for v in data["violations"]]
    assert found == [
        ("POST", "/api/events", 400),
        ("GET", "/api/nope", 404),
        ("DELETE", "/api/sessions", 405),
        ("GET", "/api/sessions", 401),
    ]
    reasons = [v["reason"] for v in data["violations"]]
    assert "body" in reasons[0]
    assert reasons[1] == "No operation at GET /api/nope"
    assert reasons[2].startswith("DELETE is not allowed on /api/sessions")
    assert reasons[3] == "Missing or invalid credentials"
    assert data["unknown_routes"] == {"GET /api/nope": 1, "DELETE /api/sessions": 1}
    # The request as the journal keeps it: credentials redacted.
    sent = data["violations"][0]["request"]
    assert sent["headers"]["authorization"] != AGENTLENS["Authorization"]
    assert sent["headers"]["authorization"].endswith("…")


def test_a_stub_marked_violates_spec_is_not_the_consumers_fault(mock_client):
    client = mock_client("agentlens")
    stub = {
        "match": {"path": "/api/agents"},
        "response": {"status": 200, "body": []},
        "violates_spec": True,
    }
    added = client.post("/__mockgate/stubs", json=stub, headers=ADMIN_WRITE)
    assert added.status_code == 201, added.text
    assert client.get("/api/agents").status_code == 200
    data = coverage(client)
    assert data["violations"] == []
    # Still a route the backend never promised: counted, for the report to show.
    assert data["unknown_routes"] == {"GET /api/agents": 1}


@pytest.mark.parametrize(
    ("clear", "kept"),
    [
        pytest.param("/__mockgate/reset", 1, id="reset-keeps-it"),
        pytest.param("/__mockgate/coverage", 0, id="delete-clears-it"),
    ],
)
def test_coverage_outlives_a_reset_and_is_cleared_on_request(mock_client, clear, kept):
    client = mock_client("agentlens")
    assert client.get("/api/nope").status_code == 404
    if clear.endswith("reset"):
        assert client.post(clear, headers=ADMIN_WRITE).status_code == 204
    else:
        assert client.delete(clear, headers=ADMIN_WRITE).status_code == 204
    data = coverage(client)
    assert len(data["violations"]) == kept
    assert sum(data["unknown_routes"].values()) == kept
