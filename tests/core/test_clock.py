"""The virtual clock: real, frozen, set, advanced, sped up; durations."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import pytest

from mockgate.core.clock import (
    MAX_INSTANT,
    MIN_INSTANT,
    RANGE_TEXT,
    RUNWAY,
    Clock,
    ClockState,
    parse_duration,
    parse_instant,
)

START = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def real() -> FakeMonotonic:
    return FakeMonotonic()


def test_runs_in_real_time_from_its_start(real):
    clock = Clock(START, monotonic=real)
    real.now += 90
    assert clock.now() == START + timedelta(seconds=90)


def test_frozen_clock_stands_still_until_unfrozen(real):
    clock = Clock(START, frozen=True, monotonic=real)
    real.now += 3600
    assert clock.now() == START
    clock.freeze(False)
    real.now += 5
    assert clock.now() == START + timedelta(seconds=5)


def test_speed_scales_elapsed_time_without_a_jump(real):
    clock = Clock(START, monotonic=real)
    real.now += 10
    clock.set_speed(60)
    assert clock.now() == START + timedelta(seconds=10)
    real.now += 10
    assert clock.now() == START + timedelta(seconds=10 + 600)


def test_set_and_advance(real):
    clock = Clock(START, monotonic=real)
    clock.advance(timedelta(minutes=10))
    assert clock.now() == START + timedelta(minutes=10)
    later = datetime(2027, 3, 1, tzinfo=UTC)
    clock.set(later)
    assert clock.state().to_json() == {
        "now": "2027-03-01T00:00:00.000Z",
        "frozen": False,
        "speed": 1.0,
    }


@pytest.mark.parametrize(
    ("option", "frozen", "speed"),
    [
        pytest.param("real", False, 1.0, id="real"),
        pytest.param("frozen", True, 1.0, id="frozen"),
        pytest.param("speed=60", False, 60.0, id="speed"),
    ],
)
def test_from_option(option, frozen, speed):
    state = Clock.from_option(option, start=START).state()
    assert (state.frozen, state.speed) == (frozen, speed)


@pytest.mark.parametrize("option", ["fast", "speed=0", "speed=-2", "speed=x", "speed="])
def test_bad_options_are_refused_with_the_choices(option):
    with pytest.raises(ValueError, match=r"real, frozen or speed=N"):
        Clock.from_option(option)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("45", 45, id="plain-seconds"),
        pytest.param("90s", 90, id="seconds"),
        pytest.param("10m", 600, id="minutes"),
        pytest.param("1h30m", 5400, id="compound"),
        pytest.param("2d", 172800, id="days"),
        pytest.param("250ms", 0.25, id="milliseconds"),
        pytest.param("-5m", -300, id="backwards"),
        pytest.param("1.5h", 5400, id="fraction"),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "m", "10x", "1h 30m", "nan", "inf", "5m10", "999999999d"])
def test_parse_duration_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


# The clock's range: what the APIs' timestamps can represent, with margins (see core/clock.py).

MOST_FROM_START = math.floor((MAX_INSTANT - START) / RUNWAY)  # ~7,879x


def refused(match: str = re.escape(RANGE_TEXT)) -> pytest.RaisesExc[ValueError]:
    return pytest.raises(ValueError, match=match)


@pytest.mark.parametrize(
    "when",
    [
        pytest.param(MIN_INSTANT, id="first-instant"),
        pytest.param(MAX_INSTANT, id="last-instant"),
    ],
)
def test_the_range_includes_its_bounds(real, when):
    clock = Clock(START, frozen=True, monotonic=real)
    clock.set(when)
    assert clock.now() == when
    assert Clock(when, monotonic=real).now() == when


@pytest.mark.parametrize(
    "when",
    [
        pytest.param(MIN_INSTANT - timedelta(milliseconds=1), id="before-the-first"),
        pytest.param(MAX_INSTANT + timedelta(seconds=1), id="after-the-last"),
        pytest.param(datetime(9999, 12, 31, 23, 59, 58, tzinfo=UTC), id="year-9999"),
        pytest.param(datetime(1970, 1, 1, tzinfo=UTC), id="unix-epoch"),
    ],
)
def test_an_instant_outside_the_range_is_refused_and_changes_nothing(real, when):
    clock = Clock(START, frozen=True, monotonic=real)
    with refused():
        clock.set(when)
    with refused():
        Clock(when, monotonic=real)
    assert (clock.now(), clock.changes) == (START, 0)


@pytest.mark.parametrize(
    ("start", "delta", "bound"),
    [
        pytest.param(
            MAX_INSTANT - timedelta(days=1), timedelta(days=2), MAX_INSTANT, id="past-the-last"
        ),
        pytest.param(
            MIN_INSTANT + timedelta(days=1), timedelta(days=-2), MIN_INSTANT, id="before-the-first"
        ),
        pytest.param(
            datetime(9850, 1, 1, tzinfo=UTC), timedelta(days=36500), MAX_INSTANT, id="year-10000"
        ),
    ],
)
def test_an_advance_landing_outside_the_range_is_refused(real, start, delta, bound):
    clock = Clock(start, frozen=True, monotonic=real)
    with refused():
        clock.advance(delta)
    assert clock.now() == start
    clock.advance(bound - start)  # onto the bound itself
    assert clock.now() == bound


def test_a_speed_is_refused_when_a_year_of_running_would_leave_the_range(real):
    clock = Clock(START, monotonic=real)
    with refused(rf"at most {MOST_FROM_START:,}x from there.*{re.escape(RANGE_TEXT)}"):
        clock.set_speed(MOST_FROM_START + 1)
    assert clock.state().speed == 1.0
    clock.set_speed(MOST_FROM_START)
    real.now += RUNWAY.total_seconds()
    assert START < clock.now() <= MAX_INSTANT


@pytest.mark.parametrize(
    "speed",
    [
        pytest.param(math.inf, id="infinite"),
        pytest.param(math.nan, id="nan"),
        pytest.param(0.0, id="zero"),
        pytest.param(-1.0, id="negative"),
    ],
)
def test_a_speed_that_is_no_factor_is_refused(real, speed):
    clock = Clock(START, monotonic=real)
    with refused("positive, finite factor"):
        clock.set_speed(speed)
    with refused("positive, finite factor"):
        Clock(START, speed=speed)
    assert clock.state().speed == 1.0


def test_the_issue_speed_is_refused(real):
    clock = Clock(START, monotonic=real)
    with refused(r"clock speed 1e\+15 would take the clock past 9899-12-31T23:59:59.000Z"):
        clock.set_speed(1e15)
    real.now += 2
    assert clock.now() == START + timedelta(seconds=2)


def test_a_change_is_checked_as_a_whole_before_any_part_applies(real):
    clock = Clock(START, monotonic=real)
    late = datetime(9000, 1, 1, tzinfo=UTC)
    with refused(r"clock speed 7000 .* from 9000-01-01"):  # the speed, from the new instant
        clock.change(at=late, freeze=True, speed=7000)
    assert clock.state() == ClockState(START, False, 1.0)
    clock.change(at=late, speed=800)
    clock.change(at=START, speed=7000)  # from 2026 it may run that fast
    assert clock.state() == ClockState(START, False, 7000)


def test_a_clock_that_runs_into_the_last_instant_stops_there(real):
    clock = Clock(START, monotonic=real)
    clock.set_speed(MOST_FROM_START)
    real.now += 10 * RUNWAY.total_seconds()
    assert clock.now() == MAX_INSTANT
    assert clock.state().to_json()["now"] == "9899-12-31T23:59:59.000Z"
    clock.freeze()  # re-anchored at the bound, where it stays
    clock.freeze(False)
    real.now += 3600
    assert clock.now() == MAX_INSTANT
    clock.set(START)  # and can be brought back
    assert clock.now() == START


@pytest.mark.parametrize(
    ("option", "start", "match"),
    [
        pytest.param("speed=1e15", None, "clock speed 1e\\+15", id="speed-from-now"),
        pytest.param(f"speed={MOST_FROM_START + 1}", START, "clock speed", id="speed-from-start"),
        pytest.param("real", datetime(9999, 1, 1, tzinfo=UTC), "outside", id="start-too-late"),
        pytest.param("frozen", datetime(1969, 7, 20, tzinfo=UTC), "outside", id="start-too-early"),
    ],
)
def test_clock_options_outside_the_range_are_refused_with_it(option, start, match):
    with refused(rf"{match}.*{re.escape(RANGE_TEXT)}"):
        Clock.from_option(option, start=start)


@pytest.mark.parametrize(
    ("made", "frozen", "speed"),
    [
        pytest.param({}, False, 1.0, id="real"),
        pytest.param({"frozen": True}, True, 1.0, id="frozen"),
        pytest.param({"speed": 60.0}, False, 60.0, id="sped-up"),
    ],
)
def test_restart_goes_back_to_the_start_and_mode_it_was_made_with(real, made, frozen, speed):
    clock = Clock(START, monotonic=real, **made)
    clock.change(at=datetime(2031, 5, 1, tzinfo=UTC), freeze=not frozen, speed=7.0)
    changes = clock.changes
    clock.restart()
    assert clock.state() == ClockState(START, frozen, speed)
    assert clock.changes == changes + 1  # a state file saves it
    real.now += 10
    assert clock.now() == (START if frozen else START + timedelta(seconds=10 * speed))


@pytest.mark.parametrize("option", ["real", "frozen", "speed=60"], ids=str)
def test_a_clock_made_without_a_start_restarts_at_the_real_now(option):
    clock = Clock.from_option(option)
    clock.set(datetime(2031, 5, 1, tzinfo=UTC))
    before = datetime.now(UTC)
    clock.restart()
    assert before <= clock.now() <= datetime.now(UTC) + timedelta(seconds=5)
    assert clock.state().frozen == (option == "frozen")


@pytest.mark.parametrize("text", ["now", "NOW", " now "], ids=["now", "upper", "spaces"])
def test_parse_instant_reads_now_as_the_real_now(text):
    before = datetime.now(UTC)
    assert before <= parse_instant(text) <= datetime.now(UTC)


def test_parse_instant_reads_an_iso_instant_and_refuses_one_without_a_zone():
    assert parse_instant("2026-01-19T13:00:00+01:00") == START
    with pytest.raises(ValueError, match="naive"):
        parse_instant("2026-01-19T12:00:00")
