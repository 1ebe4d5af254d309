"""The per-session SHA-256 hash chain that makes AgentLens timelines tamper-evident.

Each event's ``hash`` covers its own fields and the previous event's ``hash`` (``prevHash``), so
editing, dropping or reordering any stored event breaks verification from that point on. The
algorithm is the real server's, ``HASH_VERSION`` 2 (``computeEventHash`` in ``@agentlensai/core``,
spelled out on ``TimelineEvent.hash`` in ``specs/agentlens.yaml``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mockgate.apis.agentlens.jsjson import stringify

__all__ = ["HASH_VERSION", "chained", "event_hash", "link", "verify"]

HASH_VERSION = 2

# The order of this tuple is part of the hash: JSON.stringify keeps insertion order.
_HASHED_FIELDS = (
    "id",
    "timestamp",
    "sessionId",
    "agentId",
    "eventType",
    "severity",
    "payload",
    "metadata",
)
_STORED_FIELDS = (*_HASHED_FIELDS, "prevHash", "hash")


def event_hash(event: Mapping[str, Any], prev_hash: str | None) -> str:
    """The hash of ``event`` when chained after an event whose hash is ``prev_hash``.

    ``event["prevHash"]`` is ignored in favour of ``prev_hash``, so a chain can be (re)built
    without first writing ``prevHash`` into each event. Every hashed field must be present:
    the real server never hashes an event with a field missing (JS would silently drop it).
    """
    canonical: dict[str, Any] = {"v": HASH_VERSION}
    for field in _HASHED_FIELDS:
        canonical[field] = event[field]
    canonical["prevHash"] = prev_hash
    return hashlib.sha256(stringify(canonical).encode("utf-8")).hexdigest()


def link(events: Iterable[Mapping[str, Any]], prev_hash: str | None = None) -> list[dict[str, Any]]:
    """Copies of ``events`` (already in timeline order) with ``prevHash`` and ``hash`` set.

    ``prev_hash`` is the hash of the event the first one follows: ``None`` to start a new chain,
    the session's last stored hash to extend one. The inputs are not modified.
    """
    linked = []
    for event in events:
        digest = event_hash(event, prev_hash)
        linked.append({**event, "prevHash": prev_hash, "hash": digest})
        prev_hash = digest
    return linked


def chained(events: Iterable[Mapping[str, Any]]) -> bool:
    """The real server's ``chained``: whether any event links to another (has a ``prevHash``).

    False when every ``prevHash`` is null: OTLP-ingested telemetry, a single event, or none.
    """
    return any(event.get("prevHash") is not None for event in events)


def verify(events: Sequence[Mapping[str, Any]]) -> bool:
    """Whether ``events`` (in timeline order) form an intact chain.

    True when the first ``prevHash`` is ``None``, every later ``prevHash`` equals the previous
    event's ``hash``, and every ``hash`` recomputes. An unchained timeline (see ``chained``) is
    verified as the real server verifies it, event by event: every ``hash`` recomputes with a
    null ``prevHash``. An empty timeline is valid; an event missing a hashed field cannot be
    verified, so it makes the chain invalid.
    """
    if not chained(events):
        return all(_stored(event) and event["hash"] == event_hash(event, None) for event in events)
    expected_prev: str | None = None
    for event in events:
        if not _stored(event):
            return False
        if event["prevHash"] != expected_prev:
            return False
        if event["hash"] != event_hash(event, expected_prev):
            return False
        expected_prev = event["hash"]
    return True


def _stored(event: Mapping[str, Any]) -> bool:
    """Whether ``event`` has every field of a stored event (so its hash can be verified)."""
    return all(field in event for field in _STORED_FIELDS)
