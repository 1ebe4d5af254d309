"""Building blocks of the tests: the dev key, and records made through the API."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

KEY = "st_mockgate_dev_key"
AUTH = {"Authorization": f"Bearer {KEY}"}
DOC_SESSION = "550e8400-e29b-41d4-a716-446655440000"


def machine(client: TestClient, machine_id: str = "box-1", slots: list[int] | None = None) -> dict:
    """Register a machine (slots 1-4 unless given)."""
    body = {"machine_id": machine_id, "hostname": f"{machine_id}.local", "docker_slots": slots}
    body["docker_slots"] = [1, 2, 3, 4] if slots is None else slots
    response = client.post("/machines", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def session(client: TestClient, machine_id: str = "box-1", slot: int | None = None) -> dict:
    """Create a session of project 123 (on ``slot`` when given)."""
    body: dict[str, Any] = {"project_id": "123", "machine_id": machine_id}
    if slot is not None:
        body["docker_slot"] = slot
    response = client.post("/sessions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def task(client: TestClient, session_id: str, **extra: Any) -> dict:
    response = client.post("/tasks", json={"session_id": session_id, "project_id": "123", **extra})
    assert response.status_code == 201, response.text
    return response.json()
