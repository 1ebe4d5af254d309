"""Lists and settling read through the store's indexes answer exactly what the full scans
answered: the same sessions and tasks in the same order and pages, and the same state after
pulses and the stall and offline rules, whatever writes came before."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mockgate.apis.state_tracking import machines as machine_rules
from mockgate.apis.state_tracking import pulses
from mockgate.apis.state_tracking import sessions as session_rules
from mockgate.apis.state_tracking import tasks as task_rules
from mockgate.apis.state_tracking.tracker import Tracker
from mockgate.core.store import Record, Snapshot
from mockgate.core.store.memory import MemoryStore
from mockgate.core.timestamps import format_timestamp
from tests.apis.state_tracking.factory import AUTH

NOW = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
_IDS = [f"id-{n}" for n in range(8)]
# Few distinct moments, around the 300 s thresholds: ties, and records on both sides of them.
_MOMENTS = st.sampled_from([-900, -301, -300, -1, 0, 30]).map(
    lambda seconds: format_timestamp(NOW + timedelta(seconds=seconds))
)


def _keyed(draw: Any, records: st.SearchStrategy, id_key: str) -> dict[str, Record]:
    chosen = draw(st.dictionaries(st.sampled_from(_IDS), records, max_size=7))
    return {key: {**record, id_key: key} for key, record in chosen.items()}


@st.composite
def _states(draw: Any) -> Snapshot:
    sessions = _keyed(
        draw,
        st.fixed_dictionaries(
            {
                "project_id": st.sampled_from(("123", "456")),
                "machine_id": st.sampled_from(("m-1", "m-2")),
                "status": st.sampled_from(session_rules.STATUSES),
                "started_at": _MOMENTS,
                "last_heartbeat": _MOMENTS,
            }
        ),
        "session_id",
    )
    machines = _keyed(
        draw,
        st.fixed_dictionaries(
            {"status": st.sampled_from(machine_rules.STATUSES), "last_heartbeat": _MOMENTS}
        ),
        "machine_id",
    )
    tasks = _keyed(
        draw,
        st.fixed_dictionaries(
            {
                "session_id": st.sampled_from(_IDS[:3]),
                "project_id": st.sampled_from(("123", "456")),
                "status": st.sampled_from(task_rules.STATUSES),
                "created_at": st.none() | _MOMENTS,
                "started_at": st.none() | _MOMENTS,
            }
        ),
        "task_id",
    )
    beating = draw(
        st.lists(
            st.tuples(st.sampled_from(("session", "machine")), st.sampled_from(_IDS), _MOMENTS)
        )
    )
    pulse_records = {
        pulses.key(kind, rid): {"kind": kind, "id": rid, "every_seconds": 60, "since": since}
        for kind, rid, since in beating
    }
    return {"sessions": sessions, "machines": machines, "tasks": tasks, "pulses": pulse_records}


def _scan_settle(store: MemoryStore, now: datetime) -> None:
    """``Settling.settle`` as it was before the indexes: every record, every request."""
    beating = {pulses.key(p["kind"], p["id"]): p for p in store.values("pulses")}
    for kind, collection, id_key, settle in (
        ("machine", "machines", "machine_id", lambda m: machine_rules.settle(m, now)),
        ("session", "sessions", "session_id", lambda s: session_rules.settle(s, now)),
    ):
        for record in store.values(collection):
            current = record
            pulse = beating.get(pulses.key(kind, record[id_key]))
            if pulse is not None:
                if record["status"] in pulses.ALIVE[kind]:
                    current = pulses.apply(current, pulse, now)
                else:
                    store.delete("pulses", pulses.key(kind, record[id_key]))
            current = settle(current)
            if current is not record:
                store.put(collection, record[id_key], current)


@settings(max_examples=150, deadline=None)
@given(
    state=_states(),
    later=_states(),
    moves=st.lists(st.integers(0, 400), min_size=1, max_size=3),
    reload=st.booleans(),
)
def test_settling_through_indexes_leaves_the_state_a_scan_leaves(state, later, moves, reload):
    indexed, scanned = MemoryStore(copy.deepcopy(state)), MemoryStore(copy.deepcopy(state))
    now = NOW
    Tracker(indexed, now)  # builds the indexes
    _scan_settle(scanned, now)
    if reload:  # a state loaded while the indexes exist
        indexed.restore(copy.deepcopy(later))
        scanned.restore(copy.deepcopy(later))
    for seconds in moves:
        now += timedelta(seconds=seconds)
        Tracker(indexed, now)
        _scan_settle(scanned, now)
        assert indexed.snapshot() == scanned.snapshot()
        assert [list(c) for c in indexed.snapshot().values()] == [
            list(c) for c in scanned.snapshot().values()
        ]


_SESSION_QUERIES = st.fixed_dictionaries(
    {
        "status": st.none() | st.sampled_from(session_rules.STATUSES),
        "project_id": st.none() | st.sampled_from(("123", "456", "789")),
        "machine_id": st.none() | st.sampled_from(("m-1", "m-2")),
        "include_archived": st.booleans(),
    }
)
_TASK_QUERIES = st.fixed_dictionaries(
    {
        "session_id": st.none() | st.sampled_from(_IDS[:4]),
        "status": st.none() | st.sampled_from(task_rules.STATUSES),
        "project_id": st.none() | st.sampled_from(("123", "456")),
    }
)


@settings(max_examples=150, deadline=None)
@given(
    state=_states(),
    writes=st.lists(st.tuples(st.sampled_from(_IDS), st.booleans())),
    sessions_query=_SESSION_QUERIES,
    tasks_query=_TASK_QUERIES,
    window=st.tuples(st.integers(0, 8), st.integers(1, 8)),
)
def test_indexed_lists_are_the_scanned_lists(state, writes, sessions_query, tasks_query, window):
    store = MemoryStore(state)
    tracker = Tracker(store, NOW)
    tracker.listing.sessions()
    tracker.listing.tasks()
    for key, delete in writes:  # the indexes follow writes, deletes and re-insertions
        found = store.get("sessions", key)
        if delete:
            store.delete("sessions", key)
            store.delete("tasks", key)
        elif found is not None:
            store.put("sessions", key, {**found, "status": "paused"})
        else:
            store.put("sessions", key, _fresh(key))
    start, size = window
    found = session_rules.select(tracker.records.sessions(), **sessions_query)
    sessions = session_rules.newest_first(found)
    listed = tracker.listing.sessions(**sessions_query)
    assert list(listed) == sessions
    assert listed[start : start + size] == sessions[start : start + size]
    tasks = task_rules.queue_order(task_rules.select(tracker.records.tasks(), **tasks_query))
    assert list(tracker.listing.tasks(**tasks_query)) == tasks
    for project in ("123", "456"):
        has_sessions = any(s["project_id"] == project for s in tracker.records.sessions())
        assert tracker.listing.known_project(project) == has_sessions


def _fresh(session_id: str) -> Record:
    stamp = format_timestamp(NOW)
    return {
        "session_id": session_id,
        "project_id": "123",
        "machine_id": "m-1",
        "status": "active",
        "started_at": stamp,
        "last_heartbeat": stamp,
    }


def test_a_loaded_state_pages_over_http(tracking):
    """Loaded through ``PUT /__mockgate/state``, paged through the API as a client would."""
    client = tracking("demo")
    state = client.get("/__mockgate/state").json()
    template = next(s for s in state["sessions"].values() if s["status"] == "completed")
    for n in range(150):
        sid = f"00000000-0000-4000-8000-{n:012d}"
        started = format_timestamp(NOW - timedelta(minutes=n % 40))
        status = ("completed", "failed", "archived")[n % 3]
        state["sessions"][sid] = {**template, "session_id": sid, "started_at": started}
        state["sessions"][sid]["status"] = status
    assert client.put("/__mockgate/state", json=state).status_code == 204
    for query, filters in (
        ("status=failed&limit=7&offset=5", {"status": "failed"}),
        ("limit=100&offset=20", {}),
        ("project_id=123&include_archived=true&limit=9", {"project_id": "123"}),
    ):
        response = client.get(f"/sessions?{query}", headers=AUTH)
        assert response.status_code == 200, response.text
        # As settled for that request (the demo's sessions stall as the rule says).
        everything = list(client.get("/__mockgate/state").json()["sessions"].values())
        archived = {"include_archived": "include_archived=true" in query}
        expected = session_rules.newest_first(
            session_rules.select(everything, **filters, **archived)
        )
        offset = int(query.partition("offset=")[2] or 0)
        limit = int(query.partition("limit=")[2].partition("&")[0])
        assert response.json() == expected[offset : offset + limit], query
