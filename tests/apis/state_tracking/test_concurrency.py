"""Concurrent requests for the same docker slot: exactly one wins.

The requests go through one ASGI app at once (``httpx.AsyncClient`` over ``ASGITransport``,
``asyncio.gather``), so they interleave wherever the request pipeline awaits; the mock's
check-and-set of a slot has no await in between, so no two of them can both see it free.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from tests.apis.state_tracking.factory import AUTH, machine, session


def race(app: Any, requests: list[tuple[str, str, dict]]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://localhost", headers=AUTH
        ) as client:
            return await asyncio.gather(
                *(client.request(method, path, json=body) for method, path, body in requests)
            )

    return asyncio.run(run())


def test_exactly_one_concurrent_assignment_wins(tracking):
    client = tracking("empty")
    machine(client, "box-1", [1, 2])
    contenders = [session(client)["session_id"] for _ in range(12)]
    body = [
        ("POST", "/machines/box-1/assign-session", {"session_id": sid, "docker_slot": 1})
        for sid in contenders
    ]
    answers = race(client.app, body)
    assert Counter(r.status_code for r in answers) == {200: 1, 409: 11}
    (winner,) = [sid for sid, r in zip(contenders, answers, strict=True) if r.status_code == 200]
    slots = client.get("/machines").json()[0]["assigned_sessions"]
    assert slots == {"1": winner, "2": None}
    placed = {s["session_id"]: s["docker_slot"] for s in client.get("/sessions").json()}
    assert placed == {sid: (1 if sid == winner else None) for sid in contenders}


def test_exactly_one_concurrent_session_gets_the_slot(tracking):
    client = tracking("empty")
    machine(client, "box-1", [1])
    body = {"project_id": "123", "machine_id": "box-1", "docker_slot": 1}
    answers = race(client.app, [("POST", "/sessions", body)] * 10)
    assert Counter(r.status_code for r in answers) == {201: 1, 409: 9}
    created = client.get("/sessions").json()
    assert len(created) == 1
    assert client.get("/machines").json()[0]["assigned_sessions"] == {"1": created[0]["session_id"]}


def test_concurrent_creations_get_distinct_ids(tracking):
    client = tracking("empty")
    machine(client, "box-1")
    answers = race(
        client.app, [("POST", "/sessions", {"project_id": "123", "machine_id": "box-1"})] * 20
    )
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["session_id"] for r in answers}) == 20
