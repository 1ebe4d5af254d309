"""The request journal: entries from HTTP, redaction, truncation, bounds (per entry and in all),
filters, threads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from mockgate.core.clock import Clock
from mockgate.core.journal import (
    BODY_LIMIT,
    FIELDS_LIMIT,
    HEAD_LIMIT,
    MORE,
    VALUE_LIMIT,
    Journal,
    JournalEntry,
    raw_size,
)

AT = datetime(2026, 1, 19, 12, 0, 0, 123456, tzinfo=UTC)


def entry(entry_id: int = 1, **changes) -> JournalEntry:
    fields = {
        "id": entry_id,
        "time": AT,
        "method": "GET",
        "path": "/sessions",
        "status": 200,
        "duration_ms": 1.5,
    }
    return JournalEntry.capture(**(fields | changes))


def test_capture_normalises_a_request():
    made = JournalEntry.capture(
        id=7,
        time=Clock(AT, frozen=True).now(),
        method="post",
        path="/sessions/abc/heartbeat",
        query="tag=a&tag=b&empty=&x=%20y",
        headers=[("Content-Type", "application/json"), ("Accept", "a/b"), ("accept", "c/d")],
        body=b'{"ok": true}',
        status=201,
        duration_ms=12.34567,
        operation_id="sendHeartbeat",
    )
    assert made.to_json() == {
        "id": 7,
        "time": "2026-01-19T12:00:00.123Z",
        "method": "POST",
        "path": "/sessions/abc/heartbeat",
        "query": {"tag": ["a", "b"], "empty": [""], "x": [" y"]},
        "headers": {"content-type": "application/json", "accept": "a/b, c/d"},
        "body": '{"ok": true}',
        "status": 201,
        "duration_ms": 12.346,
        "operation_id": "sendHeartbeat",
        "stub": None,
    }


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("a=1&a=2&b=", id="raw-string"),
        pytest.param([("a", "1"), ("a", "2"), ("b", "")], id="pairs"),
        pytest.param({"a": ("1", "2"), "b": [""]}, id="mapping"),
    ],
)
def test_query_forms(query):
    assert entry(query=query).query == {"a": ["1", "2"], "b": [""]}


def test_headers_may_be_a_mapping_and_time_a_formatted_string():
    made = entry(headers={"X-Trace": "t"}, time="2026-01-19T12:00:00.000Z")
    assert made.headers == {"x-trace": "t"}
    assert made.time == "2026-01-19T12:00:00.000Z"


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        pytest.param("Authorization", "Bearer als_1234", "Bearer als_…", id="bearer-short"),
        pytest.param(
            "authorization", "Bearer als_0123456789abcdef", "Bearer als_0123…", id="bearer-long"
        ),
        pytest.param("Authorization", "Basic dXNlcjpwYXNz", "Basic dXNlcj…", id="basic"),
        pytest.param("Authorization", "opaque-token", "opaque…", id="no-scheme"),
        pytest.param("Proxy-Authorization", "Bearer abcdefgh", "Bearer abcd…", id="proxy"),
        pytest.param("X-API-Key", "sk_live_0123456789", "sk_live_…", id="api-key"),
        pytest.param("X-Api-Key", "with space inside", "with spa…", id="api-key-spaces"),
        pytest.param("x-api-key", "ab", "a…", id="tiny"),
        pytest.param("x-api-key", "", "…", id="empty"),
        pytest.param(
            "Cookie",
            "authjs.session-token=eyJhbGciOiJIUzI1NiJ9.x.y; theme=dark",
            "authjs.session-token=eyJhbGci…; theme=da…",
            id="cookies",
        ),
        pytest.param("Cookie", "justavalue", "justa…", id="cookie-without-name"),
        pytest.param("X-Request-Id", "req-123", "req-123", id="not-a-secret"),
    ],
)
def test_credentials_are_redacted(name, value, shown):
    assert next(iter(entry(headers={name: value}).headers.values())) == shown


def test_redaction_never_shows_more_than_half_of_a_secret():
    for length in range(20):
        secret = "s" * length
        shown = entry(headers={"x-api-key": secret}).headers["x-api-key"]
        assert len(shown.removesuffix("…")) <= length // 2


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param(b"", None, id="empty"),
        pytest.param("", None, id="empty-str"),
        pytest.param(b"caf\xc3\xa9", "café", id="utf8"),
        pytest.param(b"\xff\xfeok", "\ufffd\ufffdok", id="undecodable"),
        pytest.param("déjà", "déjà", id="str"),
        pytest.param(b"x" * BODY_LIMIT, "x" * BODY_LIMIT, id="exactly-the-limit"),
    ],
)
def test_bodies_are_decoded(body, expected):
    assert entry(body=body).body == expected


def test_long_bodies_are_cut_with_a_marker():
    body = entry(body=b"y" * (BODY_LIMIT + 10)).body
    assert body.startswith("y" * BODY_LIMIT + "\n")
    assert body.endswith(f"… [truncated: {BODY_LIMIT + 10} bytes, the first {BODY_LIMIT} shown]")


def test_journal_keeps_the_newest_up_to_its_capacity():
    journal = Journal(capacity=3)
    for _ in range(5):
        journal.record(entry(journal.next_id()))
    assert [e.id for e in journal.entries()] == [3, 4, 5]
    assert len(journal) == 3
    assert journal.capacity == 3


def test_ids_keep_increasing_across_clear():
    journal = Journal()
    journal.record(entry(journal.next_id()))
    journal.clear()
    assert len(journal) == 0
    assert journal.entries() == []
    assert journal.next_id() == 2


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        pytest.param({}, [1, 2, 3, 4], id="all"),
        pytest.param({"method": "post"}, [2, 4], id="method-any-case"),
        pytest.param({"path_prefix": "/sessions/"}, [2, 3], id="path-prefix"),
        pytest.param({"operation_id": "listSessions"}, [1], id="operation"),
        pytest.param({"method": "POST", "path_prefix": "/sessions"}, [2, 4], id="combined"),
        pytest.param({"limit": 2}, [3, 4], id="limit-keeps-newest"),
        pytest.param({"method": "POST", "limit": 1}, [4], id="limit-after-filters"),
        pytest.param({"limit": 0}, [], id="limit-zero"),
        pytest.param({"limit": 10}, [1, 2, 3, 4], id="limit-above-count"),
        pytest.param({"operation_id": "nothing"}, [], id="no-match"),
    ],
)
def test_entries_filters(filters, ids):
    journal = Journal()
    for made in (
        entry(1, operation_id="listSessions"),
        entry(2, method="POST", path="/sessions/a/heartbeat", operation_id="sendHeartbeat"),
        entry(3, path="/sessions/a", operation_id="getSession"),
        entry(4, method="POST", path="/sessions", operation_id="createSession"),
    ):
        journal.record(made)
    assert [e.id for e in journal.entries(**filters)] == ids


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda: Journal(capacity=0), "at least 1, not 0", id="capacity"),
        pytest.param(lambda: Journal(max_bytes=0), "max_bytes must be at least 1", id="bytes"),
        pytest.param(lambda: Journal().entries(limit=-1), "0 or more, not -1", id="limit"),
    ],
)
def test_rejects_bad_bounds(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_entries_are_immutable_and_the_list_is_a_copy():
    journal = Journal()
    journal.record(entry())
    listed = journal.entries()
    listed.clear()
    assert len(journal) == 1
    with pytest.raises(AttributeError):
        journal.entries()[0].status = 500  # type: ignore[misc]


def test_concurrent_recording_loses_nothing_and_ids_are_unique():
    journal = Journal(capacity=10_000)

    def worker() -> None:
        for _ in range(250):
            journal.record(entry(journal.next_id()))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [e.id for e in journal.entries()]
    assert len(ids) == 2000
    assert sorted(ids) == list(range(1, 2001))


# --- redaction by name ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        pytest.param("X-Auth-Token", "tok_0123456789", "tok_012…", id="auth-token"),
        pytest.param("X-Session-Token", "abcdef", "abc…", id="session-token"),
        pytest.param("X-Authorization", "Bearer abcdefgh", "Bearer abcd…", id="scheme-kept"),
        pytest.param("X-Session-Id", "s-123456789", "s-123456789", id="identifier-kept"),
        pytest.param("Idempotency-Key", "retry-123456789", "retry-123456789", id="idempotency"),
    ],
)
def test_headers_named_like_credentials_are_redacted(name, value, shown):
    assert entry(headers={name: value}).headers == {name.lower(): shown}


def test_query_values_named_like_credentials_are_redacted():
    made = entry(query="token=abc123456789&api_key=k1234567&sessionId=s-1&limit=5&sig=sgsgsg")
    assert made.query == {
        "token": ["abc123…"],
        "api_key": ["k123…"],
        "sessionId": ["s-1"],
        "limit": ["5"],
        "sig": ["sgs…"],
    }


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        pytest.param(
            '{"user": "ana", "password": "hunter2hunter2"}',
            '{"user": "ana", "password": "hunter2…"}',
            id="json-member",
        ),
        pytest.param(
            '{"a": {"b": [{"client_secret": "cs_0123456789"}]}, "sessionId": "s-1"}',
            '{"a": {"b": [{"client_secret": "cs_012…"}]}, "sessionId": "s-1"}',
            id="nested-identifier-kept",
        ),
        pytest.param(
            '{"token":"\\u00e9\\u00e9\\u00e9\\u00e9"}',
            '{"token":"éé…"}',
            id="escapes-decoded-before-clipping",
        ),
        pytest.param(
            '{"note": "say \\"password\\": \\"x\\" here", "n": 1}',
            '{"note": "say \\"password\\": \\"x\\" here", "n": 1}',
            id="inside-a-string-untouched",
        ),
        pytest.param(
            '{"accessToken": 12, "totalInputTokens": "5"}',
            '{"accessToken": 12, "totalInputTokens": "5"}',
            id="numbers-and-kept-names",
        ),
        pytest.param('{"password": "hunter2hunter', '{"password": "hunter…"', id="cut-json"),
        pytest.param("password hunter2", "password hunter2", id="not-json"),
    ],
)
def test_body_members_named_like_credentials_are_redacted(body, shown):
    made = entry(body=body.encode(), headers={"Content-Type": "application/json"})
    assert made.body == shown


def test_form_fields_named_like_credentials_are_redacted():
    made = entry(
        body=b"user=ana&password=hunter2+and+more&x&token=a%26b%3Dcdef",
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert made.body == "user=ana&password=hunter2+…&x&token=a%26b%3D…"


# --- bounds --------------------------------------------------------------------------------


def test_a_long_header_value_is_cut_with_a_marker():
    made = entry(headers={"X-Big": "v" * 60_000})
    assert made.headers["x-big"] == "v" * VALUE_LIMIT + "… [truncated: 60000 characters]"


def test_headers_beyond_the_field_limit_are_counted():
    made = entry(headers=[(f"x-h{n}", "v") for n in range(FIELDS_LIMIT + 37)])
    assert len(made.headers) == FIELDS_LIMIT + 1
    assert made.headers[MORE] == "37 more headers not kept"


def test_query_parameters_beyond_the_field_limit_are_counted():
    made = entry(query="&".join(f"p{n}=v" for n in range(FIELDS_LIMIT + 5)))
    assert len(made.query) == FIELDS_LIMIT + 1
    assert made.query[MORE] == ["5 more parameters not kept"]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"status": 431, "headers": {"X-Big": "h" * 16 * 1024 * 1024}}, id="431-huge"),
        pytest.param(
            {"status": 431, "headers": [(f"x-{n}", "v" * 900) for n in range(10_000)]},
            id="431-many-lines",
        ),
        pytest.param(
            {"status": 431, "headers": [("x-same", "v" * 900) for _ in range(20_000)]},
            id="431-one-name-repeated",
        ),
        pytest.param({"status": 414, "query": "q=" + "x" * 1_000_000}, id="414-query"),
        pytest.param({"status": 404, "path": "/" + "p" * 1_000_000}, id="long-path"),
        pytest.param({"status": 413, "body": b"b" * 11 * 1024 * 1024}, id="413-body"),
    ],
)
def test_an_entry_is_bounded_whatever_the_request(changes):
    made = entry(**changes)
    head = (
        len(made.path)
        + sum(len(n) + sum(map(len, vs)) for n, vs in made.query.items())
        + sum(len(n) + len(v) for n, v in made.headers.items())
    )
    marker = 64  # each cut value's marker, and the "… more" count
    assert head <= HEAD_LIMIT + 5 * marker
    assert len(made.body or "") <= BODY_LIMIT + marker
    assert made.size() < 100 * 1024


def test_raw_parts_over_an_entry_limit_are_not_kept_raw():
    small = [(b"accept", b"*/*")]
    assert raw_size("/s", b"a=1", small, b"{}") is not None
    assert raw_size("/s", b"", [(b"x", b"v" * HEAD_LIMIT)], b"") is None
    assert raw_size("/s", b"", [(b"x", b"v")] * (FIELDS_LIMIT + 1), b"") is None
    assert raw_size("/s", b"", small, b"b" * (BODY_LIMIT + 1)) is None


def test_a_pending_entry_without_a_size_is_built_at_once():
    journal = Journal()
    calls = []

    def pending() -> JournalEntry:
        calls.append(1)
        return entry(headers={"X-Big": "v" * 100_000})

    journal.record(pending)
    assert calls == [1]
    assert journal.kept_bytes < 20 * 1024
    journal.record(pending, size=500)
    assert calls == [1]
    assert journal.kept_bytes < 20 * 1024 + 500


def test_the_journal_keeps_at_most_its_bytes_oldest_dropped_first():
    journal = Journal(capacity=1000, max_bytes=1024 * 1024)
    for _ in range(300):
        journal.record(entry(journal.next_id(), body=b"x" * 10 * BODY_LIMIT))
    assert journal.kept_bytes <= 1024 * 1024
    kept = journal.entries()
    assert 5 < len(kept) < 300
    assert [e.id for e in kept] == list(range(301 - len(kept), 301))
    assert sum(e.size() for e in kept) == journal.kept_bytes


def test_built_entries_are_counted_for_what_they_keep():
    journal = Journal(max_bytes=1024 * 1024)
    for _ in range(200):
        journal.record(lambda: entry(body=b"z" * 100), size=50_000)
    assert journal.kept_bytes <= 1024 * 1024
    assert len(journal) < 200
    built = journal.entries()
    assert journal.kept_bytes == sum(e.size() for e in built)
    journal.clear()
    assert journal.kept_bytes == 0
