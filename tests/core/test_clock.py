"""The virtual clock: real, frozen, set, advanced, sped up; durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockgate.core.clock import Clock, parse_duration

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
