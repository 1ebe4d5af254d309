"""Pacing a run by the target's own rate-limit answers, so it does not run into 429s.

Each operation (``"GET /sessions"``) has the bucket its last answer described:
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (Unix seconds). A request to an operation
whose bucket has nothing left waits until the reset; after a 429 the operation waits
``Retry-After`` (or, without it, the reset). Every wait is bounded (``max_wait``) and a run
spends at most ``budget`` seconds waiting in all: past that it sends without waiting, so a
target that never resets cannot hold a run forever.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = ["Pacer", "operation_key"]


def operation_key(method: str, path: str) -> str:
    """The bucket name of an operation: its method and path template."""
    return f"{method.upper()} {path}"


@dataclass
class _Bucket:
    empty_until: float = 0.0  # the pacer's clock (Unix seconds): no room before then


class Pacer:
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 60.0,
        budget: float = 300.0,
    ) -> None:
        self._clock = clock
        self.sleep = sleep  # how the pacer and its callers wait (a fake one in tests)
        self.max_wait = max_wait
        self.budget = budget
        self.waited = 0.0
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def before(self, key: str) -> None:
        """Wait, if ``key``'s bucket was last seen empty, until it has room again."""
        with self._lock:
            bucket = self._buckets.get(key)
            delay = 0.0 if bucket is None else bucket.empty_until - self._clock()
            delay = self._take(delay)
        if delay > 0:
            self.sleep(delay)

    def observe(self, key: str, status: int, headers: Mapping[str, str]) -> float | None:
        """Remember what an answer of ``key`` says of its bucket (header names lower-case).
        For a 429, the seconds to wait before resending it (the wait is taken from the
        budget; the caller sleeps), or None when the budget cannot cover it."""
        now = self._clock()
        until = _empty_until(status, headers, now)
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket())
            if status != 429:
                if until is not None:  # an answer without rate-limit headers says nothing
                    bucket.empty_until = until
                return None
            # The caller waits this out before its next request: no second wait in before().
            bucket.empty_until = 0.0
            # At least half a second, even if the hints say "now" (a clock apart from ours).
            delay = self._take(max((until or now) - now, 0.5))
            return delay if delay > 0 else None

    def _take(self, delay: float) -> float:
        """``delay`` bounded by ``max_wait`` and what is left of the budget, then spent."""
        delay = min(max(delay, 0.0), self.max_wait, self.budget - self.waited)
        self.waited += delay
        return delay


def _empty_until(status: int, headers: Mapping[str, str], now: float) -> float | None:
    """Until when the bucket has no room (``now`` or earlier: it has room; None: the answer
    does not say)."""
    if status == 429:
        retry_after = _retry_after(headers.get("retry-after", ""), now)
        if retry_after is not None:
            return now + retry_after
    reset = _number(headers.get("x-ratelimit-reset"))
    if status == 429:
        return now + 1.0 if reset is None else reset
    if reset is None:
        return None
    return reset if _number(headers.get("x-ratelimit-remaining")) == 0 else now


def _retry_after(value: str, now: float) -> float | None:
    """``Retry-After`` in seconds: delay-seconds or an HTTP date."""
    seconds = _number(value)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        return max(parsedate_to_datetime(value).timestamp() - now, 0.0)
    except (TypeError, ValueError, IndexError):
        return None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
