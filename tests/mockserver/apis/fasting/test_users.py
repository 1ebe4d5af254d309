"""A request is a user's only with that user's token, in the session cookie or as a bearer token."""

from __future__ import annotations

import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.apis.fasting import users as users_module
from mockserver.apis.fasting.users import User, authenticate

ADA = User("u1", "Ada Lovelace", "ada@example.com", "fst_ada_0123456789abcdef")
BOB = User("u2", "Bob Müller", "bob@example.com", "fst_bob_fedcba9876543210")
NOBODY = User("u3", "No Token", "none@example.com", "")  # an empty token must never match
USERS = (ADA, BOB, NOBODY)


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [
        pytest.param(f"authjs.session-token={ADA.token}", ADA, id="plain"),
        pytest.param(f"__Secure-authjs.session-token={BOB.token}", BOB, id="secure-prefix"),
        pytest.param(f"theme=dark; authjs.session-token={ADA.token}; lang=en", ADA, id="among"),
        pytest.param(f'authjs.session-token="{ADA.token}"', ADA, id="quoted"),
        pytest.param(f"  authjs.session-token =  {ADA.token} ;", ADA, id="loose-whitespace"),
        # Headers that make http.cookies.SimpleCookie give up or raise.
        pytest.param(f"a=b c; authjs.session-token={ADA.token}", ADA, id="space-in-other-value"),
        pytest.param(f'a="x; authjs.session-token={ADA.token}', ADA, id="stray-quote-before"),
        pytest.param(
            f"bad,name=2; authjs.session-token={ADA.token}", ADA, id="illegal-name-before"
        ),
        pytest.param(
            f"authjs.session-token=stale; authjs.session-token={BOB.token}", BOB, id="repeated-name"
        ),
        pytest.param(f"next-auth.session-token={ADA.token}", None, id="next-auth-v4-name"),
        pytest.param(f"AuthJS.session-token={ADA.token}", None, id="names-are-case-sensitive"),
        pytest.param(f"authjs.session-token.0={ADA.token}", None, id="chunked-not-reassembled"),
        pytest.param(f"session={ADA.token}", None, id="other-cookie"),
        pytest.param("authjs.session-token=fst_ada_wrong", None, id="wrong-token"),
        pytest.param(f"authjs.session-token={ADA.token}x", None, id="token-prefix-only"),
        pytest.param('authjs.session-token=""', None, id="empty-quoted-vs-empty-token"),
        pytest.param("authjs.session-token=", None, id="empty-value"),
        pytest.param(ADA.token, None, id="bare-value"),
        pytest.param("", None, id="empty-header"),
        pytest.param(";;; = ;", None, id="punctuation"),
        pytest.param("authjs.session-token=caf\u00e9", None, id="non-ascii-value"),
        pytest.param("authjs.session-token=\ud800", None, id="lone-surrogate"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_session_cookie(cookie: str | None, expected: User | None) -> None:
    assert authenticate(USERS, cookie=cookie, authorization=None) == expected


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        pytest.param(f"Bearer {ADA.token}", ADA, id="bearer"),
        pytest.param(f"bearer {BOB.token}", BOB, id="lowercase-scheme"),
        pytest.param(f"BEARER {ADA.token}", ADA, id="uppercase-scheme"),
        pytest.param(f"  Bearer   {ADA.token}  ", ADA, id="extra-whitespace"),
        pytest.param(f"Basic {ADA.token}", None, id="basic-scheme"),
        pytest.param(f"Token {ADA.token}", None, id="other-scheme"),
        pytest.param(ADA.token, None, id="no-scheme"),
        pytest.param(f"Bearer {ADA.token} extra", None, id="trailing-part"),
        pytest.param("Bearer", None, id="scheme-only"),
        pytest.param("Bearer ", None, id="scheme-and-space"),
        pytest.param("Bearer fst_ada_wrong", None, id="wrong-token"),
        pytest.param(f"Bearer {ADA.token.upper()}", None, id="tokens-are-case-sensitive"),
        pytest.param("Bearer caf\u00e9", None, id="non-ascii-token"),
        pytest.param("Bearer \ud800", None, id="lone-surrogate"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_bearer_token(authorization: str | None, expected: User | None) -> None:
    assert authenticate(USERS, cookie=None, authorization=authorization) == expected


@pytest.mark.parametrize(
    ("cookie", "authorization", "expected"),
    [
        pytest.param(
            f"authjs.session-token={ADA.token}", f"Bearer {BOB.token}", ADA, id="cookie-wins"
        ),
        pytest.param(
            "authjs.session-token=wrong", f"Bearer {BOB.token}", BOB, id="bad-cookie-good-bearer"
        ),
        pytest.param(
            f"authjs.session-token={ADA.token}", "Bearer wrong", ADA, id="good-cookie-bad-bearer"
        ),
        pytest.param("authjs.session-token=wrong", "Bearer wrong", None, id="both-wrong"),
    ],
)
def test_cookie_and_bearer(cookie: str, authorization: str, expected: User | None) -> None:
    assert authenticate(USERS, cookie=cookie, authorization=authorization) == expected


def test_no_users_no_match() -> None:
    assert authenticate([], cookie=None, authorization=f"Bearer {ADA.token}") is None


def test_accepts_any_iterable_of_users() -> None:
    assert authenticate(iter(USERS), cookie=None, authorization=f"Bearer {BOB.token}") == BOB


def test_tokens_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(users_module.hmac, "compare_digest", spy)
    assert authenticate(USERS, cookie=None, authorization=f"Bearer {ADA.token}") == ADA
    # Every user with a token is compared, not just those up to the match.
    assert calls == [
        (ADA.token.encode(), ADA.token.encode()),
        (ADA.token.encode(), BOB.token.encode()),
    ]


@settings(max_examples=200, database=None, deadline=None)
@given(cookie=st.none() | st.text(), authorization=st.none() | st.text())
def test_never_raises_on_arbitrary_headers(cookie: str | None, authorization: str | None) -> None:
    assert authenticate(USERS, cookie=cookie, authorization=authorization) in (None, *USERS)


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
