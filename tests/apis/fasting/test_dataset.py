"""Generated and documented seed data: deterministic, realistic, and valid against the spec."""

from __future__ import annotations

import json
import random
import re
import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from openapi_schema_validator import OAS30ReadValidator

from mockgate.apis.fasting.dataset import NOTES_MAX_LENGTH, Dataset, docs_dataset, generate
from mockgate.apis.fasting.paging import list_page
from mockgate.apis.fasting.session import SESSION_FIELDS, public
from mockgate.apis.fasting.users import User, holder_of
from mockgate.core.timestamps import parse_timestamp

NOW = datetime(2026, 3, 1, 12, 30, 15, 987654, tzinfo=UTC)  # sub-millisecond part on purpose
SEED = 11
SEEDS = range(5)

CUID = re.compile(r"c[0-9a-z]{24}")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
TOKEN = re.compile(r"fst_[a-z]+_[0-9a-f]{32}")
GOALS = {16 * 60, 18 * 60, 20 * 60, 23 * 60, 36 * 60, None}


@pytest.fixture(scope="module")
def data() -> Dataset:
    return generate(SEED, NOW)


@pytest.fixture(scope="module")
def datasets() -> list[Dataset]:
    return [generate(seed, NOW) for seed in SEEDS]


def by_user(dataset: Dataset) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for session in dataset["sessions"]:
        grouped[session["userId"]].append(dict(session))
    return grouped


def at(text: str) -> datetime:
    return parse_timestamp(text)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def walk(sessions: list[Any], user_id: str, page_size: int) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    cursor = None
    while not pages or pages[-1]["hasMore"]:
        page = list_page(sessions, user_id=user_id, cursor=cursor, page_size=page_size)
        pages.append(dict(page))
        cursor = page["nextCursor"]
    return pages


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_and_now_give_identical_json() -> None:
    first = json.dumps(generate(SEED, NOW), ensure_ascii=False)
    assert json.dumps(generate(SEED, NOW), ensure_ascii=False) == first


@pytest.mark.parametrize(
    ("seed", "now"),
    [
        pytest.param(SEED + 1, NOW, id="other-seed"),
        pytest.param(SEED, NOW + timedelta(days=1), id="other-now"),
    ],
)
def test_other_inputs_give_other_data(data: Dataset, seed: int, now: datetime) -> None:
    assert generate(seed, now) != data


def test_leaves_the_global_random_generator_alone() -> None:
    random.seed(1234)
    before = random.getstate()
    generate(SEED, NOW)
    assert random.getstate() == before


def test_more_users_append_and_keep_the_first_ones(data: Dataset) -> None:
    more = generate(SEED, NOW, users=5)
    assert more["users"][:3] == data["users"]
    assert more["sessions"][: len(data["sessions"])] == data["sessions"]
    assert len(more["users"]) == 5


def test_zero_users() -> None:
    assert generate(SEED, NOW, users=0) == {"users": [], "sessions": []}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"now": NOW, "users": -1}, "users", id="negative-users"),
        pytest.param({"now": NOW.replace(tzinfo=None)}, "time zone", id="naive-now"),
    ],
)
def test_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(SEED, **kwargs)


# --- users ---------------------------------------------------------------------------------------


def test_users_are_distinct_and_recognisable(datasets: list[Dataset]) -> None:
    for dataset in datasets:
        users = [User.from_dict(u) for u in dataset["users"]]
        assert len(users) == 3
        for field in ("id", "email", "token"):
            assert len({getattr(u, field) for u in users}) == 3, field
        for user in users:
            assert CUID.fullmatch(user.id)
            assert TOKEN.fullmatch(user.token)
            assert re.fullmatch(r"[a-z]+\.[a-z]+\d*@example\.(com|org|net)", user.email)
            assert " " in user.name
            assert user.token.startswith(f"fst_{user.name.split()[0].lower()}_")


def test_each_users_token_signs_in_as_that_user(data: Dataset) -> None:
    users = [User.from_dict(u) for u in data["users"]]
    for user in users:
        assert holder_of(users, user.token) == user


# --- sessions ------------------------------------------------------------------------------------


def test_ids_are_cuid_like_and_unique(datasets: list[Dataset]) -> None:
    for dataset in datasets:
        ids = [s["id"] for s in dataset["sessions"]] + [u["id"] for u in dataset["users"]]
        assert len(set(ids)) == len(ids)
        assert all(CUID.fullmatch(i) for i in ids)


def test_timestamps_are_iso_milliseconds_and_in_the_past(datasets: list[Dataset]) -> None:
    for dataset in datasets:
        for s in dataset["sessions"]:
            assert TIMESTAMP.fullmatch(s["startedAt"])
            assert at(s["startedAt"]) < NOW
            if s["endedAt"] is not None:
                assert TIMESTAMP.fullmatch(s["endedAt"])
                assert at(s["startedAt"]) < at(s["endedAt"]) <= NOW


def test_each_user_has_months_of_fasts_and_at_most_one_active(datasets: list[Dataset]) -> None:
    active_counts = []
    for dataset in datasets:
        grouped = by_user(dataset)
        assert set(grouped) == {u["id"] for u in dataset["users"]}
        for sessions in grouped.values():
            completed = [s for s in sessions if s["endedAt"] is not None]
            active = [s for s in sessions if s["endedAt"] is None]
            assert 30 <= len(completed) <= 90
            assert min(at(s["startedAt"]) for s in completed) < NOW - timedelta(days=45)
            assert len(active) <= 1
            latest_end = max(at(s["endedAt"]) for s in completed)
            assert all(at(s["startedAt"]) > latest_end for s in active)
            active_counts.append(len(active))
    assert set(active_counts) == {0, 1}, "the seeds should show users with and without one"


def test_one_tie_per_user_nested_and_no_other_overlap(datasets: list[Dataset]) -> None:
    for dataset in datasets:
        for sessions in by_user(dataset).values():
            starts: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for s in sessions:
                starts[s["startedAt"]].append(s)
            ties = [group for group in starts.values() if len(group) > 1]
            assert len(ties) == 1
            assert len(ties[0]) == 2
            assert all(s["endedAt"] is not None for s in ties[0])
            # Between start instants, each group ends before the next one starts.
            groups = sorted(starts.items(), key=lambda item: at(item[0]))
            for (_, earlier), (later_start, _) in pairwise(groups):
                assert all(s["endedAt"] is not None for s in earlier)
                assert max(at(s["endedAt"]) for s in earlier) <= at(later_start)


def test_goals_come_from_common_protocols_and_durations_hover_around_them(data: Dataset) -> None:
    goals = [s["goalMinutes"] for s in data["sessions"]]
    assert set(goals) <= GOALS
    assert None in goals
    assert sum(g is not None for g in goals) > 0.7 * len(goals)
    assert len(set(goals) - {None}) >= 2
    ratios = [
        (at(s["endedAt"]) - at(s["startedAt"])) / timedelta(minutes=s["goalMinutes"])
        for s in data["sessions"]
        if s["endedAt"] is not None and s["goalMinutes"] is not None
    ]
    assert 0.9 <= statistics.median(ratios) <= 1.1
    assert min(ratios) < 0.9  # some fasts broken early (and the tie's short duplicate)
    assert max(ratios) > 1.05


def test_notes_fit_the_limit_in_code_points_and_utf16_units(datasets: list[Dataset]) -> None:
    for dataset in datasets:
        for sessions in by_user(dataset).values():
            notes = [s["notes"] for s in sessions]
            texts = [n for n in notes if n is not None]
            assert None in notes
            assert all(utf16_length(n) <= NOTES_MAX_LENGTH for n in texts)
            assert any(len(n) == NOTES_MAX_LENGTH for n in texts)
            assert any(240 <= len(n) < NOTES_MAX_LENGTH for n in texts)
            assert any(not n.isascii() for n in texts)
            assert any(any(ord(c) > 0xFFFF for c in n) for n in texts), "an emoji"
            assert all(n == n.strip() and n for n in texts)


def test_completed_sessions_validate_as_spec_sessions(
    datasets: list[Dataset], session_validator: OAS30ReadValidator
) -> None:
    for dataset in datasets:
        for s in dataset["sessions"]:
            if s["endedAt"] is None:
                continue
            shown = public(s)
            assert tuple(shown) == SESSION_FIELDS
            session_validator.validate(shown)


def test_every_page_validates_and_the_tie_pages_by_id_descending(
    data: Dataset, page_validator: OAS30ReadValidator
) -> None:
    for user in data["users"]:
        for page_size in (7, 50):
            pages = walk(data["sessions"], user["id"], page_size)
            for page in pages:
                page_validator.validate(page)
            walked = [s for page in pages for s in page["data"]]
            tie = [(a, b) for a, b in pairwise(walked) if a["startedAt"] == b["startedAt"]]
            assert len(tie) == 1
            assert tie[0][0]["id"] > tie[0][1]["id"]


# --- the document's example ----------------------------------------------------------------------


@pytest.fixture
def docs() -> Dataset:
    return docs_dataset()


def alex(docs: Dataset) -> str:
    return docs["users"][0]["id"]


def test_docs_first_page_is_the_documented_example_with_our_cursor(
    docs: Dataset, spec_examples: dict[str, Any]
) -> None:
    page = list_page(docs["sessions"], user_id=alex(docs), cursor=None, page_size=1)
    documented = spec_examples["documented"]
    # The document's abbreviated `nextCursor` names the next page's first session instead.
    assert page == {**documented, "nextCursor": "cm1abc123def"}
    following = list_page(docs["sessions"], user_id=alex(docs), cursor="cm1abc123def", page_size=1)
    assert following["data"][0]["id"] == documented["nextCursor"]


@pytest.mark.parametrize(
    ("cursor", "page_size"),
    [
        pytest.param("cm1abc123def", 20, id="second-request-of-the-document"),
        pytest.param("cm1abc123def", 2, id="exactly-full-page"),
    ],
)
def test_docs_next_page_is_the_spec_last_page_example(
    docs: Dataset, spec_examples: dict[str, Any], cursor: str, page_size: int
) -> None:
    page = list_page(docs["sessions"], user_id=alex(docs), cursor=cursor, page_size=page_size)
    assert page == spec_examples["last-page"]


@pytest.mark.parametrize(
    ("user_index", "cursor"),
    [
        pytest.param(1, None, id="user-with-only-an-active-fast"),
        pytest.param(0, "cm1zzz999zzz", id="unknown-cursor"),
        pytest.param(0, "cm1act000one", id="active-fast-as-cursor"),
    ],
)
def test_docs_empty_pages_are_the_spec_empty_example(
    docs: Dataset, spec_examples: dict[str, Any], user_index: int, cursor: str | None
) -> None:
    user_id = docs["users"][user_index]["id"]
    page = list_page(docs["sessions"], user_id=user_id, cursor=cursor, page_size=20)
    assert page == spec_examples["empty"]


def test_docs_sessions_validate_and_users_sign_in(
    docs: Dataset, session_validator: OAS30ReadValidator
) -> None:
    for s in docs["sessions"]:
        if s["endedAt"] is not None:
            session_validator.validate(public(s))
    users = [User.from_dict(u) for u in docs["users"]]
    for user in users:
        assert TOKEN.fullmatch(user.token)
        assert holder_of(users, user.token) == user


def test_docs_dataset_is_a_fresh_copy_each_time() -> None:
    first = docs_dataset()
    first["sessions"].clear()
    assert len(docs_dataset()["sessions"]) == 5
