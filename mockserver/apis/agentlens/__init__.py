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
    # timelines: {sessionId, events} per session; growth: the bookmarks of growing sessions.
    internal_collections: ClassVar[tuple[str, ...]] = ("timelines", growth.COLLECTION)

    def seed(self, dataset: str, seed: int, now: datetime) -> Snapshot:
        if dataset == "empty":
            return {"sessions": {}, "timelines": {}, growth.COLLECTION: {}}
        data = docs_dataset() if dataset == "docs" else generate(seed, now)
        return {
            "sessions": {s["id"]: s for s in data["sessions"]},
            "timelines": {
                sid: {"sessionId": sid, "events": events} for sid, events in data["events"].items()
            },
            # The active sessions keep receiving events as the clock runs (see growth).
            growth.COLLECTION: {
                s["id"]: growth.start(s, data["events"][s["id"]], seed=seed, seeded_at=now)
                for s in data["sessions"]
                if s["status"] == "active"
            },
        }

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
