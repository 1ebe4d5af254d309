"""``pageSize`` parsing and cursor paging hold to the spec's rules and choices."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockgate.apis.fasting.paging import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    list_page,
    parse_page_size,
)
from mockgate.apis.fasting.session import SESSION_FIELDS
from mockgate.core.timestamps import parse_timestamp

# No example database: it would write `.hypothesis/` into whatever directory pytest runs from.
FAST = settings(max_examples=150, database=None, deadline=None)

EMPTY = {"data": [], "nextCursor": None, "hasMore": False}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, 20, id="absent"),
        pytest.param("20", 20, id="default-explicit"),
        pytest.param("1", 1, id="one"),
        pytest.param("49", 49, id="under-cap"),
        pytest.param("50", 50, id="cap"),
        pytest.param("51", 50, id="over-cap-clamped"),
        pytest.param("100", 50, id="three-digits-clamped"),
        pytest.param("9" * 5000, 50, id="beyond-int-digit-limit-clamped"),
        pytest.param("007", 7, id="leading-zeros"),
        pytest.param("0050", 50, id="leading-zeros-cap"),
        pytest.param("0", 20, id="zero"),
        pytest.param("000", 20, id="zeros"),
        pytest.param("-3", 20, id="negative"),
        pytest.param("+5", 20, id="plus-sign"),
        pytest.param("2.5", 20, id="fraction"),
        pytest.param("5.0", 20, id="whole-as-decimal"),
        pytest.param("", 20, id="empty"),
        pytest.param(" 7", 20, id="leading-space"),
        pytest.param("7 ", 20, id="trailing-space"),
        pytest.param("7\n", 20, id="trailing-newline"),
        pytest.param("1e2", 20, id="exponent"),
        pytest.param("0x10", 20, id="hex"),
        pytest.param("1_000", 20, id="underscore-separator"),
        pytest.param("abc", 20, id="letters"),
        pytest.param("10abc", 20, id="digits-then-letters"),
        pytest.param("\u0663", 20, id="arabic-indic-digit"),
        pytest.param("\uff15", 20, id="fullwidth-digit"),
        pytest.param("Infinity", 20, id="infinity"),
        pytest.param("NaN", 20, id="nan"),
    ],
)
def test_parse_page_size(raw: str | None, expected: int) -> None:
    assert parse_page_size(raw) == expected


@FAST
@given(st.text())
def test_parse_page_size_never_fails_and_stays_in_bounds(raw: str) -> None:
    assert 1 <= parse_page_size(raw) <= MAX_PAGE_SIZE


@FAST
@given(st.integers(min_value=1, max_value=10**30))
def test_parse_page_size_reads_whole_numbers(n: int) -> None:
    assert parse_page_size(str(n)) == min(n, MAX_PAGE_SIZE)


def stored(
    sid: str, started: str, *, user: str = "u1", ended: str | None = "2026-03-01T00:00:00.000Z"
) -> dict[str, Any]:
    return {
        "id": sid,
        "userId": user,
        "startedAt": started,
        "endedAt": ended,
        "goalMinutes": 960,
        "notes": None,
    }


# Newest first for u1: e, then the tie at 02-03 (d before b: id descending), then a.
STORE = [
    stored("a", "2026-02-01T08:00:00.000Z"),
    stored("b", "2026-02-03T08:00:00.000Z"),
    stored("d", "2026-02-03T08:00:00.000Z"),
    stored("e", "2026-02-04T08:00:00.000Z"),
    stored("active", "2026-02-05T08:00:00.000Z", ended=None),
    stored("other", "2026-02-02T08:00:00.000Z", user="u2"),
]


def ids(page: dict[str, Any]) -> list[str]:
    return [s["id"] for s in page["data"]]


def test_first_page_is_newest_first_with_id_descending_tie_break() -> None:
    page = list_page(STORE, user_id="u1", cursor=None, page_size=20)
    assert page == {
        "data": [
            {
                "id": sid,
                "startedAt": started,
                "endedAt": "2026-03-01T00:00:00.000Z",
                "goalMinutes": 960,
                "notes": None,
            }
            for sid, started in [
                ("e", "2026-02-04T08:00:00.000Z"),
                ("d", "2026-02-03T08:00:00.000Z"),
                ("b", "2026-02-03T08:00:00.000Z"),
                ("a", "2026-02-01T08:00:00.000Z"),
            ]
        ],
        "nextCursor": None,
        "hasMore": False,
    }


def test_sessions_show_exactly_the_spec_fields() -> None:
    page = list_page(STORE, user_id="u1", cursor=None, page_size=1)
    assert tuple(page["data"][0]) == SESSION_FIELDS
    assert tuple(page) == ("data", "nextCursor", "hasMore")


@pytest.mark.parametrize(
    ("cursor", "page_size", "expected_ids", "next_cursor"),
    [
        pytest.param(None, 2, ["e", "d"], "d", id="first-page-full-more-follow"),
        pytest.param("", 2, ["e", "d"], "d", id="empty-cursor-is-first-page"),
        pytest.param("d", 2, ["b", "a"], None, id="full-page-nothing-after"),
        pytest.param("e", 1, ["d"], "d", id="cursor-inside-tie"),
        pytest.param("d", 1, ["b"], "b", id="cursor-on-tie-first"),
        pytest.param("b", 20, ["a"], None, id="short-page"),
        pytest.param("a", 20, [], None, id="cursor-on-last"),
        pytest.param(None, 4, ["e", "d", "b", "a"], None, id="exactly-all"),
        pytest.param(None, 3, ["e", "d", "b"], "b", id="all-but-one"),
    ],
)
def test_cursor_paging(
    cursor: str | None, page_size: int, expected_ids: list[str], next_cursor: str | None
) -> None:
    page = list_page(STORE, user_id="u1", cursor=cursor, page_size=page_size)
    assert ids(page) == expected_ids
    assert page["nextCursor"] == next_cursor
    assert page["hasMore"] is (next_cursor is not None)


@pytest.mark.parametrize(
    ("user", "cursor"),
    [
        pytest.param("u1", "nope", id="unknown"),
        pytest.param("u1", "other", id="another-users-session"),
        pytest.param("u1", "active", id="active-session"),
        pytest.param("u2", "e", id="u1-session-as-u2"),
        pytest.param("nobody", None, id="user-without-sessions"),
    ],
)
def test_empty_page(user: str, cursor: str | None) -> None:
    assert list_page(STORE, user_id=user, cursor=cursor, page_size=20) == EMPTY


def test_orders_by_instant_not_by_text() -> None:
    # 10:00+02:00 is 08:00Z: earlier than 09:00Z although it sorts later as text.
    store = [
        stored("plus-two", "2026-02-01T10:00:00.000+02:00"),
        stored("zulu", "2026-02-01T09:00:00.000Z"),
    ]
    assert ids(list_page(store, user_id="u1", cursor=None, page_size=20)) == ["zulu", "plus-two"]


def test_leaves_the_store_untouched() -> None:
    store = [dict(s) for s in STORE]
    list_page(store, user_id="u1", cursor="e", page_size=2)
    assert store == STORE


@pytest.mark.parametrize("page_size", [0, -1, MAX_PAGE_SIZE + 1], ids=["zero", "negative", "51"])
def test_rejects_an_unparsed_page_size(page_size: int) -> None:
    with pytest.raises(ValueError, match="page_size"):
        list_page(STORE, user_id="u1", cursor=None, page_size=page_size)


def test_default_page_size_is_within_bounds() -> None:
    assert 1 <= DEFAULT_PAGE_SIZE <= MAX_PAGE_SIZE


# Few instants and a tiny id alphabet, so that ties on `startedAt` and near-equal ids are common.
INSTANTS = [f"2026-02-0{day}T08:00:00.000Z" for day in range(1, 5)]
USERS = ["u1", "u2", "u3"]
stores = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.text(alphabet="ab01", min_size=1, max_size=4),
            "userId": st.sampled_from(USERS),
            "startedAt": st.sampled_from(INSTANTS),
            "endedAt": st.sampled_from([None, "2026-03-01T00:00:00.000Z"]),
            "goalMinutes": st.none() | st.integers(1, 3000),
            "notes": st.none() | st.text(max_size=5),
        }
    ),
    max_size=40,
    unique_by=lambda s: s["id"],
)


@FAST
@given(store=stores, user=st.sampled_from(USERS), page_size=st.integers(1, MAX_PAGE_SIZE))
def test_walking_the_pages_returns_each_completed_session_once_in_order(
    store: list[dict[str, Any]], user: str, page_size: int
) -> None:
    pages = []
    cursor = None
    while True:
        page = list_page(store, user_id=user, cursor=cursor, page_size=page_size)
        pages.append(page)
        assert len(page["data"]) <= page_size
        if not page["hasMore"]:
            assert page["nextCursor"] is None
            break
        # More follows only after a full page, and the cursor is its last session.
        assert len(page["data"]) == page_size
        assert page["nextCursor"] == page["data"][-1]["id"]
        cursor = page["nextCursor"]
        assert len(pages) <= len(store), "paging does not terminate"

    walked = [s for page in pages for s in page["data"]]
    by_id = {s["id"]: s for s in store}
    expected = {s["id"] for s in store if s["userId"] == user and s["endedAt"] is not None}
    assert [s["id"] for s in walked if s["id"] in expected] == [s["id"] for s in walked]
    assert sorted(s["id"] for s in walked) == sorted(expected)  # each exactly once
    # No page but the first is empty: the last full page already says there is no more.
    assert all(page["data"] for page in pages[1:])
    for newer, older in pairwise(walked):
        newer_at, older_at = (
            parse_timestamp(newer["startedAt"]),
            parse_timestamp(older["startedAt"]),
        )
        assert newer_at > older_at or (newer_at == older_at and newer["id"] > older["id"])
    for s in walked:
        assert s == {k: by_id[s["id"]][k] for k in SESSION_FIELDS}
