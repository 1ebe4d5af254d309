"""The violation store: bounded, counted per operation, credentials and bodies kept short."""

from __future__ import annotations

import pytest

from mockgate.openapi.catalog import get_api
from mockgate.proxy.violations import (
    EXCERPT_CHARS,
    REQUEST_CHECK,
    RESPONSE_CHECK,
    Exchange,
    Redactor,
    ViolationStore,
    excerpt,
)


def exchange(path: str = "/api/sessions") -> Exchange:
    return Exchange("GET", path, "", {}, None, 200, {}, None)


def test_the_store_keeps_the_latest_violations_and_counts_the_dropped():
    store = ViolationStore(limit=2)
    for n in range(3):
        store.record("listSessions", exchange(f"/api/sessions/{n}"), response=[f"problem {n}"])
    assert [v.id for v in store] == [2, 3]
    assert [v.exchange.path for v in store] == ["/api/sessions/1", "/api/sessions/2"]
    assert (store.dropped, store.exchanges) == (1, 3)


def test_a_conforming_exchange_is_counted_not_kept():
    store = ViolationStore()
    assert store.record("listSessions", exchange()) is None
    store.record("listSessions", exchange(), request=["query parameter limit: ..."])
    assert len(store) == 1
    assert store.passed == {("listSessions", REQUEST_CHECK): 1, ("listSessions", RESPONSE_CHECK): 2}
    assert store.failed == {("listSessions", REQUEST_CHECK): 1}


def test_a_request_outside_the_spec_leaves_its_response_unjudged():
    store = ViolationStore()
    store.record(
        "(not in spec)", exchange("/nope"), request=["GET /nope is not in the spec"], response=None
    )
    assert store.failed == {("(not in spec)", REQUEST_CHECK): 1}
    assert not store.passed


@pytest.mark.parametrize(
    ("api", "header"),
    [
        pytest.param("state-tracking", "x-api-key", id="state-tracking"),
        pytest.param("agentlens", "authorization", id="agentlens"),
        pytest.param("fasting", "cookie", id="fasting"),
    ],
)
def test_credentials_the_spec_names_are_redacted(api, header):
    redactor = Redactor.from_spec(get_api(api).document)
    shown = redactor.headers_of([(header, "secret"), ("accept", "application/json")])
    assert shown == {header: "[redacted]", "accept": "application/json"}


def test_api_key_query_parameters_are_redacted():
    redactor = Redactor(query=["api_key"])
    assert redactor.query_of("limit=5&api_key=secret") == "limit=5&api_key=%5Bredacted%5D"
    assert redactor.query_of("limit=5") == "limit=5"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        pytest.param(b"", "application/json", None, id="empty"),
        pytest.param(b'{"a":1}', "application/json; charset=utf-8", '{"a":1}', id="json"),
        pytest.param(b"\xff\xd8" * 50, "image/jpeg", "<100 bytes of image/jpeg>", id="image"),
        pytest.param(b"\x00", "", "<1 bytes of unknown type>", id="untyped"),
    ],
)
def test_excerpts_show_text_and_describe_bytes(body, content_type, expected):
    assert excerpt(body, content_type) == expected


def test_a_long_body_is_cut_to_an_excerpt_that_says_so():
    body = b"x" * 1_000_000
    shown = excerpt(body, "text/plain")
    assert shown == "x" * EXCERPT_CHARS + "... (1000000 bytes in all)"
