"""The API's view of a stored session."""

from __future__ import annotations

import pytest

from mockgate.apis.fasting.session import SESSION_FIELDS, public

STORED = {
    "id": "cm1abc123def",
    "userId": "cm1usr000one",
    "startedAt": "2026-02-25T08:00:00.000Z",
    "endedAt": "2026-02-25T20:00:00.000Z",
    "goalMinutes": 960,
    "notes": "Felt great today",
}


def test_public_keeps_exactly_the_spec_fields() -> None:
    shown = public(STORED)
    assert tuple(shown) == SESSION_FIELDS
    assert shown == {k: v for k, v in STORED.items() if k != "userId"}


def test_public_refuses_an_active_session() -> None:
    with pytest.raises(ValueError, match="active"):
        public({**STORED, "endedAt": None})
