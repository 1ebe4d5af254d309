"""Timestamps as the documented APIs write them: ``2026-02-09T14:00:00.000Z``.

The real servers stamp records with JavaScript's ``Date.prototype.toISOString()``: UTC,
millisecond precision, a ``Z`` suffix. Stored timestamps are kept as the exact strings received
(AgentLens hashes them as stored); these helpers produce new ones and compare them as instants.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

__all__ = ["format_timestamp", "parse_timestamp", "to_millis"]


def format_timestamp(moment: datetime) -> str:
    """``moment`` as ``toISOString()`` would print it (UTC, milliseconds truncated, ``Z``)."""
    utc = _require_aware(moment).astimezone(UTC).replace(tzinfo=None)
    # isoformat truncates to milliseconds as toISOString does, several times faster than strftime.
    return utc.isoformat(timespec="milliseconds") + "Z"


@functools.lru_cache(maxsize=16384)
def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 date-time string (``Z`` or an offset) as an aware UTC datetime.

    Raises ``ValueError`` for strings without a UTC offset: an instant cannot be ordered
    against the others without one.

    Cached: lists and the staleness rules read the same stored stamps on every request, and
    datetimes are immutable. Only valid stamps are kept (a failure is not cached), and those
    are short, so the cache stays small.
    """
    return _require_aware(datetime.fromisoformat(text)).astimezone(UTC)


def to_millis(moment: datetime) -> int:
    """Milliseconds since the Unix epoch (what a ULID's time part holds), truncated."""
    delta = _require_aware(moment) - datetime(1970, 1, 1, tzinfo=UTC)
    return delta // timedelta(milliseconds=1)


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass an aware one (e.g. UTC)")
    return moment
