"""Requests to the in-process mocks through httpx (``ASGITransport``), from sync tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

from tests.reliability.replies import Reply

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine``, failing (not hanging) after 60 s."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout=60))


async def _send(app: Any, method: str, url: str, **kwargs: Any) -> Reply:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://localhost", timeout=30
    ) as client:
        return Reply.from_httpx(await client.request(method, url, **kwargs))


def send(app: Any, method: str, url: str, **kwargs: Any) -> Reply:
    """One request to ``app`` (``kwargs`` as for ``httpx.AsyncClient.request``)."""
    return run(_send(app, method, url, **kwargs))


def record_ids(app: Any, api: str, headers: dict[str, str]) -> dict[str, str]:
    """Ids of seeded records, keyed by the path segment before an id parameter."""

    def first(url: str) -> Any:
        reply = send(app, "GET", url, headers=headers)
        assert reply.status == 200, reply.describe()
        return json.loads(reply.body)

    if api == "agentlens":
        return {"sessions": first("/api/sessions?limit=1")["sessions"][0]["id"]}
    if api == "piorchestrator":
        return {"sessions": first("/api/v1/sessions?limit=1")["data"]["sessions"][0]["session_id"]}
    if api == "state-tracking":
        session = first("/sessions?limit=1")[0]
        return {
            "sessions": session["session_id"],
            "by-project": session["project_id"],
            "tasks": first("/tasks?limit=1")[0]["task_id"],
            "machines": first("/machines")[0]["machine_id"],
        }
    return {}
