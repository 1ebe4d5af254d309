"""The in-memory store: CRUD in insertion order, snapshots, reset, JSON export and import."""

from __future__ import annotations

import json

import pytest

from mockgate.core.store import dump_json, load_json
from mockgate.core.store.memory import MemoryStore

SEED = {"sessions": {"a": {"id": "a", "n": 1}, "b": {"id": "b", "n": 2}}}


def test_reads_and_writes_keep_insertion_order():
    store = MemoryStore(SEED)
    store.put("sessions", "c", {"id": "c", "n": 3})
    assert [r["id"] for r in store.values("sessions")] == ["a", "b", "c"]
    assert store.get("sessions", "b") == {"id": "b", "n": 2}
    assert store.delete("sessions", "a") == {"id": "a", "n": 1}
    assert store.delete("sessions", "a") is None
    assert store.count("sessions") == 2
    assert store.get("nothing", "x") is None
    assert store.values("nothing") == []


def test_reset_returns_to_the_seed():
    store = MemoryStore(json.loads(json.dumps(SEED)))
    store.put("sessions", "a", {"id": "a", "n": 100})
    store.delete("sessions", "b")
    store.reset()
    assert store.snapshot() == SEED


def test_reset_to_a_new_seed_makes_it_what_later_resets_return_to():
    store = MemoryStore(json.loads(json.dumps(SEED)))
    store.put("sessions", "c", {"id": "c"})
    store.reset({"sessions": {"z": {"id": "z"}}})
    assert store.snapshot() == {"sessions": {"z": {"id": "z"}}}
    store.delete("sessions", "z")
    store.reset()
    assert store.snapshot() == {"sessions": {"z": {"id": "z"}}}


def test_snapshot_is_a_copy_and_restore_brings_it_back():
    store = MemoryStore(SEED)
    snap = store.snapshot()
    snap["sessions"]["a"]["n"] = 42
    assert store.get("sessions", "a")["n"] == 1
    store.put("sessions", "z", {"id": "z"})
    store.restore(store.snapshot() | {"sessions": {}})
    assert store.count("sessions") == 0


def test_json_round_trip():
    store = MemoryStore(SEED)
    text = dump_json(store)
    other = MemoryStore()
    load_json(other, text)
    assert other.snapshot() == SEED


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("{", "not valid JSON", id="syntax"),
        pytest.param(b"\xff\xfe", "not valid JSON", id="not-utf8"),
        pytest.param("[]", "object of collections", id="not-an-object"),
        pytest.param('{"sessions": []}', "state.sessions must be an object", id="bad-collection"),
        pytest.param(
            '{"sessions": {"a": 1}}', "state.sessions.a must be an object", id="bad-record"
        ),
    ],
)
def test_import_refuses_bad_documents_and_keeps_the_state(text, message):
    store = MemoryStore(SEED)
    with pytest.raises(ValueError, match=message):
        load_json(store, text)
    assert store.snapshot() == SEED


def test_generation_changes_with_every_write_and_restore():
    store = MemoryStore(SEED)
    seen = {store.generation("sessions")}
    store.put("sessions", "new", {"id": "new"})
    seen.add(store.generation("sessions"))
    store.delete("sessions", "new")
    seen.add(store.generation("sessions"))
    store.reset()
    seen.add(store.generation("sessions"))
    assert len(seen) == 4
    before = store.generation("sessions")
    store.delete("sessions", "missing")
    store.put("other", "x", {})
    assert store.generation("sessions") == before
