"""ULID-shaped ids: layout, time part, monotonic order and reproducibility."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from mockgate.apis.agentlens.ulid import ULID_PATTERN, UlidFactory, decode, encode
from mockgate.core.timestamps import to_millis

MOMENT = datetime(2026, 2, 9, 14, 0, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("millis", "randomness", "expected"),
    [
        pytest.param(0, 0, "0" * 26, id="zero"),
        pytest.param(2**48 - 1, 2**80 - 1, "7" + "Z" * 25, id="maximum"),
        pytest.param(1, 0, "0000000001" + "0" * 16, id="one-millisecond"),
        pytest.param(0, 31, "0" * 25 + "Z", id="crockford-last-digit"),
    ],
)
def test_encode(millis, randomness, expected):
    assert encode(millis, randomness) == expected


@pytest.mark.parametrize(
    ("millis", "randomness"),
    [
        pytest.param(-1, 0, id="negative-time"),
        pytest.param(2**48, 0, id="time-too-large"),
        pytest.param(0, 2**80, id="randomness-too-large"),
    ],
)
def test_encode_rejects_out_of_range_parts(millis, randomness):
    with pytest.raises(ValueError, match="out of range"):
        encode(millis, randomness)


def test_ids_carry_their_moment_and_look_like_ulids():
    ulid = UlidFactory(random.Random(0))(MOMENT)
    assert ULID_PATTERN.fullmatch(ulid)
    assert ulid[:10] == encode(to_millis(MOMENT), 0)[:10]


@pytest.mark.parametrize(
    "step",
    [
        pytest.param(timedelta(0), id="same-millisecond"),
        pytest.param(timedelta(microseconds=400), id="within-a-millisecond"),
        pytest.param(timedelta(milliseconds=1), id="next-millisecond"),
        pytest.param(timedelta(milliseconds=-5), id="clock-going-back"),
    ],
)
def test_ids_strictly_increase(step):
    ids = UlidFactory(random.Random(0))
    minted = [ids(MOMENT + i * step) for i in range(50)]
    assert minted == sorted(minted)
    assert len(set(minted)) == len(minted)


def test_same_rng_seed_same_ids():
    def run(seed):
        ids = UlidFactory(random.Random(seed))
        return [ids(MOMENT + timedelta(seconds=i)) for i in range(5)]

    assert run(1) == run(1)
    assert run(1) != run(2)


@pytest.mark.parametrize(
    ("millis", "randomness"),
    [
        pytest.param(0, 0, id="zero"),
        pytest.param(2**48 - 1, 2**80 - 1, id="maximum"),
        pytest.param(to_millis(MOMENT), 12345678901234567890, id="typical"),
    ],
)
def test_decode_inverts_encode(millis, randomness):
    assert decode(encode(millis, randomness)) == (millis, randomness)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("01H001...", id="placeholder"),
        pytest.param("8" + "0" * 25, id="beyond-128-bits"),
        pytest.param("0" * 25, id="too-short"),
    ],
)
def test_decode_rejects_what_is_not_a_ulid(text):
    with pytest.raises(ValueError, match="not a ULID"):
        decode(text)


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(MOMENT, id="same-millisecond"),
        pytest.param(MOMENT - timedelta(seconds=5), id="earlier-clock"),
        pytest.param(MOMENT + timedelta(seconds=5), id="later"),
    ],
)
def test_a_factory_continues_after_a_given_id(moment):
    last = UlidFactory(random.Random(0))(MOMENT)
    following = UlidFactory(random.Random(1), after=last)
    minted = [following(moment) for _ in range(5)]
    assert minted == sorted(minted)
    assert minted[0] > last
