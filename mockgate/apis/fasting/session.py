"""A fasting session as the mock stores it and as the API shows it.

The store keeps one flat record per session (``StoredSession``): the spec's ``Session`` fields
plus the internal ``userId`` that scopes it, and ``endedAt`` is ``None`` while the fast is active.
The API shows only the spec's fields (``public``), the way Prisma's ``select`` would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

__all__ = [
    "SESSION_FIELDS",
    "Session",
    "StoredSession",
    "public",
]

# The spec's `Session.required`, in its order: the exact keys of every session the API returns.
SESSION_FIELDS = ("id", "startedAt", "endedAt", "goalMinutes", "notes")


class Session(TypedDict):
    """A completed session as the API returns it (the spec's ``Session`` schema)."""

    id: str
    startedAt: str
    endedAt: str
    goalMinutes: int | None
    notes: str | None


class StoredSession(TypedDict):
    """A session as the store holds it: ``userId`` is internal, ``endedAt`` is None while active."""

    id: str
    userId: str
    startedAt: str
    endedAt: str | None
    goalMinutes: int | None
    notes: str | None


def public(stored: Mapping[str, Any]) -> Session:
    """The API's view of a completed session: exactly ``SESSION_FIELDS``, nothing internal."""
    if stored["endedAt"] is None:
        # Only completed fasts are ever shown; an active one here is a bug in the caller.
        raise ValueError(f"session {stored['id']!r} is still active")
    return Session(
        id=stored["id"],
        startedAt=stored["startedAt"],
        endedAt=stored["endedAt"],
        goalMinutes=stored["goalMinutes"],
        notes=stored["notes"],
    )
