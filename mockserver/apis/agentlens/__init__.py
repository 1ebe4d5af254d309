"""The AgentLens mock: sessions with hash-chained timelines, bearer ``als_`` keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from mockserver.apis.agentlens import growth, handlers
from mockserver.apis.agentlens.dataset import docs_dataset, generate
from mockserver.errors import ApiError
from mockserver.plugin import MockApi, RequestInfo
from mockserver.store import Snapshot

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
        data = docs_dataset() if dataset == "docs" else generate(seed, now)
        timelines: dict[str, dict[str, Any]] = {}
        for session in data["sessions"]:
            sid = session["id"]
            timelines[sid] = {"sessionId": sid, "events": data["events"][sid]}
            if session["status"] == "active":
                # It keeps receiving events as the clock runs (see growth).
                events = data["events"][sid]
                timelines[sid]["growth"] = growth.start(session, events, seed=seed, seeded_at=now)
        return {"sessions": {s["id"]: s for s in data["sessions"]}, "timelines": timelines}

    def default_keys(self) -> tuple[str, ...]:
        return ("als_mockgate_dev_key",)

    def error_body(self, error: ApiError, request: RequestInfo) -> dict[str, Any]:
        body: dict[str, Any] = {"error": error.message, "status": error.status}
        if error.details:
            body["details"] = [{"path": d.path, "message": d.message} for d in error.details]
        return body

    def credentials_help(self, ctx: Any) -> list[str]:
        return [f"Authorization: Bearer {key}" for key in ctx.api_keys]


API = AgentLens()
