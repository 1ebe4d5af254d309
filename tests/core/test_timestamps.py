"""Timestamps: ``toISOString()`` form, parsing to instants, epoch milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mockgate.core.timestamps import format_timestamp, parse_timestamp, to_millis

PARIS = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(datetime(2026, 2, 9, 14, tzinfo=UTC), "2026-02-09T14:00:00.000Z", id="whole"),
        pytest.param(
            datetime(2026, 2, 9, 14, 0, 1, 342999, tzinfo=UTC),
            "2026-02-09T14:00:01.342Z",
            id="milliseconds-truncated",
        ),
        pytest.param(
            datetime(2026, 2, 9, 15, tzinfo=PARIS), "2026-02-09T14:00:00.000Z", id="to-utc"
        ),
    ],
)
def test_format_timestamp(moment, expected):
    assert format_timestamp(moment) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2026-02-09T14:00:00.000Z", id="z-milliseconds"),
        pytest.param("2026-02-09T14:00:00Z", id="z-seconds"),
        pytest.param("2026-02-09T15:00:00+01:00", id="offset"),
    ],
)
def test_parse_timestamp_gives_utc_instants(text):
    assert parse_timestamp(text) == datetime(2026, 2, 9, 14, tzinfo=UTC)
    assert parse_timestamp(text).tzinfo is UTC


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: parse_timestamp("2026-02-09T14:00:00"), id="parse-naive"),
        pytest.param(lambda: format_timestamp(datetime(2026, 2, 9)), id="format-naive"),
        pytest.param(lambda: to_millis(datetime(2026, 2, 9)), id="millis-naive"),
    ],
)
def test_naive_datetimes_are_rejected(call):
    with pytest.raises(ValueError, match="naive"):
        call()


def test_to_millis():
    assert to_millis(datetime(1970, 1, 1, 0, 0, 1, 999999, tzinfo=UTC)) == 1999
