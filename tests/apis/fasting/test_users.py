"""A credential is a user's only when it is exactly that user's token."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mockgate.apis.fasting import users as users_module
from mockgate.apis.fasting.users import User, holder_of

ADA = User("u1", "Ada Lovelace", "ada@example.com", "fst_ada_0123456789abcdef")
BOB = User("u2", "Bob Müller", "bob@example.com", "fst_bob_fedcba9876543210")
NOBODY = User("u3", "No Token", "none@example.com", "")  # an empty token must never match
USERS = (ADA, BOB, NOBODY)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        pytest.param(ADA.token, ADA, id="ada"),
        pytest.param(BOB.token, BOB, id="bob"),
        pytest.param("fst_ada_wrong", None, id="wrong-token"),
        pytest.param(ADA.token[:-1], None, id="token-prefix"),
        pytest.param(f"{ADA.token}x", None, id="token-plus-suffix"),
        pytest.param(f" {ADA.token}", None, id="leading-space"),
        pytest.param(f"{ADA.token} ", None, id="trailing-space"),
        pytest.param(f'"{ADA.token}"', None, id="still-quoted"),
        pytest.param(f"Bearer {ADA.token}", None, id="whole-header-value"),
        pytest.param(ADA.token.upper(), None, id="tokens-are-case-sensitive"),
        pytest.param("", None, id="empty-vs-empty-token"),
        pytest.param("caf\u00e9", None, id="non-ascii"),
        pytest.param("\ud800", None, id="lone-surrogate"),
    ],
)
def test_holder_of(candidate: str, expected: User | None) -> None:
    assert holder_of(USERS, candidate) == expected


def test_no_users_no_holder() -> None:
    assert holder_of([], ADA.token) is None


def test_accepts_any_iterable_of_users() -> None:
    assert holder_of(iter(USERS), BOB.token) == BOB


def test_a_shared_token_belongs_to_the_first_user_holding_it() -> None:
    twin = User("u4", "Ada Twin", "twin@example.com", ADA.token)
    assert holder_of((NOBODY, ADA, twin), ADA.token) == ADA
    assert holder_of((twin, ADA), ADA.token) == twin


def test_tokens_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(users_module.hmac, "compare_digest", spy)
    assert holder_of(USERS, ADA.token) == ADA
    # Every user with a token is compared, not just those up to the match.
    assert calls == [
        (ADA.token.encode(), ADA.token.encode()),
        (ADA.token.encode(), BOB.token.encode()),
    ]


@settings(max_examples=200, database=None, deadline=None)
@given(st.text())
@example(ADA.token)
@example(BOB.token)
def test_exactly_a_users_token_names_that_user(candidate: str) -> None:
    by_token = {u.token: u for u in USERS if u.token}
    assert holder_of(USERS, candidate) == by_token.get(candidate)


def test_repr_hides_the_token() -> None:
    assert ADA.token not in repr(ADA)
    assert "Ada Lovelace" in repr(ADA)


def test_dict_round_trip() -> None:
    assert ADA.to_dict() == {
        "id": "u1",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "token": ADA.token,
    }
    assert User.from_dict(ADA.to_dict()) == ADA
