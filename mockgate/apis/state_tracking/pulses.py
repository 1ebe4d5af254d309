"""Simulated heartbeats: the demo's running clients keep sending them as the clock runs.

Without them every demo session would stall, and every demo machine go offline, five minutes
after the mock starts, and a dashboard (or the document's workflow 4, which takes the first
available machine) would find nothing alive. A *pulse* (internal ``pulses`` collection, keyed
``<kind>:<id>``) says "this machine or session heartbeats every ``every_seconds`` since
``since``"; it is applied lazily (``tracker``), like the stall and offline rules: the record's
``last_heartbeat`` becomes the latest beat at or before now.

A pulse only lasts while its record is alive on its own: a session while ``active`` or
``paused``, a machine while ``online``. Anything else (marked failed, completed, set to stalled,
archived, purged...) ends the simulated client for good, so what a client does to a demo record
is never undone by the simulation. The demo's other sessions and machines have no pulse: some
are already stalled or offline, and one of each goes silent a little after start, to show the
stall and offline rules happening.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from mockgate.core.timestamps import format_timestamp, parse_timestamp

__all__ = ["ALIVE", "DEFAULT_EVERY", "apply", "key", "last_beat", "pulse"]

DEFAULT_EVERY = 60
"""Seconds between simulated heartbeats: the document's advice ("~1 per minute")."""

ALIVE = {"session": frozenset({"active", "paused"}), "machine": frozenset({"online"})}
"""The statuses in which a pulse keeps beating, by kind."""


def pulse(kind: str, record_id: str, since: datetime, every: int = DEFAULT_EVERY) -> dict[str, Any]:
    """A pulse record for the machine or session ``record_id``."""
    return {"kind": kind, "id": record_id, "every_seconds": every, "since": format_timestamp(since)}


def key(kind: str, record_id: str) -> str:
    """The store key of a pulse."""
    return f"{kind}:{record_id}"


def last_beat(record: Mapping[str, Any], now: datetime) -> datetime | None:
    """The latest beat of the pulse at or before ``now`` (None before it started)."""
    since = parse_timestamp(record["since"])
    if now < since:
        return None
    every = timedelta(seconds=max(1, int(record["every_seconds"])))
    return since + ((now - since) // every) * every


def apply(target: dict[str, Any], record: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """``target`` (a session or machine) with its ``last_heartbeat`` (and ``updated_at``: a
    heartbeat is a change) moved to the pulse's latest beat, when that is later; the same object
    when nothing changes."""
    beat = last_beat(record, now)
    if beat is None or beat <= parse_timestamp(target["last_heartbeat"]):
        return target
    stamp = format_timestamp(beat)
    updated = target.get("updated_at")
    if updated is not None and parse_timestamp(updated) > beat:
        return {**target, "last_heartbeat": stamp}
    return {**target, "last_heartbeat": stamp, "updated_at": stamp}
