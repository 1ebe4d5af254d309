"""Many AgentLens sessions for the scale benchmark, sent through the API's own ingest.

``PUT /__mockgate/state`` would take the whole state in one body, but a mock refuses bodies over
``MAX_BODY_BYTES`` (10 MB) and 100,000 sessions are ~40 MB; ``POST /api/events`` takes 1,000
events a request, and the mock applies its own rules to them (counters, status, hash chains),
so every record is valid by construction and has its timeline, as real data would.

Session ``n`` is ``sess_bench_<n>`` of one of a few agents, started ``n`` minutes before
``start``; statuses cycle completed, completed, completed, error, active (an active one has no
``session_ended``), so a status filter keeps a realistic share of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from mockgate.core.timestamps import format_timestamp

__all__ = ["MAX_EVENTS", "ingest_batches", "session_events"]

MAX_EVENTS = 1000  # the spec's maxItems of POST /api/events
_STATUSES = ("completed", "completed", "completed", "error", "active")
_AGENTS = ("bench-support", "bench-triage", "bench-billing", "bench-qa")
_TAGS = (["production"], ["staging"], ["production", "eu"], [])


def session_events(number: int, start: datetime) -> list[dict[str, Any]]:
    """The events of bench session ``number``: started, and ended unless it stays active."""
    sid = f"sess_bench_{number:07d}"
    agent = _AGENTS[number % len(_AGENTS)]
    status = _STATUSES[number % len(_STATUSES)]
    began = start - timedelta(minutes=number)
    events = [
        {
            "sessionId": sid,
            "agentId": agent,
            "eventType": "session_started",
            "timestamp": format_timestamp(began),
            "payload": {"agentName": agent.title(), "tags": _TAGS[number % len(_TAGS)]},
        }
    ]
    if status != "active":
        events.append(
            {
                "sessionId": sid,
                "agentId": agent,
                "eventType": "session_ended",
                "severity": "error" if status == "error" else "info",
                "timestamp": format_timestamp(began + timedelta(seconds=30)),
                "payload": {"reason": status},
            }
        )
    return events


def ingest_batches(first: int, count: int, start: datetime) -> Iterator[dict[str, Any]]:
    """``POST /api/events`` bodies creating sessions ``first`` .. ``first + count - 1``, each
    body at most ``MAX_EVENTS`` events and a session's events never split between bodies."""
    batch: list[dict[str, Any]] = []
    for number in range(first, first + count):
        events = session_events(number, start)
        if len(batch) + len(events) > MAX_EVENTS:
            yield {"events": batch}
            batch = []
        batch += events
    if batch:
        yield {"events": batch}
