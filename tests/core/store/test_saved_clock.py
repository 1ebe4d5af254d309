"""A state file's saved clock: resumed within the clock's range, refused clearly when outside it
(written by an older mockgate, or edited by hand), discarded on request."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mockgate.core.clock import MAX_INSTANT, RANGE_TEXT, RUNWAY, Clock
from mockgate.core.store.sqlite import SavedClock, SavedClockError, StateFile

START = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)


def saved(path: Path, **row: object) -> StateFile:
    """A state file whose clock row was written by ``Clock(START)`` and then given ``row``."""
    state_file = StateFile.open(path, create=True)
    state_file.track_clock(Clock(START, frozen=True))
    state_file.close()
    db = sqlite3.connect(path)
    with db:
        for column, value in row.items():
            db.execute(f"UPDATE clock SET {column} = ?", (value,))
    db.close()
    return StateFile.open(path)


def test_a_clock_that_ran_past_the_range_while_saved_resumes_at_its_end():
    near = datetime(9899, 1, 1, tzinfo=UTC)
    running = SavedClock(near, wall=1000.0, frozen=False, speed=7000.0)
    assert running.resumed(wall_now=1000.0 + RUNWAY.total_seconds()) == MAX_INSTANT
    assert running.clock().now() == MAX_INSTANT


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        pytest.param(
            {"now": datetime(9999, 12, 31, 23, 59, 58, tzinfo=UTC).timestamp()},
            "9999-12-31T23:59:58.000Z is outside the clock's range",
            id="year-9999",
        ),
        pytest.param({"now": 1e300}, "an instant after year 9999 is outside", id="beyond-datetime"),
        pytest.param({"now": -86400.0}, "1969-12-31T00:00:00.000Z is outside", id="before-1971"),
        pytest.param({"now": "soon"}, "could not convert string to float", id="not-a-number"),
        pytest.param({"speed": 0.0}, "positive, finite factor, not 0.0", id="zero-speed"),
        pytest.param({"speed": float("inf")}, "positive, finite factor", id="infinite-speed"),
    ],
)
def test_an_unusable_saved_clock_is_refused_naming_the_file_and_the_way_out(tmp_path, row, problem):
    path = tmp_path / "state.db"
    state_file = saved(path, **row)
    try:
        with pytest.raises(SavedClockError) as raised:
            state_file.saved_clock()
        message = str(raised.value)
        assert message.startswith(f"{path}: its saved clock cannot be used (")
        assert problem in message
        assert f"mockgate state reset {path} --clock-only" in message
        if "outside" in problem:
            assert RANGE_TEXT in message
        state_file.forget_clock()
        assert state_file.saved_clock() is None
    finally:
        state_file.close()


def test_a_clock_saved_at_the_end_of_the_range_running_fast_is_usable(tmp_path):
    # As a legitimately sped-up clock leaves it: it stops there, it is not refused.
    state_file = saved(tmp_path / "state.db", now=MAX_INSTANT.timestamp(), frozen=0, speed=7000.0)
    try:
        clock = state_file.saved_clock()
    finally:
        state_file.close()
    assert clock is not None
    assert (clock.now, clock.frozen, clock.speed) == (MAX_INSTANT, False, 7000.0)
    assert clock.clock().now() == MAX_INSTANT
