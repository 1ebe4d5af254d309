"""Rate limits as documented, on the mock's clock: fixed windows per API key and route.

The document's tiers (the spec's ``x-mockgate-rate-limit`` on each operation): 60 requests per
minute and 1000 per hour for most routes, 120 and 3000 for the two heartbeat routes, none for
health and docs. The rules:

- **Buckets.** One per (API key, route): each route (operation) of a key counts apart, as the
  real server's throttler counts per controller and handler, with the document's numbers for
  its tier. ``GET /sessions`` and ``GET /tasks`` each allow a key 60 a minute, the session
  heartbeat 120, and no route eats into another's.
- **Windows.** Each bucket has a minute and an hour window. A window opens with the first
  request it counts and lasts its full length (NestJS throttler style); the next request after
  it ends opens a fresh one. A request is allowed when both windows have room, and then counts
  in both; a refused request counts in neither (waiting ``Retry-After`` always suffices).
- **Headers.** ``X-RateLimit-Limit`` is the route's per-minute limit, ``-Remaining`` what is
  left of it after this request, ``-Reset`` the end of the minute window in Unix seconds
  (rounded up). When the hour window is the one exhausted, ``-Remaining`` is 0 and ``-Reset``
  is the hour window's end. A refusal adds ``Retry-After``: whole seconds (at least 1) until
  the window that refused ends.
- **Clock.** Times are the mock's virtual clock (``Clock.timestamp()``), so tests move it
  instead of sleeping; a window that would start in the future (the clock was set back) is
  opened anew.
- **Memory.** Only valid API keys are tracked (a mock has a handful), windows that ended are
  dropped as new ones open, and at most ``max_buckets`` buckets are kept (least recently used
  dropped first), so no client can make the limiter grow without bound.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Decision", "Limits", "RateLimiter", "limits_from_spec"]

MINUTE = 60.0
HOUR = 3600.0


@dataclass(frozen=True)
class Limits:
    """A route's limits: requests per minute, and per hour (None: no hourly limit). ``route``
    names the bucket (the operation): each route has its own per key."""

    per_minute: int
    per_hour: int | None = None
    route: str = "default"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # Unix seconds
    retry_after: int | None = None

    def headers(self) -> dict[str, str]:
        found = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if self.retry_after is not None:
            found["Retry-After"] = str(self.retry_after)
        return found


@dataclass
class _Window:
    start: float
    count: int = 0


@dataclass
class _Bucket:
    windows: dict[float, _Window] = field(default_factory=dict)  # by length in seconds


class RateLimiter:
    """The buckets of one mock. Thread-safe."""

    def __init__(self, *, max_buckets: int = 10_000) -> None:
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()
        self._max_buckets = max_buckets
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def hit(self, key: str, limits: Limits, now: float) -> Decision:
        """Count one request of ``key`` on the route of ``limits`` at ``now`` (Unix seconds), if
        there is room; the decision says which, with the header values."""
        with self._lock:
            bucket = self._bucket((key, limits.route))
            spans = [(MINUTE, limits.per_minute)]
            if limits.per_hour is not None:
                spans.append((HOUR, limits.per_hour))
            windows = [(self._window(bucket, span, now), span, cap) for span, cap in spans]
            full = [(w.start + span, cap) for w, span, cap in windows if w.count >= cap]
            minute, _, _ = windows[0]
            if full:
                reset_at = max(end for end, _ in full)
                return Decision(
                    allowed=False,
                    limit=limits.per_minute,
                    remaining=0,
                    reset=math.ceil(reset_at),
                    retry_after=max(1, math.ceil(reset_at - now)),
                )
            for window, _, _ in windows:
                window.count += 1
            remaining = limits.per_minute - minute.count
            reset_at = minute.start + MINUTE
            for window, span, cap in windows[1:]:
                if window.count >= cap:  # the hour is used up even though the minute is not
                    remaining, reset_at = 0, window.start + span
            return Decision(True, limits.per_minute, remaining, math.ceil(reset_at))

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()

    def _bucket(self, name: tuple[str, str]) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._buckets[name] = _Bucket()
            while len(self._buckets) > self._max_buckets:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(name)
        return bucket

    @staticmethod
    def _window(bucket: _Bucket, span: float, now: float) -> _Window:
        window = bucket.windows.get(span)
        if window is None or now >= window.start + span or now < window.start:
            window = bucket.windows[span] = _Window(now)
        return window


def limits_from_spec(
    document: Mapping[str, Any], per_minute: int | None = None
) -> dict[str, Limits]:
    """Each rate-limited operation's limits, by operationId, from ``x-mockgate-rate-limit``.

    With ``per_minute`` (``--rate-limit N``), every limited operation allows N requests per
    minute and there is no hourly limit; each route still counts apart.
    """
    found = {}
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, Mapping) or "operationId" not in operation:
                continue
            documented = operation.get("x-mockgate-rate-limit")
            if not documented:
                continue
            route = operation["operationId"]
            minute, hour = int(documented["per_minute"]), documented.get("per_hour")
            found[route] = (
                Limits(minute, None if hour is None else int(hour), route)
                if per_minute is None
                else Limits(per_minute, None, route)
            )
    return found
