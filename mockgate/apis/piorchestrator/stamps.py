"""Timestamps as PiOrchestrator (a Go server) writes them: RFC 3339 in UTC, whole seconds.

The documents show ``2026-02-20T10:00:05Z``, and the object-store key embeds the same second
(``..._20260220T100005_...``). Stored records keep these strings; because every one has the
same width and zone, comparing two of them as strings orders them in time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mockgate.core.timestamps import parse_timestamp

__all__ = ["compact", "parse", "seconds_between", "shift", "stamp"]


def stamp(moment: datetime) -> str:
    """``moment`` as ``2026-02-20T10:00:05Z`` (UTC, truncated to the second)."""
    # isoformat, not strftime: the same text, several times faster (every answer has a stamp).
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def parse(text: str) -> datetime:
    """A stored or documented timestamp as an aware UTC datetime."""
    return parse_timestamp(text)


def shift(text: str, seconds: float) -> str:
    """The stamp ``seconds`` after the stamp ``text``."""
    return stamp(parse(text) + timedelta(seconds=seconds))


def compact(text: str) -> str:
    """``20260220T100005``: the form the object-store key embeds."""
    return parse(text).strftime("%Y%m%dT%H%M%S")


def seconds_between(earlier: str | datetime, later: str | datetime) -> int:
    """Whole seconds from ``earlier`` to ``later`` (negative when ``later`` is earlier)."""
    start = parse(earlier) if isinstance(earlier, str) else earlier
    end = parse(later) if isinstance(later, str) else later
    return int((end - start).total_seconds() // 1)
