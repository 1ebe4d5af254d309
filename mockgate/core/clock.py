"""The mock's virtual clock: real time that can be frozen, set, moved forward or sped up.

Every time-dependent behaviour of a mock (staleness, TTLs, timestamps it writes) reads one
``Clock``, so a frontend developer can make a session go stale without waiting.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mockgate.core.timestamps import format_timestamp

__all__ = ["Clock", "ClockState", "parse_duration"]


@dataclass(frozen=True)
class ClockState:
    now: datetime
    frozen: bool
    speed: float

    def to_json(self) -> dict[str, object]:
        return {"now": format_timestamp(self.now), "frozen": self.frozen, "speed": self.speed}


class Clock:
    """Virtual time = an anchor instant plus the real time elapsed since, times ``speed``.

    Each change re-anchors at the current virtual instant, so changing speed or unfreezing never
    makes time jump.
    """

    def __init__(
        self,
        start: datetime | None = None,
        *,
        frozen: bool = False,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        _check_speed(speed)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._anchor_real = monotonic()
        self._anchor = (start or datetime.now(UTC)).timestamp()
        self._frozen = frozen
        self._speed = speed
        self._changes = 0

    @classmethod
    def from_option(cls, option: str, *, start: datetime | None = None) -> Clock:
        """``real``, ``frozen`` or ``speed=N`` (the ``--clock`` option)."""
        if option == "real":
            return cls(start)
        if option == "frozen":
            return cls(start, frozen=True)
        if option.startswith("speed="):
            try:
                return cls(start, speed=float(option.removeprefix("speed=")))
            except ValueError:
                pass
        raise ValueError(f"clock {option!r}: expected real, frozen or speed=N (N > 0)")

    def timestamp(self) -> float:
        """Now, as seconds since the epoch."""
        if self._frozen:
            return self._anchor
        return self._anchor + (self._monotonic() - self._anchor_real) * self._speed

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def state(self) -> ClockState:
        return ClockState(self.now(), self._frozen, self._speed)

    @property
    def changes(self) -> int:
        """How many times the clock was set, advanced, frozen or re-sped: what a saver of its
        state compares to know whether there is anything new to save."""
        return self._changes

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("a clock instant needs a time zone (e.g. a trailing Z)")
        with self._lock:
            self._rebase()
            self._anchor = when.timestamp()

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._rebase()
            self._anchor += delta.total_seconds()

    def freeze(self, frozen: bool = True) -> None:
        with self._lock:
            self._rebase()
            self._frozen = frozen

    def set_speed(self, speed: float) -> None:
        _check_speed(speed)
        with self._lock:
            self._rebase()
            self._speed = speed

    def _rebase(self) -> None:
        # Every change starts here (under the lock), so this is where it is counted.
        self._anchor = self.timestamp()
        self._anchor_real = self._monotonic()
        self._changes += 1


def _check_speed(speed: float) -> None:
    if not speed > 0:
        raise ValueError(f"clock speed must be positive, not {speed}")


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_MAX_SECONDS = 100 * 365 * 86400
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DURATION = re.compile(rf"({_NUMBER.pattern})(ms|s|m|h|d|w)")


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"10m"``, ``"1h30m"``, ``"2d"``, ``"250ms"``, or plain seconds (``"45"``);
    a leading ``-`` goes back in time."""
    raw = text.strip()
    sign = -1 if raw.startswith("-") else 1
    body = raw.removeprefix("-").removeprefix("+")
    if _NUMBER.fullmatch(body):
        seconds = float(body)
    else:
        parts = _DURATION.findall(body)
        if not parts or "".join(n + u for n, u in parts) != body:
            raise ValueError(f"duration {text!r}: expected e.g. 30s, 10m, 1h30m, 2d or 250ms")
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds > _MAX_SECONDS:
        raise ValueError(f"duration {text!r} is longer than 100 years")
    return timedelta(seconds=sign * seconds)
