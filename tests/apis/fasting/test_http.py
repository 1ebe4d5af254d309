"""``GET /api/sessions`` over HTTP: sign-in, scope, order, ``pageSize``, cursors, faults, seeds.

Every client comes from the ``mock_client`` fixture, which fails a test whose responses broke the
spec, so each test here also checks the shape of what it received.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mockgate.core.timestamps import parse_timestamp

if TYPE_CHECKING:
    from tests.conftest import MockClient

    MakeClient = Callable[..., MockClient]

URL = "/api/sessions"
SEED = 1
COOKIE = "authjs.session-token"
UNAUTHORIZED = {"error": "Unauthorized"}
EMPTY = {"data": [], "nextCursor": None, "hasMore": False}


@pytest.fixture
def client(mock_client: MakeClient) -> MockClient:
    return mock_client("fasting", seed=SEED)


@pytest.fixture
def users(client: MockClient) -> list[dict[str, Any]]:
    """The seeded users, in the dataset's order."""
    return client.ctx.store.values("users")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def fetch(client: MockClient, token: str, **params: str) -> dict[str, Any]:
    response = client.get(URL, params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def walk(client: MockClient, token: str, page_size: int) -> list[dict[str, Any]]:
    """Every page from the first one, following ``nextCursor`` while ``hasMore``."""
    pages = [fetch(client, token, pageSize=str(page_size))]
    while pages[-1]["hasMore"]:
        assert len(pages) <= 200, "paging does not end"
        cursor = pages[-1]["nextCursor"]
        pages.append(fetch(client, token, pageSize=str(page_size), cursor=cursor))
    return pages


def ids(sessions: list[dict[str, Any]]) -> list[str]:
    return [s["id"] for s in sessions]


def walked_ids(client: MockClient, token: str, page_size: int = 50) -> list[str]:
    return [sid for page in walk(client, token, page_size) for sid in ids(page["data"])]


def stored(client: MockClient, user: dict[str, Any], *, active: bool) -> set[str]:
    """Ids of ``user``'s stored sessions that are active (``endedAt`` null) or completed."""
    return {
        s["id"]
        for s in client.ctx.store.values("sessions")
        if s["userId"] == user["id"] and (s["endedAt"] is None) is active
    }


def assert_newest_first(sessions: list[dict[str, Any]]) -> int:
    """``startedAt`` descending, ``id`` descending within a tie; returns the number of ties."""
    ties = 0
    for newer, older in pairwise(sessions):
        newer_at, older_at = (parse_timestamp(s["startedAt"]) for s in (newer, older))
        assert newer_at >= older_at, (newer, older)
        if newer_at == older_at:
            ties += 1
            assert newer["id"] > older["id"], (newer, older)
    return ties


# --- signing in ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        pytest.param(lambda t: {}, {}, id="no-credentials"),
        pytest.param(lambda t: bearer("fst_nobody_" + "0" * 32), {}, id="wrong-bearer-token"),
        pytest.param(lambda t: {"Cookie": f"{COOKIE}=fst_nobody_x"}, {}, id="wrong-cookie-token"),
        pytest.param(lambda t: bearer(t + "x"), {}, id="token-plus-suffix"),
        pytest.param(lambda t: bearer(t.upper()), {}, id="token-in-upper-case"),
        pytest.param(lambda t: {"Authorization": "Bearer "}, {}, id="empty-bearer"),
        pytest.param(lambda t: {"Authorization": f"Bearer {t} x"}, {}, id="bearer-extra-part"),
        pytest.param(lambda t: {"Authorization": f"Basic {t}"}, {}, id="basic-scheme"),
        pytest.param(lambda t: {"Authorization": t}, {}, id="token-without-scheme"),
        pytest.param(lambda t: {"Cookie": f"{COOKIE}="}, {}, id="empty-cookie"),
        pytest.param(
            lambda t: {"Cookie": f"next-auth.session-token={t}"}, {}, id="next-auth-v4-cookie-name"
        ),
        pytest.param(lambda t: {"Cookie": f"session={t}"}, {}, id="other-cookie-name"),
        pytest.param(lambda t: {}, {"token": "TOKEN"}, id="token-in-query"),
    ],
)
def test_without_a_valid_credential_is_401_unauthorized(
    client: MockClient,
    users: list[dict[str, Any]],
    headers: Callable[[str], dict[str, str]],
    params: dict[str, str],
) -> None:
    token = users[0]["token"]
    params = {k: token if v == "TOKEN" else v for k, v in params.items()}
    response = client.get(URL, headers=headers(token), params=params)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"], ids=["Bearer", "lower", "upper"])
def test_bearer_token_signs_in(
    client: MockClient, users: list[dict[str, Any]], scheme: str
) -> None:
    user = users[0]
    response = client.get(URL, headers={"Authorization": f"{scheme} {user['token']}"})
    assert response.status_code == 200
    got = ids(response.json()["data"])
    assert len(got) == 20
    assert set(got) <= stored(client, user, active=False)


@pytest.mark.parametrize(
    "cookie",
    [
        pytest.param(f"{COOKIE}=TOKEN", id="alone"),
        pytest.param(f"theme=dark; {COOKIE}=TOKEN; lang=en", id="among-others"),
        pytest.param(f'{COOKIE}="TOKEN"', id="quoted"),
        pytest.param(f"  {COOKIE} = TOKEN ;", id="loose-whitespace"),
        pytest.param(f"_ga=GA1.1.42; cart=a,b; x=; {COOKIE}=TOKEN", id="commas-and-empty-value"),
        pytest.param(f"{COOKIE}=stale; {COOKIE}=TOKEN", id="stale-copy-first"),
        # A malformed cookie after the session cookie.
        pytest.param(f'{COOKIE}=TOKEN; other="a b', id="unterminated-quote-after"),
        # Browsers send other apps' cookies on a shared host (localhost): none may break sign-in.
        pytest.param(f'other="a b; {COOKIE}=TOKEN', id="unterminated-quote-before"),
        pytest.param(f'prefs={{"theme":"dark"}}; {COOKIE}=TOKEN', id="json-value-before"),
        pytest.param(f"other=a b; {COOKIE}=TOKEN", id="space-in-value-before"),
        pytest.param(f"{COOKIE}=TOKEN; other=a b", id="space-in-value-after"),
        pytest.param(f"cart[0]=1; {COOKIE}=TOKEN", id="bracket-in-name-before"),
        pytest.param(f"flag; {COOKIE}=TOKEN", id="nameless-cookie-before"),
        pytest.param(f"version=2; {COOKIE}=TOKEN", id="attribute-name-before"),
        pytest.param(f"bad,name=1; {COOKIE}=TOKEN", id="illegal-name-before"),
        pytest.param(f"{COOKIE}=TOKEN; bad,name=1", id="illegal-name-after"),
        pytest.param(f"{COOKIE}=TOKEN; {COOKIE}=stale", id="stale-copy-last"),
        pytest.param(f"__Secure-{COOKIE}=TOKEN", id="secure-prefixed-name"),
    ],
)
def test_session_cookie_signs_in(
    client: MockClient, users: list[dict[str, Any]], cookie: str
) -> None:
    user = users[0]
    response = client.get(URL, headers={"Cookie": cookie.replace("TOKEN", user["token"])})
    assert response.status_code == 200, response.text
    assert response.json() == fetch(client, user["token"])


@pytest.mark.parametrize(
    ("cookie_user", "bearer_user", "expected_user"),
    [
        pytest.param(0, 1, 0, id="cookie-wins-like-the-real-app"),
        pytest.param(None, 1, 1, id="wrong-cookie-then-bearer"),
        pytest.param("bad,name=1", 1, 1, id="malformed-cookie-header-then-bearer"),
        pytest.param(0, None, 0, id="cookie-then-wrong-bearer"),
    ],
)
def test_cookie_and_bearer_together(
    client: MockClient,
    users: list[dict[str, Any]],
    cookie_user: int | str | None,
    bearer_user: int | None,
    expected_user: int,
) -> None:
    if isinstance(cookie_user, str):
        cookie = cookie_user
    else:
        cookie_token = "wrong" if cookie_user is None else users[cookie_user]["token"]
        cookie = f"{COOKIE}={cookie_token}"
    bearer_token = "wrong" if bearer_user is None else users[bearer_user]["token"]
    response = client.get(URL, headers={"Cookie": cookie, **bearer(bearer_token)})
    assert response.status_code == 200
    assert response.json() == fetch(client, users[expected_user]["token"])


# --- whose sessions, in which order --------------------------------------------------------------


def test_each_user_sees_only_their_own_completed_sessions(
    client: MockClient, users: list[dict[str, Any]]
) -> None:
    assert len(users) >= 2
    active = set().union(*(stored(client, u, active=True) for u in users))
    assert active, f"seed {SEED} should hold an active fast, or this test proves nothing about them"
    seen: list[set[str]] = []
    for user in users:
        got = walked_ids(client, user["token"])
        assert len(got) == len(set(got))
        assert set(got) == stored(client, user, active=False)
        assert not set(got) & active
        seen.append(set(got))
    for index, mine in enumerate(seen):
        for other in seen[index + 1 :]:
            assert not mine & other


def test_newest_first_and_id_descending_within_a_tie(
    client: MockClient, users: list[dict[str, Any]]
) -> None:
    for user in users:
        sessions = [s for page in walk(client, user["token"], 50) for s in page["data"]]
        # The dataset gives every user one tie (a double-tapped start), so the tie-break shows.
        assert assert_newest_first(sessions) == 1


# --- pageSize ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [
        pytest.param(None, 20, id="absent"),
        pytest.param("1", 1, id="1"),
        pytest.param("50", 50, id="50"),
        pytest.param("51", 50, id="51-clamped"),
        pytest.param("1000", 50, id="1000-clamped"),
        pytest.param("abc", 20, id="abc-default"),
        pytest.param("0", 20, id="0-default"),
        pytest.param("-1", 20, id="minus-1-default"),
        pytest.param("", 20, id="empty-default"),
        pytest.param("2.5", 20, id="fraction-default"),
    ],
)
def test_page_size(
    client: MockClient, users: list[dict[str, Any]], page_size: str | None, expected: int
) -> None:
    user = users[0]
    assert len(stored(client, user, active=False)) > 50, "the clamp needs more than 50 sessions"
    page = fetch(client, user["token"], **({} if page_size is None else {"pageSize": page_size}))
    assert len(page["data"]) == expected
    assert page["hasMore"] is True
    assert page["nextCursor"] == page["data"][-1]["id"]


# --- cursors -------------------------------------------------------------------------------------


def test_pages_chain_and_the_last_one_says_so(
    client: MockClient, users: list[dict[str, Any]]
) -> None:
    user = users[0]
    pages = walk(client, user["token"], 20)
    assert len(pages) >= 3
    for page in pages[:-1]:
        assert len(page["data"]) == 20
        assert page["hasMore"] is True
        assert page["nextCursor"] == page["data"][-1]["id"]
    assert pages[-1]["hasMore"] is False
    assert pages[-1]["nextCursor"] is None
    assert 0 < len(pages[-1]["data"]) <= 20


def test_an_exactly_full_last_page_has_no_cursor(
    client: MockClient, users: list[dict[str, Any]]
) -> None:
    user = users[0]
    every = walked_ids(client, user["token"])
    page = fetch(client, user["token"], pageSize="10", cursor=every[-11])
    assert ids(page["data"]) == every[-10:]
    assert page["hasMore"] is False
    assert page["nextCursor"] is None


def _tie_position(sessions: list[dict[str, Any]]) -> int:
    return next(
        i for i, (a, b) in enumerate(pairwise(sessions)) if a["startedAt"] == b["startedAt"]
    )


@pytest.mark.parametrize(
    "where",
    ["first", "second", "tie-first", "tie-second", "second-to-last", "empty-cursor"],
    ids=str,
)
def test_the_page_starts_right_after_the_cursor_session(
    client: MockClient, users: list[dict[str, Any]], where: str
) -> None:
    user = users[0]
    sessions = [s for page in walk(client, user["token"], 50) for s in page["data"]]
    every = ids(sessions)
    if where == "empty-cursor":  # the real route's `cursor ? ... : {}`: "" is the first page
        cursor, start = "", 0
    else:
        tie = _tie_position(sessions)
        position = {
            "first": 0,
            "second": 1,
            "tie-first": tie,
            "tie-second": tie + 1,
            "second-to-last": len(every) - 2,
        }[where]
        cursor, start = every[position], position + 1
    page = fetch(client, user["token"], pageSize="5", cursor=cursor)
    assert ids(page["data"]) == every[start : start + 5]
    assert cursor not in ids(page["data"])


@pytest.mark.parametrize("cursor", ["unknown", "another-users-session", "own-active-fast"], ids=str)
def test_a_cursor_that_is_not_a_completed_session_of_the_user_gives_the_empty_page(
    client: MockClient, users: list[dict[str, Any]], cursor: str
) -> None:
    owner = next(u for u in users if stored(client, u, active=True))
    other = next(u for u in users if u is not owner)
    value = {
        "unknown": "cm1zzz999zzz",
        "another-users-session": sorted(stored(client, other, active=False))[0],
        "own-active-fast": sorted(stored(client, owner, active=True))[0],
    }[cursor]
    assert fetch(client, owner["token"], cursor=value) == EMPTY


def test_walking_any_page_size_returns_every_completed_session_once_in_order(
    client: MockClient, users: list[dict[str, Any]]
) -> None:
    # One mock for every example (the API only reads); hypothesis drives the inner function.
    expected = {u["id"]: stored(client, u, active=False) for u in users}

    @settings(max_examples=25, database=None, deadline=None)
    @given(page_size=st.integers(1, 50), user=st.sampled_from(users))
    @example(page_size=1, user=users[0])
    @example(page_size=50, user=users[-1])
    def walk_all(page_size: int, user: dict[str, Any]) -> None:
        pages = walk(client, user["token"], page_size)
        for page in pages[:-1]:
            assert len(page["data"]) == page_size
            assert page["nextCursor"] == page["data"][-1]["id"]
        assert pages[-1]["nextCursor"] is None
        assert len(pages[-1]["data"]) <= page_size
        sessions = [s for page in pages for s in page["data"]]
        assert len(sessions) == len(expected[user["id"]])
        assert set(ids(sessions)) == expected[user["id"]]
        assert_newest_first(sessions)

    walk_all()


# --- everything else the route does --------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "same_as"),
    [
        pytest.param({"foo": "bar"}, {}, id="unknown"),
        pytest.param({"pageSize": "5", "foo": "bar"}, {"pageSize": "5"}, id="beside-known-ones"),
        pytest.param({"page_size": "5"}, {}, id="snake-case-page-size"),
        pytest.param({"limit": "5", "offset": "3"}, {}, id="offset-paging"),
        pytest.param({"user": "OTHER"}, {}, id="another-users-id"),
    ],
)
def test_unknown_query_parameters_are_ignored(
    client: MockClient,
    users: list[dict[str, Any]],
    params: dict[str, str],
    same_as: dict[str, str],
) -> None:
    token = users[0]["token"]
    params = {k: users[1]["id"] if v == "OTHER" else v for k, v in params.items()}
    response = client.get(URL, params=params, headers=bearer(token))
    assert response.status_code == 200
    assert response.content == client.get(URL, params=same_as, headers=bearer(token)).content


def test_a_fault_answers_the_documented_500_once(
    client: MockClient, users: list[dict[str, Any]]
) -> None:
    token = users[0]["token"]
    fault = {"operation": "listSessions", "status": 500, "times": 1}
    assert client.post("/__mockgate/faults", json=fault).status_code == 201
    failed = client.get(URL, headers=bearer(token))
    assert failed.status_code == 500
    assert failed.headers["content-type"] == "application/json"
    assert failed.json() == {"error": "Internal server error"}
    assert client.get(URL, headers=bearer(token)).status_code == 200


def test_the_same_seed_gives_byte_identical_pages(mock_client: MakeClient) -> None:
    def pages(client: MockClient) -> list[bytes]:
        contents = []
        for user in client.ctx.store.values("users"):
            cursor = None
            while True:
                params = {"pageSize": "13", **({"cursor": cursor} if cursor else {})}
                response = client.get(URL, params=params, headers=bearer(user["token"]))
                assert response.status_code == 200
                contents.append(response.content)
                cursor = response.json()["nextCursor"]
                if cursor is None:
                    break
        return contents

    first = pages(mock_client("fasting", seed=SEED))
    assert len(first) > 3
    assert pages(mock_client("fasting", seed=SEED)) == first
    assert pages(mock_client("fasting", seed=SEED + 1))[0] != first[0]


# --- the document's example (dataset "docs") -----------------------------------------------------


@pytest.fixture
def docs(mock_client: MakeClient) -> MockClient:
    return mock_client("fasting", dataset="docs")


def docs_token(client: MockClient, name: str) -> str:
    return next(u["token"] for u in client.ctx.store.values("users") if u["name"] == name)


def test_docs_first_page_is_the_documented_example_with_our_cursor(
    docs: MockClient, spec_examples: dict[str, Any]
) -> None:
    documented = spec_examples["documented"]
    alex = docs_token(docs, "Alex Example")
    # As the dataset says: our `nextCursor` is the last returned id; the document's abbreviated
    # one names the first session of the next page instead.
    assert fetch(docs, alex, pageSize="1") == {**documented, "nextCursor": "cm1abc123def"}
    following = fetch(docs, alex, pageSize="1", cursor="cm1abc123def")
    assert ids(following["data"]) == [documented["nextCursor"]]


@pytest.mark.parametrize(
    "params",
    [{"cursor": "cm1abc123def"}, {"cursor": "cm1abc123def", "pageSize": "2"}],
    ids=["default-page-size", "exactly-full-page"],
)
def test_docs_second_request_of_the_document_is_the_last_page_example(
    docs: MockClient, spec_examples: dict[str, Any], params: dict[str, str]
) -> None:
    assert fetch(docs, docs_token(docs, "Alex Example"), **params) == spec_examples["last-page"]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        pytest.param("Sam Newcomer", {}, id="user-with-only-an-active-fast"),
        pytest.param("Alex Example", {"cursor": "cm1zzz999zzz"}, id="unknown-cursor"),
        pytest.param("Alex Example", {"cursor": "cm1act000one"}, id="active-fast-as-cursor"),
    ],
)
def test_docs_empty_pages_are_the_empty_example(
    docs: MockClient, spec_examples: dict[str, Any], name: str, params: dict[str, str]
) -> None:
    assert fetch(docs, docs_token(docs, name), **params) == spec_examples["empty"]


def test_docs_users_sign_in_with_the_session_cookie(docs: MockClient) -> None:
    alex = docs_token(docs, "Alex Example")
    response = docs.get(URL, headers={"Cookie": f"{COOKIE}={alex}"})
    assert response.status_code == 200
    assert ids(response.json()["data"]) == ["cm1abc123def", "cm1xyz789ghi", "cm1old000aaa"]
