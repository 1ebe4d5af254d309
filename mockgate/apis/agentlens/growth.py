"""Live growth: active demo sessions keep receiving events while the virtual clock runs.

A dashboard polling the mock should see an active session make progress. Instead of a background
task, growth is a fixed schedule applied lazily. ``plan`` lists every event a session will receive
after its anchor (the moment the dataset was seeded); each step is drawn from a ``random.Random``
(and a reseeded ``Faker``) seeded by ``(seed, session id, step index)``. Before answering, the
handlers call ``catch_up``, which ingests (``sessions.ingest``: hash-linked, counters updated) the
planned events stamped at or before ``now``. A session's timeline at a given clock reading is
therefore the same whether a client polled every second or once, and the same in every mock with
that seed.

The schedule of a session: 6-30 steps like those of seeded sessions (a tool call and its result,
an LLM call with response and cost, an approval, an alert, a checkpoint), each starting 20-90 s of
virtual time after the previous event, then ``session_ended``. One session in five ends in error:
its last step is a failing tool call and ``session_ended`` has ``reason: "error"``. A session thus
receives at most 30 * 3 + 1 = 91 more events, over about 20 minutes of virtual time on average and
never more than 2.5 hours (30 steps, each starting at most 90 s after the event before it and
lasting at most 3 minutes, the longest wait for an approval).

The bookkeeping is a small record kept beside the session's events, under ``growth`` in its
internal ``timelines`` record (see ``start``), so events and bookmark change in one write and
travel together through snapshots, resets and ``PUT /__mockgate/state``. ``applied`` counts the
planned events already ingested and ``nextAt`` is the timestamp of the next one (``None`` once the
plan is done or the session ended some other way), so a request with nothing due costs one
comparison per growing session. Only sessions given a record grow: the demo dataset's active
sessions. Sessions a client ingests itself never do.
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker

from mockgate.apis.agentlens.dataset import Draft, ended, pick_step, step
from mockgate.apis.agentlens.sessions import IngestResult, ingest, timeline_order
from mockgate.apis.agentlens.ulid import encode
from mockgate.core.timestamps import format_timestamp, parse_timestamp, to_millis

__all__ = [
    "ERROR_RATE",
    "MAX_STEPS",
    "MIN_STEPS",
    "STEP_GAP_MS",
    "catch_up",
    "is_due",
    "plan",
    "start",
]

MIN_STEPS, MAX_STEPS = 6, 30
STEP_GAP_MS = (20_000, 90_000)
"""Virtual milliseconds between a step's first event and the event before it."""
ERROR_RATE = 0.2

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Faker takes ~15 ms to build, so one instance is shared; it holds no mock state (it is reseeded
# before every use), and the lock keeps two threads from reseeding it under each other.
_FAKER_LOCK = threading.Lock()


@functools.cache
def _faker() -> Faker:
    return Faker("en_US")


def start(
    session: Mapping[str, Any],
    timeline: Sequence[Mapping[str, Any]],
    *,
    seed: int,
    seeded_at: datetime,
) -> dict[str, Any]:
    """The growth record that makes ``session`` (with its ``timeline``) grow from now on.

    The schedule is anchored at ``seeded_at`` or the session's last event, whichever is later, so
    nothing is due while the clock has not moved past the moment the dataset describes. The
    record also fixes what the closing ``session_ended`` summarises (the tool calls so far, the
    start) and the metadata the new events carry (the last event's), so the plan depends on the
    record and the seed alone.
    """
    ordered = timeline_order(timeline)
    last = parse_timestamp(ordered[-1]["timestamp"]) if ordered else seeded_at
    anchor = format_timestamp(max(last, seeded_at))
    record: dict[str, Any] = {
        "sessionId": session["id"],
        "agentId": session["agentId"],
        "startedAt": session["startedAt"],
        "anchor": anchor,
        "toolCalls": sum(e.get("eventType") == "tool_call" for e in ordered),
        "metadata": dict(ordered[-1]["metadata"]) if ordered else {},
        "applied": 0,
    }
    record["nextAt"] = _next_at(plan(record, seed), 0)
    return record


def plan(record: Mapping[str, Any], seed: int) -> list[dict[str, Any]]:
    """Every event the session of ``record`` receives, in order, as ingest-ready ``IngestEvent``s
    with their ``timestamp`` and the ``id`` to give them (a ULID of that moment).

    Pure: the same record and seed always give the same list (fresh dicts each call).
    """
    sid = record["sessionId"]
    plan_rng = random.Random(f"agentlens-growth:{seed}:{sid}")
    steps = plan_rng.randint(MIN_STEPS, MAX_STEPS)
    fails = plan_rng.random() < ERROR_RATE
    at = to_millis(parse_timestamp(record["anchor"]))
    events: list[dict[str, Any]] = []
    with _FAKER_LOCK:
        fake = _faker()
        for index in range(steps):
            rng = random.Random(f"agentlens-growth:{seed}:{sid}:{index}")
            fake.seed_instance(rng.getrandbits(64))
            last_fails = fails and index == steps - 1
            kind = "tool" if last_fails else pick_step(rng)
            at += rng.randint(*STEP_GAP_MS)
            for position, draft in enumerate(step(rng, fake, kind, fails=last_fails)):
                at += draft[3] if position else 0
                events.append(_event(record, draft, at, rng))
        rng = random.Random(f"agentlens-growth:{seed}:{sid}:end")
        fake.seed_instance(rng.getrandbits(64))
        tool_calls = record["toolCalls"] + sum(e["eventType"] == "tool_call" for e in events)
        elapsed = at - to_millis(parse_timestamp(record["startedAt"]))
        draft = ended(
            rng,
            fake,
            status="error" if fails else "completed",
            tool_calls=tool_calls,
            elapsed_ms=elapsed,
        )
        events.append(_event(record, draft, at + draft[3], rng))
    return events


def is_due(record: Mapping[str, Any], now: datetime) -> bool:
    """Whether an event of ``record``'s plan is stamped at or before ``now``."""
    next_at = record.get("nextAt")
    return next_at is not None and parse_timestamp(next_at) <= now


def catch_up(
    record: Mapping[str, Any],
    session: Mapping[str, Any],
    timeline: Sequence[Mapping[str, Any]],
    *,
    seed: int,
    now: datetime,
) -> tuple[IngestResult | None, dict[str, Any]]:
    """Ingest the planned events due by ``now`` that the session has not received yet.

    Returns the ingest (``None`` when nothing was due) and the updated record. A session that is
    no longer ``active`` (a client ended it) stops growing: its record gets ``nextAt: None``.
    Nothing here mutates its arguments.
    """
    if not is_due(record, now):
        return None, dict(record)
    if session.get("status") != "active":
        return None, {**record, "nextAt": None}
    planned = plan(record, seed)
    applied = record["applied"]
    due = []
    for event in planned[applied:]:
        if parse_timestamp(event["timestamp"]) > now:
            break
        due.append(event)
    applied += len(due)
    updated = {**record, "applied": applied, "nextAt": _next_at(planned, applied)}
    if not due:
        return None, updated
    ids = iter([e["id"] for e in due])
    result = ingest(
        {session["id"]: session},
        {session["id"]: timeline},
        due,
        now=now,
        id_factory=lambda _now: next(ids),
    )
    return result, updated


def _next_at(planned: Sequence[Mapping[str, Any]], applied: int) -> str | None:
    return planned[applied]["timestamp"] if applied < len(planned) else None


def _event(
    record: Mapping[str, Any], draft: Draft, millis: int, rng: random.Random
) -> dict[str, Any]:
    kind, severity, payload, _ = draft
    return {
        "id": encode(millis, rng.getrandbits(79)),
        "timestamp": format_timestamp(_EPOCH + timedelta(milliseconds=millis)),
        "sessionId": record["sessionId"],
        "agentId": record["agentId"],
        "eventType": kind,
        "severity": severity,
        "payload": payload,
        "metadata": dict(record["metadata"]),
    }
