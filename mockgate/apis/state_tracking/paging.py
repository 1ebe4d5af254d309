"""``limit``/``offset`` paging of ``GET /sessions`` and ``GET /tasks``.

The spec's ``x-mockgate-limit`` on the parameters: ``limit`` default 20, 1 to 100; ``offset``
default 0, at least 0. The mock answers 400 for values out of range (as NestJS'
``ValidationPipe`` does) instead of clamping them, except a ``GET /tasks`` ``limit`` above 100,
which the real server accepts and the mock clamps to 100 (``clamp_limit``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from mockgate.apis.state_tracking.rules import Invalid

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "clamp_limit", "page"]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

T = TypeVar("T")


def page(items: Sequence[T], limit: int | None, offset: int | None) -> list[T]:
    """``items[offset : offset + limit]``; ``Invalid`` (naming each bad value) when out of range."""
    size = DEFAULT_LIMIT if limit is None else limit
    start = 0 if offset is None else offset
    problems = []
    if not 1 <= size <= MAX_LIMIT:
        problems.append(("limit", f"must be between 1 and {MAX_LIMIT}, not {size}"))
    if start < 0:
        problems.append(("offset", f"must not be negative, not {start}"))
    if problems:
        raise Invalid("Validation failed", tuple(problems))
    return list(items[start : start + size])


def clamp_limit(limit: int | None) -> int | None:
    """``limit`` no larger than the maximum; a value below the minimum is left to ``page``."""
    return None if limit is None else min(limit, MAX_LIMIT)
