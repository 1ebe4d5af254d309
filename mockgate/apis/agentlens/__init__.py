"""The AgentLens mock: sessions with hash-chained timelines, bearer ``als_`` keys."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any, ClassVar

from mockgate.apis.agentlens import growth, handlers
from mockgate.apis.agentlens.dataset import docs_dataset, generate
from mockgate.apis.base import MockApi
from mockgate.core.errors import ApiError, RequestInfo
from mockgate.core.store import Snapshot

__all__ = ["API", "AgentLens"]


class AgentLens(MockApi):
    name = "agentlens"
    handlers = handlers
    record_schemas: ClassVar[dict[str, str]] = {"sessions": "Session"}
    # timelines: {sessionId, events} per session, plus the growth bookmark of a growing one.
    internal_collections: ClassVar[tuple[str, ...]] = ("timelines",)

    def seed(self, dataset: str, seed: int, now: datetime) -> Snapshot:
        if dataset == "empty":
            return {"sessions": {}, "timelines": {}}
        if dataset == "docs":
            return _snapshot(docs_dataset(), seed=seed, now=now)
        # A fresh copy each time: the caller owns what it gets.
        snapshot: Snapshot = json.loads(_demo_json(seed, now))
        return snapshot

    def default_keys(self) -> tuple[str, ...]:
        return ("als_mockgate_dev_key",)

    def error_body(self, error: ApiError, request: RequestInfo) -> dict[str, Any]:
        body: dict[str, Any] = {"error": error.message, "status": error.status}
        if error.details:
            # The real server reports zod paths: `limit`, `events.0.eventType` (no location).
            body["details"] = [
                {"path": _zod_path(d.path), "message": d.message} for d in error.details
            ]
        return body

    def credentials_help(self, ctx: Any) -> list[str]:
        return [f"Authorization: Bearer {key}" for key in ctx.api_keys]


@functools.lru_cache(maxsize=4)
def _demo_json(seed: int, now: datetime) -> str:
    """The demo snapshot for ``(seed, now)``, as JSON.

    Generating and hashing it takes ~0.25 s, and mocks are rebuilt with the same seed and start
    time again and again (tests, a frozen or ``--start`` clock), so the (pure) result is kept.
    JSON rather than the objects, so each mock decodes its own copy (faster than ``deepcopy``).
    """
    return json.dumps(_snapshot(generate(seed, now), seed=seed, now=now), ensure_ascii=False)


def _snapshot(data: dict[str, Any], *, seed: int, now: datetime) -> Snapshot:
    """The store's collections for a dataset's sessions and events."""
    timelines: dict[str, dict[str, Any]] = {}
    for session in data["sessions"]:
        sid = session["id"]
        timelines[sid] = {"sessionId": sid, "events": data["events"][sid]}
        if session["status"] == "active":
            # It keeps receiving events as the clock runs (see growth).
            events = data["events"][sid]
            timelines[sid]["growth"] = growth.start(session, events, seed=seed, seeded_at=now)
    return {"sessions": {s["id"]: s for s in data["sessions"]}, "timelines": timelines}


def _zod_path(path: str) -> str:
    location, _, rest = path.partition(".")
    return rest if location in ("body", "query", "path", "header", "cookie") else path


API = AgentLens()
