"""AgentLens session rules on plain dicts: ordering, counters, filters, paging and event ingest.

Sessions and events are the JSON objects the API returns (``Session`` and ``TimelineEvent`` in
``specs/agentlens.yaml``). Nothing here mutates its arguments: functions return new lists and
dicts, so a store can apply an ingest atomically (all of it or, on an exception, none).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockgate.apis.agentlens.hashchain import link
from mockgate.core.timestamps import format_timestamp, parse_timestamp

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "IdFactory",
    "IngestResult",
    "clamp_limit",
    "clamp_offset",
    "complete_counters",
    "filter_sessions",
    "ingest",
    "lacks_counters",
    "page",
    "page_of",
    "session_counters",
    "timeline_order",
]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

IdFactory = Callable[[datetime], str]
"""Mints an event id at a given moment (see ``ulid.UlidFactory``)."""

# Session keys in the order the API writes them; keys outside this list go after, as found.
_SESSION_KEYS = (
    "id",
    "agentId",
    "agentName",
    "startedAt",
    "endedAt",
    "status",
    "eventCount",
    "toolCallCount",
    "errorCount",
    "totalCostUsd",
    "tags",
    "llmCallCount",
    "totalInputTokens",
    "totalOutputTokens",
)
# Optional in the contract (the document's example lacks them) but required by the official
# Python SDK, so the mock always sends them (see ``complete_counters``).
_SDK_COUNTERS = ("llmCallCount", "totalInputTokens", "totalOutputTokens")
_ERROR_SEVERITIES = frozenset({"error", "critical"})
_COST_DECIMALS = 6


def timeline_order(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``events`` ascending by ``(timestamp, id)``, the timeline's (and the chain's) order.

    Timestamps compare as instants, so ``...T10:00:00Z`` and ``...T10:00:00.000Z`` tie and the
    id decides; ULIDs minted in order keep same-millisecond events in the order they came.
    """
    return sorted((dict(e) for e in events), key=_event_key)


def session_counters(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The session aggregates derived from its events.

    - ``eventCount``: every event.
    - ``toolCallCount``: ``tool_call`` events.
    - ``errorCount``: events with severity ``error`` or ``critical``, or of type ``tool_error``
      (whatever their severity), each counted once: the real server's ``isError`` rule.
    - ``llmCallCount``: ``llm_call`` events (the real server counts ``llm_response`` events;
      calls and responses come in pairs, so the two agree once a call is answered).
    - ``totalInputTokens`` / ``totalOutputTokens``: token counts of ``llm_response`` events, read
      from ``payload.usage.inputTokens`` (the real ``llm_response`` payload schema) or, failing
      that, from ``payload.inputTokens`` (and likewise for output tokens).
    - ``totalCostUsd``: ``payload.costUsd`` summed over ``cost_tracked`` events only, rounded to 6
      decimals. ``llm_response`` also carries ``costUsd``; counting both would count the same
      spend twice whenever a client sends the pair, so the explicit cost event is the one source.

    Amounts that are not finite, non-negative numbers count as 0 (the real server coerces with
    ``Number(x) || 0``; the contract gives every total ``minimum: 0``).
    """
    counts = {"event": 0, "tool": 0, "error": 0, "llm": 0, "input": 0, "output": 0}
    cost = 0.0
    for event in events:
        kind = event.get("eventType")
        payload = event.get("payload")
        payload = payload if isinstance(payload, Mapping) else {}
        counts["event"] += 1
        counts["tool"] += kind == "tool_call"
        counts["llm"] += kind == "llm_call"
        counts["error"] += event.get("severity") in _ERROR_SEVERITIES or kind == "tool_error"
        if kind == "llm_response":
            usage = payload.get("usage")
            usage = usage if isinstance(usage, Mapping) else payload
            counts["input"] += int(_amount(usage.get("inputTokens")))
            counts["output"] += int(_amount(usage.get("outputTokens")))
        elif kind == "cost_tracked":
            cost += _amount(payload.get("costUsd"))
    return {
        "eventCount": counts["event"],
        "toolCallCount": counts["tool"],
        "errorCount": counts["error"],
        "totalCostUsd": round(cost, _COST_DECIMALS),
        "llmCallCount": counts["llm"],
        "totalInputTokens": counts["input"],
        "totalOutputTokens": counts["output"],
    }


def lacks_counters(session: Mapping[str, Any]) -> bool:
    """Whether ``session`` misses a counter ``complete_counters`` would add."""
    return any(key not in session for key in _SDK_COUNTERS)


def complete_counters(
    session: Mapping[str, Any], events: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """``session`` with ``llmCallCount``, ``totalInputTokens`` and ``totalOutputTokens`` present.

    The contract leaves them optional (the document's example lacks them), but the official
    Python SDK (``agentlensai``) fails to parse a session without them, so the mock always sends
    them. A missing one is derived from ``events`` (the session's stored timeline) with
    ``session_counters``; present ones are kept as they are, like every other field.
    """
    if not lacks_counters(session):
        return dict(session)
    derived = session_counters(events)
    missing = {key: derived[key] for key in _SDK_COUNTERS if key not in session}
    return _canonical({**session, **missing})


def clamp_limit(raw: int | None) -> int:
    """The page size the real server uses for ``limit=raw``: missing or 0 → 50, < 0 → 1, ≤ 500."""
    if not raw:
        return DEFAULT_LIMIT
    return max(1, min(raw, MAX_LIMIT))


def clamp_offset(raw: int | None) -> int:
    """The offset the real server uses: missing or negative → 0."""
    return max(0, raw or 0)


def filter_sessions(
    sessions: Iterable[Mapping[str, Any]],
    *,
    agent_id: str | None = None,
    statuses: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    tags: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The sessions matching every given filter (AND), in their input order.

    - ``agent_id``: exact match.
    - ``statuses``: the session's status is one of them (unknown values match nothing).
    - ``since`` / ``until``: aware datetimes, inclusive bounds on ``startedAt``.
    - ``tags``: the session carries **any** of them. The document does not say any or all;
      "any" is what the spec's ``tags`` parameter promises for the mock.

    ``None`` or an empty list means "no filter", as the real server ignores ``?status=``.
    """
    wanted_statuses = frozenset(statuses or ())
    wanted_tags = frozenset(tags or ())
    kept = []
    for session in sessions:
        if agent_id is not None and session.get("agentId") != agent_id:
            continue
        if wanted_statuses and session.get("status") not in wanted_statuses:
            continue
        if since is not None or until is not None:
            started = parse_timestamp(session["startedAt"])
            if (since is not None and started < since) or (until is not None and started > until):
                continue
        if wanted_tags and wanted_tags.isdisjoint(session.get("tags") or ()):
            continue
        kept.append(dict(session))
    return kept


def page(
    sessions: Iterable[Mapping[str, Any]], limit: int | None = None, offset: int | None = None
) -> dict[str, Any]:
    """One ``SessionList`` page: newest ``startedAt`` first (ties: id descending).

    ``limit`` and ``offset`` are clamped here (``clamp_limit``, ``clamp_offset``), so callers pass
    the raw query values; clamping is idempotent, so already-clamped values are fine too.
    ``hasMore`` is the real server's ``offset + len(sessions) < total``.
    """
    ordered = sorted(
        (dict(s) for s in sessions),
        key=lambda s: (parse_timestamp(s["startedAt"]), s["id"]),
        reverse=True,
    )
    return page_of(ordered, limit, offset)


def page_of(
    ordered: Sequence[Mapping[str, Any]], limit: int | None = None, offset: int | None = None
) -> dict[str, Any]:
    """``page`` of sessions already in its order (a list, or an index's lazy selection: only
    the page is read, and ``len`` gives the total)."""
    size, start = clamp_limit(limit), clamp_offset(offset)
    chosen = [dict(s) for s in ordered[start : start + size]]
    total = len(ordered)
    return {"sessions": chosen, "total": total, "hasMore": start + len(chosen) < total}


@dataclass(frozen=True)
class IngestResult:
    """What an ingest produced: the 201 body, plus the new state of every session it touched.

    ``sessions`` and ``timelines`` hold only the touched sessions (complete, in timeline order);
    a store applies the ingest by updating its own mappings with them.
    """

    body: dict[str, Any]
    sessions: dict[str, dict[str, Any]]
    timelines: dict[str, list[dict[str, Any]]]


def ingest(
    existing_sessions: Mapping[str, Mapping[str, Any]],
    existing_events: Mapping[str, Sequence[Mapping[str, Any]]],
    new_events: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    id_factory: IdFactory,
) -> IngestResult:
    """Store a batch of ``IngestEvent``s (already validated against the spec) as the server does.

    For each event, in request order: an id from ``id_factory(now)``, its ``timestamp`` or ``now``
    (``...sssZ``), ``severity`` ``info`` and ``metadata`` ``{}`` by default, and a copy of its
    payload (unknown top-level fields are dropped, as the real server's schema strips them).
    Each session's new events are chained in request order onto the hash of the session's last
    stored event in timeline order (the real server's ``getLastEventHash``). A client that
    back-dates an event below the session's last timestamp thus gets a timeline whose order
    differs from its chain, and ``chainValid: false``, exactly as from the real server.

    Sessions: the first event of an unknown session creates it (``startedAt`` its earliest
    timestamp, ``agentId`` from that event, no name, no tags, no ``endedAt``); ``session_started``
    sets ``agentName`` (when given), ``tags`` (when non-empty) and status ``active``, and drops
    ``endedAt``; ``session_ended`` sets ``endedAt`` and status ``error`` when
    ``payload.reason == "error"`` (the real server's rule; ``reason`` is what its
    ``session_ended`` payload schema requires), ``completed`` otherwise. Counters grow by the new
    events' ``session_counters`` rather than being recounted from the stored timeline, so a
    seeded session whose totals cover events the mock does not hold (the document's 47-event
    session shows 2) keeps them, as on the real server.
    """
    stamp = format_timestamp(now)
    built: dict[str, list[dict[str, Any]]] = {}
    placement: list[tuple[str, int]] = []  # (session id, index among its new events)
    for raw in new_events:
        event = {
            "id": id_factory(now),
            "timestamp": raw.get("timestamp") or stamp,
            "sessionId": raw["sessionId"],
            "agentId": raw["agentId"],
            "eventType": raw["eventType"],
            "severity": raw.get("severity") or "info",
            # Deep copies: later edits to the request must not rewrite hashed history.
            "payload": copy.deepcopy(dict(raw["payload"])),
            "metadata": copy.deepcopy(dict(raw.get("metadata") or {})),
        }
        bucket = built.setdefault(event["sessionId"], [])
        placement.append((event["sessionId"], len(bucket)))
        bucket.append(event)

    sessions: dict[str, dict[str, Any]] = {}
    timelines: dict[str, list[dict[str, Any]]] = {}
    linked_by_session: dict[str, list[dict[str, Any]]] = {}
    for session_id, fresh in built.items():
        stored = timeline_order(existing_events.get(session_id, ()))
        linked = link(fresh, stored[-1]["hash"] if stored else None)
        linked_by_session[session_id] = linked
        timelines[session_id] = timeline_order([*stored, *linked])
        sessions[session_id] = _advance(
            existing_sessions.get(session_id), linked, first=timelines[session_id][0]
        )

    minted = [linked_by_session[sid][i] for sid, i in placement]
    body = {"ingested": len(minted), "events": [{"id": e["id"], "hash": e["hash"]} for e in minted]}
    return IngestResult(body=body, sessions=sessions, timelines=timelines)


def _advance(
    existing: Mapping[str, Any] | None, new: list[dict[str, Any]], *, first: Mapping[str, Any]
) -> dict[str, Any]:
    """The session after ``new`` events (request order); ``first`` is its earliest event."""
    if existing is None:
        session: dict[str, Any] = {
            "id": first["sessionId"],
            "agentId": new[0]["agentId"],
            "startedAt": first["timestamp"],
            "status": "active",
            "tags": [],
        }
    else:
        session = copy.deepcopy(dict(existing))
        if parse_timestamp(first["timestamp"]) < parse_timestamp(session["startedAt"]):
            session["startedAt"] = first["timestamp"]

    for event in new:
        payload = event["payload"]
        if event["eventType"] == "session_started":
            if isinstance(payload.get("agentName"), str):
                session["agentName"] = payload["agentName"]
            tags = payload.get("tags")
            if isinstance(tags, list) and tags:
                # The real server rejects non-string tags with a 400; never store them.
                session["tags"] = [tag for tag in tags if isinstance(tag, str)]
            session["status"] = "active"
            # An active session has no endedAt key, as on the real server (which, unlike the
            # mock, leaves a restarted session's old endedAt behind).
            session.pop("endedAt", None)
        elif event["eventType"] == "session_ended":
            session["endedAt"] = event["timestamp"]
            session["status"] = "error" if payload.get("reason") == "error" else "completed"

    for key, value in session_counters(new).items():
        session[key] = session.get(key, 0) + value
    session["totalCostUsd"] = round(session["totalCostUsd"], _COST_DECIMALS)
    return _canonical(session)


def _canonical(session: Mapping[str, Any]) -> dict[str, Any]:
    ordered = {key: session[key] for key in _SESSION_KEYS if key in session}
    ordered.update((key, value) for key, value in session.items() if key not in ordered)
    return ordered


def _event_key(event: Mapping[str, Any]) -> tuple[datetime, str]:
    return parse_timestamp(event["timestamp"]), event["id"]


def _amount(value: Any) -> float:
    # bool is an int in Python, but true is not an amount.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    try:
        amount = float(value)
    except OverflowError:  # An int beyond any double: no real amount, so none at all.
        return 0.0
    return amount if math.isfinite(amount) and amount >= 0 else 0.0
