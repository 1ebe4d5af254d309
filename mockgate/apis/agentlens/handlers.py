"""AgentLens handlers: read the store, apply ``sessions`` rules, shape the response.

Every operation first lets the sessions it touches catch up with the virtual clock (``growth``):
the demo's active sessions receive their planned events lazily, so no background task is needed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from mockgate.apis.agentlens import growth
from mockgate.apis.agentlens.hashchain import chained, verify
from mockgate.apis.agentlens.indexes import due_growth, list_page, newest_event_id
from mockgate.apis.agentlens.sessions import (
    IngestResult,
    complete_counters,
    ingest,
    lacks_counters,
    timeline_order,
)
from mockgate.apis.agentlens.ulid import UlidFactory
from mockgate.apis.context import MockContext
from mockgate.core.errors import MockError
from mockgate.core.timestamps import parse_timestamp

JsonReply = tuple[Any, int]


async def list_sessions(
    ctx: MockContext,
    agent_id: str | None = None,
    status: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    tags: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> JsonReply:
    _grow(ctx)
    result = list_page(
        ctx.store,
        agent_id=agent_id,
        statuses=_split(status),
        since=parse_timestamp(from_) if from_ else None,
        until=parse_timestamp(to) if to else None,
        tags=_split(tags),
        limit=limit,
        offset=offset,
    )
    result["sessions"] = [_complete(ctx, s) for s in result["sessions"]]
    return result, 200


async def get_session(ctx: MockContext, id_: str) -> JsonReply:
    _grow(ctx, [id_])
    session = ctx.store.get("sessions", id_)
    if session is None:
        return _not_found()
    return _complete(ctx, session), 200


async def get_session_timeline(ctx: MockContext, id_: str) -> JsonReply:
    _grow(ctx, [id_])
    if ctx.store.get("sessions", id_) is None:
        return _not_found()
    events = _timeline(ctx, id_)
    return {
        "events": events,
        "chainValid": verify(events),
        # Optional in the contract; the mock always sends it (it knows its timeline).
        "chained": chained(events),
    }, 200


async def ingest_events(ctx: MockContext, body: dict[str, Any]) -> JsonReply:
    wanted = list(dict.fromkeys(e["sessionId"] for e in body["events"]))
    _grow(ctx, wanted)
    timelines = {
        sid: record["events"]
        for sid in wanted
        if (record := ctx.store.get("timelines", sid)) is not None
    }
    sessions = {
        sid: complete_counters(session, timelines.get(sid, ()))
        for sid in wanted
        if (session := ctx.store.get("sessions", sid)) is not None
    }
    # Ids continue after the newest one stored, like the real server's process-wide monotonic
    # ULIDs: events ingested in the same millisecond (always, under a frozen clock) keep their
    # order, so the timeline's order stays the chain's. Seeded by it, so ingest is reproducible.
    last = newest_event_id(ctx.store)
    rng = random.Random(f"agentlens-ingest:{ctx.options.seed}:{last}")
    result = ingest(
        sessions,
        timelines,
        body["events"],
        now=ctx.clock.now(),
        id_factory=UlidFactory(rng, after=last),
    )
    _save(ctx, result)
    return result.body, 201


def _grow(ctx: MockContext, session_ids: Iterable[str] | None = None) -> None:
    """Let the growing sessions among ``session_ids`` (all when ``None``) catch up with now.

    A growing session's ``timelines`` record carries its bookmark under ``growth``; with
    ``session_ids`` None only the records an index says are due are looked at.
    """
    now = ctx.clock.now()
    if session_ids is None:
        records = due_growth(ctx.store, now)
    else:
        found = (ctx.store.get("timelines", sid) for sid in session_ids)
        records = [record for record in found if record is not None]
    for record in records:
        bookmark = record.get("growth")
        if bookmark is None or not growth.is_due(bookmark, now):
            continue
        sid = record["sessionId"]
        session = ctx.store.get("sessions", sid)
        events = timeline_order(record["events"])
        if session is None:  # Removed through the admin API: nothing left to grow.
            ctx.store.put("timelines", sid, {**record, "growth": {**bookmark, "nextAt": None}})
            continue
        session = complete_counters(session, events)
        result, bookmark = growth.catch_up(
            bookmark, session, events, seed=ctx.options.seed, now=now
        )
        if result is not None:
            ctx.store.put("sessions", sid, result.sessions[sid])
            events = result.timelines[sid]
        # Events and bookmark in one write, so they always agree.
        ctx.store.put("timelines", sid, {**record, "events": events, "growth": bookmark})


def _save(ctx: MockContext, result: IngestResult) -> None:
    for sid, session in result.sessions.items():
        ctx.store.put("sessions", sid, session)
    for sid, events in result.timelines.items():
        # Keep what else the record holds (a growing session's bookmark).
        record = ctx.store.get("timelines", sid) or {"sessionId": sid}
        ctx.store.put("timelines", sid, {**record, "events": events})


def _timeline(ctx: MockContext, session_id: str) -> list[dict[str, Any]]:
    record = ctx.store.get("timelines", session_id)
    return timeline_order(record["events"]) if record else []


def _complete(ctx: MockContext, session: dict[str, Any]) -> dict[str, Any]:
    """``session`` with every counter the SDK needs (derived from its timeline when missing)."""
    if not lacks_counters(session):
        return session
    return complete_counters(session, _timeline(ctx, session["id"]))


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _not_found() -> JsonReply:
    raise MockError(404, "Session not found")
