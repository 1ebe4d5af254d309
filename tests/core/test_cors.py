"""CORS as plain rules: which origins read the mocks' answers, with or without credentials."""

from __future__ import annotations

import pytest

from mockgate.core.cors import ALLOWED_METHODS, CorsPolicy

APP = "http://localhost:5173"
API = CorsPolicy.of([APP])
ADMIN = CorsPolicy.of([APP], others=False)


def allow_origin(headers: tuple[tuple[str, str], ...]) -> tuple[str | None, bool, bool]:
    """(Access-Control-Allow-Origin, credentials allowed, Vary: Origin) of ``headers``."""
    found = dict(headers)
    return (
        found.get("Access-Control-Allow-Origin"),
        found.get("Access-Control-Allow-Credentials") == "true",
        found.get("Vary") == "Origin",
    )


@pytest.mark.parametrize(
    ("policy", "origin", "expected"),
    [
        pytest.param(API, APP, (APP, True, True), id="listed"),
        pytest.param(
            API, "http://127.0.0.1:5173", ("http://127.0.0.1:5173", True, True), id="listed-as-ip"
        ),
        pytest.param(API, "http://other.test", ("*", False, True), id="unlisted"),
        pytest.param(CorsPolicy(), "http://other.test", ("*", False, False), id="none-listed"),
        pytest.param(
            ADMIN, "http://127.0.0.1:5173", ("http://127.0.0.1:5173", True, True), id="admin-listed"
        ),
        pytest.param(ADMIN, "http://other.test", (None, False, False), id="admin-unlisted"),
        pytest.param(CorsPolicy.of([APP], enabled=False), APP, (None, False, False), id="off"),
    ],
)
def test_who_reads_an_answer(policy, origin, expected):
    answer = policy.request(origin, same_origin=False, cookies=False)
    assert allow_origin(answer.headers) == expected
    assert ("Access-Control-Allow-Origin" in dict(answer.headers)) == (answer.refusal is None)


@pytest.mark.parametrize(
    ("policy", "origin", "cookies", "refused"),
    [
        pytest.param(API, "http://other.test", True, "it carries cookies", id="cookies-unlisted"),
        pytest.param(API, "http://127.0.0.1:5173", True, None, id="cookies-listed"),
        pytest.param(API, "http://other.test", False, None, id="no-cookies"),
        pytest.param(ADMIN, "http://other.test", False, "admin API answers only", id="admin"),
        pytest.param(CorsPolicy(enabled=False), "http://other.test", False, "--no-cors", id="off"),
    ],
)
def test_why_a_browser_hides_an_answer(policy, origin, cookies, refused):
    refusal = policy.request(origin, same_origin=False, cookies=cookies).refusal
    if refused is None:
        assert refusal is None
    else:
        assert refused in refusal
    if refusal is not None and "--cors-origin" in refusal:
        assert refusal.endswith(f"start the mock with --cors-origin {origin}")


@pytest.mark.parametrize(
    "policy",
    [
        pytest.param(CorsPolicy(enabled=False), id="off"),
        pytest.param(ADMIN, id="admin"),
        pytest.param(API, id="api"),
    ],
)
def test_the_mocks_own_pages_are_never_refused(policy):
    answer = policy.request("http://localhost:3400", same_origin=True, cookies=True)
    assert answer.refusal is None


def test_a_preflight_echoes_the_headers_asked_for():
    answer = API.preflight(APP, "PUT", "authorization, x-custom", same_origin=False)
    headers = dict(answer.headers)
    assert answer.refusal is None
    assert headers["Access-Control-Allow-Headers"] == "authorization, x-custom"
    assert headers["Access-Control-Allow-Methods"] == ", ".join(ALLOWED_METHODS)
    assert allow_origin(answer.headers) == (APP, True, True)
    unlisted = API.preflight("http://other.test", "GET", None, same_origin=False)
    assert allow_origin(unlisted.headers) == ("*", False, True)
    assert "Access-Control-Allow-Headers" not in dict(unlisted.headers)


def test_a_private_network_preflight_is_allowed():
    answer = API.preflight(
        "https://app.example", "GET", None, same_origin=False, private_network=True
    )
    assert dict(answer.headers)["Access-Control-Allow-Private-Network"] == "true"


@pytest.mark.parametrize(
    ("policy", "origin", "method", "refused"),
    [
        pytest.param(API, APP, "TRACE", "asks for the method 'TRACE'", id="method"),
        pytest.param(API, APP, "get", "asks for the method 'get'", id="method-case"),
        pytest.param(ADMIN, "http://other.test", "PUT", "admin API answers only", id="admin"),
        pytest.param(CorsPolicy(enabled=False), APP, "GET", "--no-cors", id="off"),
    ],
)
def test_a_refused_preflight_is_not_answered_and_says_why(policy, origin, method, refused):
    answer = policy.preflight(origin, method, None, same_origin=False)
    assert answer.headers == ()
    assert answer.refusal is not None
    assert refused in answer.refusal


def test_a_refusal_quotes_a_long_origin_only_in_part():
    origin = "http://" + "a" * 5000 + ".test"
    refusal = ADMIN.request(origin, same_origin=False, cookies=False).refusal
    assert refusal is not None
    assert len(refusal) < 400
