"""``GET /api/sessions`` read through the store's index answers exactly what filtering, sorting
and paging every stored session answers: same sessions, same order, same totals and pages,
whatever writes came before, and also when a malformed record sends it back to the scan."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mockgate.apis.agentlens.indexes import due_growth, list_page, newest_event_id
from mockgate.apis.agentlens.sessions import filter_sessions, page
from mockgate.core.store import Record
from mockgate.core.store.memory import MemoryStore
from mockgate.core.timestamps import format_timestamp, parse_timestamp
from tests.apis.agentlens.expect import AUTH, START

# The same instants written differently tie (they compare as instants), and few of them: ties.
_STARTS = (
    "2026-01-19T10:00:00Z",
    "2026-01-19T10:00:00.000Z",
    "2026-01-19T12:00:00+02:00",
    "2026-01-19T11:00:00.500Z",
    "2026-01-19T12:30:00Z",
)
_STATUSES = ("active", "completed", "error")
_AGENTS = ("support-bot", "billing-agent")
_TAGS = ("eu", "us", "batch")
_IDS = ("sess_a", "sess_b", "sess_c", "sess_d", "sess_e", "sess_f")

_SESSIONS = st.fixed_dictionaries(
    {
        "id": st.sampled_from(_IDS),  # may differ from the store key: ties on id too
        "agentId": st.sampled_from(_AGENTS),
        "startedAt": st.sampled_from(_STARTS),
        "status": st.sampled_from(_STATUSES),
        "eventCount": st.just(0),
        "tags": st.lists(st.sampled_from(_TAGS), max_size=3),
    }
)
_KEYS = st.sampled_from([f"k{n}" for n in range(8)])
_WRITES = st.lists(
    st.one_of(
        st.tuples(st.just("put"), _KEYS, _SESSIONS),
        st.tuples(st.just("delete"), _KEYS, st.none()),
        st.tuples(st.just("restore"), st.none(), st.dictionaries(_KEYS, _SESSIONS, max_size=6)),
    ),
    max_size=25,
)
_MOMENTS = st.none() | st.sampled_from(_STARTS).map(parse_timestamp)


def _apply(store: MemoryStore, writes: list) -> None:
    for action, key, value in writes:
        if action == "put":
            store.put("sessions", key, value)
        elif action == "delete":
            store.delete("sessions", key)
        else:
            store.restore({"sessions": value})


@settings(max_examples=200, deadline=None)
@given(
    before=_WRITES,
    after=_WRITES,
    agent_id=st.none() | st.sampled_from((*_AGENTS, "nobody")),
    statuses=st.lists(st.sampled_from((*_STATUSES, "unknown")), max_size=3),
    since=_MOMENTS,
    until=_MOMENTS,
    tags=st.lists(st.sampled_from((*_TAGS, "none")), max_size=3),
    limit=st.none() | st.integers(-2, 8),
    offset=st.none() | st.integers(-2, 8),
)
def test_an_indexed_page_is_the_scanned_page(
    before, after, agent_id, statuses, since, until, tags, limit, offset
):
    store = MemoryStore()
    _apply(store, before)
    query = {"agent_id": agent_id, "statuses": statuses, "since": since, "until": until}
    query["tags"] = tags
    list_page(store, **query, limit=limit, offset=offset)  # builds the index...
    _apply(store, after)  # ...which every later write keeps current
    expected = page(filter_sessions(store.values("sessions"), **query), limit, offset)
    assert list_page(store, **query, limit=limit, offset=offset) == expected


def _session(n: int, status: str) -> Record:
    started = format_timestamp(START - timedelta(minutes=n % 97))  # repeats: ties on startedAt
    return {
        "id": f"sess_{n:04d}",
        "agentId": _AGENTS[n % 2],
        "startedAt": started,
        "endedAt": None if status == "active" else started,
        "status": status,
        "eventCount": 0,
        "toolCallCount": 0,
        "errorCount": 0,
        "totalCostUsd": 0,
        "tags": [_TAGS[n % 3]] if n % 4 else [],
        "llmCallCount": 0,
        "totalInputTokens": 0,
        "totalOutputTokens": 0,
    }


def test_pages_of_a_loaded_state_over_http(mock_client):
    """Loaded through ``PUT /__mockgate/state``, paged through the API as a dashboard would."""
    client = mock_client("agentlens", dataset="empty")
    sessions = [_session(n, _STATUSES[n % 3]) for n in range(300)]
    state = {"sessions": {s["id"]: s for s in sessions}, "timelines": {}}
    assert client.put("/__mockgate/state", json=state).status_code == 204
    for query, statuses, agent_id, tags in (
        ("status=error&limit=7&offset=5", ["error"], None, []),
        ("status=active,completed&limit=20&offset=190", ["active", "completed"], None, []),
        ("agentId=billing-agent&status=error&tags=eu,us", ["error"], "billing-agent", ["eu", "us"]),
        ("tags=batch&limit=500", [], None, ["batch"]),
    ):
        response = client.get(f"/api/sessions?{query}", headers=AUTH)
        assert response.status_code == 200, response.text
        matching = filter_sessions(sessions, agent_id=agent_id, statuses=statuses, tags=tags)
        limit = int(query.partition("limit=")[2].partition("&")[0] or 50)
        offset = int(query.partition("offset=")[2] or 0)
        assert response.json() == page(matching, limit, offset), query


def test_a_malformed_record_is_answered_as_before(mock_client):
    """A session loaded without ``startedAt`` cannot be ordered: lists that leave it out work
    as they always did, lists that include it fail as they always did."""
    client = mock_client("agentlens", dataset="empty")
    broken = {k: v for k, v in _session(1, "completed").items() if k != "startedAt"}
    good = _session(2, "active")
    state = {"sessions": {"sess_0001": broken, good["id"]: good}, "timelines": {}}
    assert client.put("/__mockgate/state", json=state).status_code == 204
    listed = client.get("/api/sessions?status=active", headers=AUTH)
    assert listed.status_code == 200
    assert listed.json() == {"sessions": [good], "total": 1, "hasMore": False}
    assert client.get("/api/sessions", headers=AUTH).status_code == 500
    client.ctx.violations.clear()  # the 500 is the point here


def _timeline(sid: str, next_at: str | None, ids: tuple[str, ...] = ()) -> Record:
    events = [{"id": event_id} for event_id in ids]
    return {"sessionId": sid, "events": events, "growth": {"nextAt": next_at}}


def test_growth_looks_only_at_due_timelines():
    store = MemoryStore(
        {
            "timelines": {
                "a": _timeline("a", "2026-01-19T12:00:00Z"),
                "b": _timeline("b", None),
                "c": _timeline("c", "2026-01-19T11:59:59.999Z"),
                "d": _timeline("d", "2026-01-19T12:00:00.001Z"),
            }
        }
    )
    assert [r["sessionId"] for r in due_growth(store, START)] == ["c", "a"]
    store.put("timelines", "c", _timeline("c", None))
    store.put("timelines", "b", _timeline("b", "2026-01-01T00:00:00Z"))
    assert [r["sessionId"] for r in due_growth(store, START)] == ["b", "a"]
    # A record keyed other than by its session: every record, as the scan had it.
    store.put("timelines", "x", _timeline("y", None))
    assert len(due_growth(store, START)) == 5


def test_the_newest_event_id_follows_writes():
    ulid = "01KF" + "0" * 22
    newer = "01KG" + "0" * 22
    store = MemoryStore({"timelines": {"a": _timeline("a", None, ("01H001", ulid))}})
    assert newest_event_id(store) == ulid
    store.put("timelines", "b", _timeline("b", None, (newer,)))
    assert newest_event_id(store) == newer
    store.delete("timelines", "b")
    assert newest_event_id(store) == ulid
    store.put("timelines", "a", _timeline("a", None, ("01H001",)))  # not a ULID
    assert newest_event_id(store) is None
