"""Which names hold a credential: the one rule the journal redacts by."""

from __future__ import annotations

import pytest

from mockgate.core.credentials import clip, looks_like_credential, words


@pytest.mark.parametrize(
    ("name", "split"),
    [
        pytest.param("X-API-Key", ("x", "api", "key"), id="header"),
        pytest.param("sessionId", ("session", "id"), id="camel-case"),
        pytest.param("APIKey", ("api", "key"), id="acronym-then-word"),
        pytest.param("authjs.session-token", ("authjs", "session", "token"), id="dots-and-dashes"),
        pytest.param("client_secret", ("client", "secret"), id="snake-case"),
        pytest.param("totalInputTokens", ("total", "input", "tokens"), id="three-words"),
        pytest.param("", (), id="empty"),
    ],
)
def test_names_are_split_into_words(name, split):
    assert words(name) == split


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Authorization", id="authorization"),
        pytest.param("proxy-authorization", id="proxy-authorization"),
        pytest.param("Cookie", id="cookie"),
        pytest.param("X-API-Key", id="x-api-key"),
        pytest.param("X-Auth-Token", id="x-auth-token"),
        pytest.param("x-amz-security-token", id="aws-session-token"),
        pytest.param("X-Amz-Signature", id="signature"),
        pytest.param("sig", id="sas-signature"),
        pytest.param("token", id="token-query"),
        pytest.param("api_key", id="api-key-query"),
        pytest.param("apikey", id="apikey-one-word"),
        pytest.param("access_token", id="access-token"),
        pytest.param("accesstoken", id="compound-token"),
        pytest.param("refreshToken", id="camel-token"),
        pytest.param("client_secret", id="secret"),
        pytest.param("password", id="password"),
        pytest.param("passwordConfirmation", id="password-is-not-the-last-word"),
        pytest.param("passwd", id="passwd"),
        pytest.param("pwd", id="pwd"),
        pytest.param("session", id="session"),
        pytest.param("authjs.session-token", id="session-cookie"),
        pytest.param("credentials", id="credentials"),
        pytest.param("private_key", id="qualified-key"),
        pytest.param("auth", id="auth"),
    ],
)
def test_credential_names(name):
    assert looks_like_credential(name)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("sessionId", id="identifier-camel"),
        pytest.param("session_id", id="identifier-snake"),
        pytest.param("X-Session-Id", id="identifier-header"),
        pytest.param("keyId", id="key-identifier"),
        pytest.param("session_ids", id="identifiers"),
        pytest.param("activeSessionCount", id="a-count"),
        pytest.param("Idempotency-Key", id="idempotency-key-is-a-retry-identity"),
        pytest.param("key", id="bare-key-is-an-object-key-too"),
        pytest.param("totalInputTokens", id="tokens-counts-llm-tokens"),
        pytest.param("active_sessions", id="sessions-is-a-list-or-count"),
        pytest.param("monkey", id="key-inside-a-word"),
        pytest.param("author", id="auth-inside-a-word"),
        pytest.param("Content-Type", id="ordinary-header"),
        pytest.param("X-Request-Id", id="request-id"),
        pytest.param("status", id="ordinary-parameter"),
        pytest.param("", id="empty"),
    ],
)
def test_names_that_are_kept(name):
    assert not looks_like_credential(name)


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        pytest.param("als_0123456789abcdef", "als_0123…", id="long-shows-eight"),
        pytest.param("abcdef", "abc…", id="short-shows-half"),
        pytest.param("a", "…", id="one-char-shows-nothing"),
        pytest.param("", "…", id="empty"),
    ],
)
def test_clip_keeps_a_recognisable_prefix(secret, shown):
    assert clip(secret) == shown
