"""AgentLens handlers: read the store, apply ``sessions`` rules, shape the response."""

from __future__ import annotations

import random
from typing import Any

from mockserver.apis.agentlens.hashchain import verify
from mockserver.apis.agentlens.sessions import filter_sessions, ingest, page, timeline_order
from mockserver.apis.agentlens.ulid import UlidFactory
from mockserver.context import MockContext
from mockserver.errors import MockError
from mockserver.timestamps import parse_timestamp

Reply = tuple[Any, int]


async def list_sessions(
    ctx: MockContext,
    agent_id: str | None = None,
    status: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    tags: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Reply:
    matching = filter_sessions(
        ctx.store.values("sessions"),
        agent_id=agent_id,
        statuses=_split(status),
        since=parse_timestamp(from_) if from_ else None,
        until=parse_timestamp(to) if to else None,
        tags=_split(tags),
    )
    return page(matching, limit, offset), 200


async def get_session(ctx: MockContext, id_: str) -> Reply:
    session = ctx.store.get("sessions", id_)
    if session is None:
        return _not_found()
    return session, 200


async def get_session_timeline(ctx: MockContext, id_: str) -> Reply:
    if ctx.store.get("sessions", id_) is None:
        return _not_found()
    timeline = ctx.store.get("timelines", id_)
    events = timeline_order(timeline["events"]) if timeline else []
    return {
        "events": events,
        "chainValid": verify(events),
        # The real server's flag: false when no event carries a link (e.g. OTLP telemetry).
        "chained": any(e.get("prevHash") for e in events),
    }, 200


async def ingest_events(ctx: MockContext, body: dict[str, Any]) -> Reply:
    sessions = {s["id"]: s for s in ctx.store.values("sessions")}
    wanted = {e["sessionId"] for e in body["events"]}
    timelines = {
        sid: record["events"]
        for sid in wanted
        if (record := ctx.store.get("timelines", sid)) is not None
    }
    result = ingest(
        sessions,
        timelines,
        body["events"],
        now=ctx.clock.now(),
        id_factory=UlidFactory(random.Random()),
    )
    for sid, session in result.sessions.items():
        ctx.store.put("sessions", sid, session)
    for sid, events in result.timelines.items():
        ctx.store.put("timelines", sid, {"sessionId": sid, "events": events})
    return result.body, 201


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _not_found() -> Reply:
    raise MockError(404, "Session not found")
