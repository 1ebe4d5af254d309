"""The request journal: entries from HTTP, redaction, truncation, bounds, filters, threads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from mockgate.core.clock import Clock
from mockgate.core.journal import BODY_LIMIT, Journal, JournalEntry

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
