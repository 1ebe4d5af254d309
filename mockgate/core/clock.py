"""The mock's virtual clock: real time that can be frozen, set, moved forward or sped up.

Every time-dependent behaviour of a mock (staleness, TTLs, timestamps it writes) reads one
``Clock``, so a frontend developer can make a session go stale without waiting.

**Its range.** The clock stays between ``MIN_INSTANT`` and ``MAX_INSTANT``. The APIs' timestamps
have four-digit years (``toISOString()`` switches to ``+010000-...`` past 9999, RFC 3339 has no
form for it) and Python's ``datetime`` ends with year 9999; the upper bound leaves a century
under that for the instants the mocks derive from now (expiries, windows and schedules reach
hours or days ahead; ``parse_duration`` allows 100 years). The lower bound leaves a year over
1970 because ULIDs and UUIDv7s hold unsigned milliseconds since 1970 and the seeded datasets
reach weeks back from now (AgentLens' demo at exactly 1970-01-01 cannot be seeded).

An instant outside the range is refused (``--start``, ``set``, ``advance``), and so is a speed
asked for (``--clock speed=N``, ``POST /__mockgate/clock``) that ``RUNWAY`` of real running would
take out of it (about 7,900x from 2026). A clock that still gets there (sped up legitimately
and left running for years) stops at ``MAX_INSTANT`` rather than overflowing.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mockgate.core.timestamps import format_timestamp, parse_timestamp

__all__ = [
    "ID_ANCHOR",
    "MAX_INSTANT",
    "MIN_INSTANT",
    "RANGE_TEXT",
    "RUNWAY",
    "Clock",
    "ClockState",
    "check_instant",
    "check_speed",
    "parse_duration",
    "parse_instant",
]

MIN_INSTANT = datetime(1971, 1, 1, tzinfo=UTC)
MAX_INSTANT = datetime(9899, 12, 31, 23, 59, 59, tzinfo=UTC)
RUNWAY = timedelta(days=365)
"""Real time a sped-up clock must be able to run from a requested instant within the range."""
RANGE_TEXT = f"{format_timestamp(MIN_INSTANT)} to {format_timestamp(MAX_INSTANT)}"
ID_ANCHOR = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
"""The instant seeded records' identifiers are made as of, whatever the clock: an id with a
time part (ULID, UUIDv7, cuid) holds its record's offset from now added to this instant, so a
seed gives the same ids on every start and deep links survive restarts (timestamps still follow
the clock). It is the frozen clock's default start, where ids and timestamps agree."""
_MIN = MIN_INSTANT.timestamp()
_MAX = MAX_INSTANT.timestamp()


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
        """Any instant in the range, any positive finite speed (``ValueError`` otherwise): a
        clock resumed from a state file may have run fast to near the end; it stops there.
        ``from_option`` and ``change`` also hold a speed asked for to ``RUNWAY``."""
        _check_factor(speed)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        # How it was made, for ``restart``: no ``start`` means the real now, whenever that is.
        self._made = (start, frozen, speed)
        self._anchor_real = monotonic()
        self._anchor = check_instant(_seconds(start or datetime.now(UTC)))
        self._frozen = frozen
        self._speed = speed
        self._changes = 0

    @classmethod
    def from_option(cls, option: str, *, start: datetime | None = None) -> Clock:
        """``real``, ``frozen`` or ``speed=N`` (the ``--clock`` option)."""
        if option in ("real", "frozen"):
            return cls(start, frozen=option == "frozen")
        try:
            speed = float(option.removeprefix("speed=")) if option.startswith("speed=") else 0
        except ValueError:
            speed = 0
        if not (speed > 0 and math.isfinite(speed)):
            raise ValueError(f"clock {option!r}: expected real, frozen or speed=N (N > 0)")
        check_speed(speed, check_instant(_seconds(start or datetime.now(UTC))))
        return cls(start, speed=speed)

    def timestamp(self) -> float:
        """Now, as seconds since the epoch (at most ``MAX_INSTANT``'s)."""
        if self._frozen:
            return self._anchor
        moment = self._anchor + (self._monotonic() - self._anchor_real) * self._speed
        return moment if moment < _MAX else _MAX  # a comparison, not min(): read per request

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def state(self) -> ClockState:
        return ClockState(self.now(), self._frozen, self._speed)

    @property
    def changes(self) -> int:
        """How many times the clock was set, advanced, frozen or re-sped: what a saver of its
        state compares to know whether there is anything new to save."""
        return self._changes

    def change(
        self,
        *,
        at: datetime | None = None,
        advance: timedelta | None = None,
        freeze: bool | None = None,
        speed: float | None = None,
    ) -> None:
        """Set the instant to ``at``, then move it by ``advance``, then freeze or unfreeze it and
        set its speed: checked together, so a ``ValueError`` changes nothing.

        The instant must be in the range and a new speed must keep it there for ``RUNWAY`` of
        real running (at an unchanged speed, a clock that reaches the end stops there).
        """
        if speed is not None:
            _check_factor(speed)
        with self._lock:
            target = self.timestamp() if at is None else _seconds(at)
            if advance is not None:
                target += advance.total_seconds()
            if at is not None or advance is not None:
                check_instant(target)
            if speed is not None:
                check_speed(speed, target)
            # Every change re-anchors here (under the lock), so this is where it is counted.
            self._anchor = target
            self._anchor_real = self._monotonic()
            self._frozen = self._frozen if freeze is None else freeze
            self._speed = self._speed if speed is None else speed
            self._changes += 1

    def restart(self) -> None:
        """Back to how the clock was made: at the start instant it was given (the real now
        when it was given none), frozen or running at the speed it was given."""
        start, frozen, speed = self._made
        with self._lock:
            # Checked when the clock was made; only the real now is new.
            self._anchor = check_instant(_seconds(start or datetime.now(UTC)))
            self._anchor_real = self._monotonic()
            self._frozen = frozen
            self._speed = speed
            self._changes += 1

    def set(self, when: datetime) -> None:
        self.change(at=when)

    def advance(self, delta: timedelta) -> None:
        self.change(advance=delta)

    def freeze(self, frozen: bool = True) -> None:
        self.change(freeze=frozen)

    def set_speed(self, speed: float) -> None:
        self.change(speed=speed)


def check_instant(seconds: float) -> float:
    """``seconds`` (since the epoch) when in the clock's range; ``ValueError`` naming it."""
    if not _MIN <= seconds <= _MAX:
        raise ValueError(f"{_describe(seconds)} is outside the clock's range, {RANGE_TEXT}")
    return seconds


def check_speed(speed: float, at: float) -> None:
    """``ValueError`` unless running ``RUNWAY`` at ``speed`` from ``at`` stays in the range."""
    _check_factor(speed)
    most = (_MAX - at) / RUNWAY.total_seconds()
    if speed > most:
        raise ValueError(
            f"clock speed {speed:g} would take the clock past {format_timestamp(MAX_INSTANT)} "
            f"within a year of running from {_describe(at)} (at most {math.floor(most):,}x "
            f"from there; the clock's range is {RANGE_TEXT})"
        )


def _check_factor(speed: float) -> None:
    if not (speed > 0 and math.isfinite(speed)):
        raise ValueError(f"clock speed must be a positive, finite factor, not {speed}")


def _seconds(when: datetime) -> float:
    if when.tzinfo is None:
        raise ValueError("a clock instant needs a time zone (e.g. a trailing Z)")
    return when.timestamp()


def _describe(seconds: float) -> str:
    """An instant as the APIs write it, or as far as it can be told when no datetime holds it."""
    try:
        return format_timestamp(datetime.fromtimestamp(seconds, UTC))
    except (ValueError, OverflowError, OSError):
        if math.isnan(seconds):
            return "an undefined instant (NaN)"
        return "an instant before year 1" if seconds < 0 else "an instant after year 9999"


def parse_instant(text: str) -> datetime:
    """An instant as the admin API takes one: ISO 8601 with a zone (``2026-01-19T12:00:00Z``),
    or ``now``, the real now (the machine's, whatever the clock reads)."""
    if text.strip().lower() == "now":
        return datetime.now(UTC)
    return parse_timestamp(text)


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
