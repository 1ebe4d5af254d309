"""The SQLite store: the ``MemoryStore`` contract, and what a reopened file holds (every committed
write, in order; nothing uncommitted; the clock); the file's own errors."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mockgate.core.clock import Clock
from mockgate.core.store import Snapshot, dump_json, load_json
from mockgate.core.store.memory import MemoryStore
from mockgate.core.store.sqlite import (
    ApiEntry,
    SavedClock,
    SqliteStore,
    StateFile,
    StateFileError,
    StateFileLocked,
)

SEED: Snapshot = {"sessions": {"a": {"id": "a", "n": 1}, "b": {"id": "b", "n": 2}}, "empty": {}}
ENTRY = ApiEntry(seed=1, dataset="demo")


def fresh_seed() -> Snapshot:
    return json.loads(json.dumps(SEED))


def open_store(path: Path, api: str = "x", seed: Snapshot | None = None) -> SqliteStore:
    state_file = StateFile.open(path, create=True)
    return state_file.store(api, seed if seed is not None else fresh_seed(), ENTRY)


def reopened(path: Path, api: str = "x") -> Snapshot:
    state_file = StateFile.open(path)
    try:
        return state_file.records(api)
    finally:
        state_file.close()


def close(store: SqliteStore) -> None:
    store._file.close()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


def test_a_new_file_holds_the_seeded_state_at_once(path):
    close(open_store(path))
    assert reopened(path) == SEED
    assert list(reopened(path)) == ["sessions", "empty"]


def test_committed_writes_survive_in_insertion_order(path):
    store = open_store(path)
    store.put("sessions", "c", {"id": "c"})
    store.put("sessions", "a", {"id": "a", "n": 10})  # updated in place: stays first
    store.delete("sessions", "b")
    store.put("sessions", "b", {"id": "b", "n": 20})  # deleted and added again: now last
    store.put("fresh", "k", {"id": "k"})
    store.commit()
    expected = store.snapshot()
    close(store)
    assert reopened(path) == expected
    assert list(reopened(path)["sessions"]) == ["a", "c", "b"]
    assert list(reopened(path)) == ["sessions", "empty", "fresh"]


def test_writes_not_committed_are_not_in_the_file(path):
    store = open_store(path)
    store.put("sessions", "c", {"id": "c"})
    close(store)
    assert reopened(path) == SEED


def test_a_store_reopened_continues_where_it_was(path):
    store = open_store(path)
    store.delete("sessions", "a")
    store.commit()
    close(store)
    store = open_store(path, seed={"other": {}})
    assert store.snapshot() == {"sessions": {"b": {"id": "b", "n": 2}}, "empty": {}}
    store.put("sessions", "z", {"id": "z"})
    store.commit()
    store.reset()  # back to the seed it was opened with, not the file's first one
    assert store.snapshot() == {"other": {}}
    store.commit()
    close(store)
    assert reopened(path) == {"other": {}}


def test_restore_and_json_import_are_written_whole(path):
    store = open_store(path)
    load_json(store, json.dumps({"sessions": {"q": {"id": "q"}}}))
    store.commit()
    close(store)
    assert reopened(path) == {"sessions": {"q": {"id": "q"}}}


def test_a_reset_to_a_new_seed_is_written_whole_and_kept_for_the_next_reset(path):
    store = open_store(path)
    store.reset({"sessions": {"r": {"id": "r"}}})
    store.commit()
    store.put("sessions", "s", {"id": "s"})
    store.commit()
    store.reset()
    store.commit()
    close(store)
    assert reopened(path) == {"sessions": {"r": {"id": "r"}}}


def test_several_apis_share_one_file_without_touching_each_other(path):
    state_file = StateFile.open(path, create=True)
    one = state_file.store("one", fresh_seed(), ENTRY)
    two = state_file.store("two", {"t": {"1": {"v": 1}}}, ApiEntry(7, "docs"))
    one.put("sessions", "c", {"id": "c"})
    two.reset()
    one.commit()
    two.commit()
    assert state_file.apis() == {"one": ENTRY, "two": ApiEntry(7, "docs")}
    state_file.close()
    assert reopened(path, "two") == {"t": {"1": {"v": 1}}}
    assert "c" in reopened(path, "one")["sessions"]


def test_a_commit_with_nothing_to_write_does_not_touch_the_file(path, monkeypatch):
    store = open_store(path)
    store.get("sessions", "a")
    store.values("sessions")
    monkeypatch.setattr(StateFile, "transaction", lambda self: pytest.fail("wrote"))
    store.commit()


def test_a_failed_commit_leaves_the_data_as_they_were_and_the_next_one_works(path):
    # SQLite's rule: kept pending, the unwritable change would fail every later commit.
    store = open_store(path)
    store.put("sessions", "c", {"id": "c"})
    store.delete("sessions", "a")
    store.put("sessions", "bad", {"id": "bad", "not json": {1, 2}})
    with pytest.raises(TypeError):
        store.commit()
    assert store._file.records("x") == SEED  # none of the writes: the transaction rolled back
    assert json.dumps(store.snapshot()) == json.dumps(SEED)  # undone in memory too, in order
    store.put("sessions", "d", {"id": "d"})
    store.commit()
    expected = store.snapshot()
    close(store)
    assert json.dumps(reopened(path)) == json.dumps(expected)
    assert list(expected["sessions"]) == ["a", "b", "d"]


def test_a_failed_restore_is_undone(path, monkeypatch):
    store = open_store(path)
    store.put("sessions", "c", {"id": "c"})
    store.commit()
    committed = store.snapshot()
    store.restore({"other": {"k": {"id": "k"}}})
    with failing_transaction(monkeypatch), pytest.raises(sqlite3.OperationalError):
        store.commit()
    assert store.snapshot() == committed
    assert [r["id"] for r in store.values("sessions")] == ["a", "b", "c"]
    store.commit()  # nothing left to write
    close(store)
    assert json.dumps(reopened(path)) == json.dumps(committed)


@contextmanager
def failing_transaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """The file's next transaction fails at its end, once; the list says whether one ran."""
    transaction = StateFile.transaction
    fired: list[bool] = []

    @contextmanager
    def failing(self):
        monkeypatch.setattr(StateFile, "transaction", transaction)
        fired.append(True)
        with transaction(self) as db:
            yield db
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(StateFile, "transaction", failing)
    try:
        yield fired
    finally:
        monkeypatch.setattr(StateFile, "transaction", transaction)


@pytest.mark.parametrize(
    "commit_after",
    [(), ("delete",), ("put c",), ("put a",), ("delete", "put c"), ("put c", "put a")],
    ids=lambda after: "commit after " + (", ".join(after) or "nothing but the last"),
)
def test_a_key_deleted_and_added_again_after_another_goes_after_it(path, commit_after):
    # A key deleted and added again goes last, as in a dict, after a key added in between (the
    # file used to hold it where it was first changed since the last commit: at its delete).
    store = open_store(path)
    for step, write in [
        ("delete", lambda: store.delete("sessions", "a")),
        ("put c", lambda: store.put("sessions", "c", {"id": "c"})),
        ("put a", lambda: store.put("sessions", "a", {"id": "a", "n": 3})),
    ]:
        write()
        if step in commit_after:
            store.commit()
    store.commit()
    assert list(store.snapshot()["sessions"]) == ["b", "c", "a"]
    close(store)
    assert list(reopened(path)["sessions"]) == ["b", "c", "a"]


def test_writes_made_while_a_commit_fails_stay_for_their_own_commit(path, monkeypatch):
    store = open_store(path)
    store.put("sessions", "c", {"id": "c"})
    store.put("sessions", "a", {"id": "a", "n": 10})
    transaction = StateFile.transaction

    @contextmanager
    def failing(self):
        with transaction(self):
            # Another thread writes while this commit is under way, which then fails.
            store.put("sessions", "d", {"id": "d"})
            store.put("sessions", "c", {"id": "c", "n": 2})  # added by the failed commit
            store.put("sessions", "b", {"id": "b", "n": 3})  # in place, kept
            store.put("new", "e", {"id": "e"})
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(StateFile, "transaction", failing)
    with pytest.raises(sqlite3.OperationalError):
        store.commit()
    monkeypatch.setattr(StateFile, "transaction", transaction)
    assert store._file.records("x") == SEED
    live = store.snapshot()
    assert live["sessions"] == {
        "a": {"id": "a", "n": 1},  # the failed commit's change, undone
        "b": {"id": "b", "n": 3},
        "d": {"id": "d"},
        "c": {"id": "c", "n": 2},
    }
    assert list(live["sessions"]) == ["a", "b", "d", "c"]
    assert live["new"] == {"e": {"id": "e"}}
    store.commit()
    close(store)
    assert json.dumps(reopened(path)) == json.dumps(live)


# The MemoryStore contract, checked by doing the same random operations on both: the SQLite
# store must answer the same, and a file reopened after the last commit must hold the same.
_keys = st.sampled_from(["a", "b", "c", "d"])
_collections = st.sampled_from(["sessions", "other", "new"])
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), _collections, _keys, st.integers(0, 9)),
        st.tuples(st.just("delete"), _collections, _keys),
        st.tuples(st.just("commit")),
        st.tuples(st.just("failed commit")),
        st.tuples(st.just("reset")),
        st.tuples(st.just("restore"), st.dictionaries(_keys, st.integers(0, 9), max_size=3)),
    ),
    max_size=25,
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=_operations)
@example(operations=[("delete", "sessions", "a"), ("put", "sessions", "a", 1)])  # moves to the end
@example(  # a re-added key goes after a key added since its delete, not where it was deleted
    operations=[
        ("delete", "sessions", "a"),
        ("put", "sessions", "c", 0),
        ("put", "sessions", "a", 1),
    ]
)
@example(operations=[("put", "new", "a", 1), ("commit",), ("delete", "new", "a")])  # left empty
@example(operations=[("put", "other", "a", 0), ("put", "new", "a", 0)])  # collections' order
@example(  # a failed commit undoes a move to the end, and a restore
    operations=[
        ("delete", "sessions", "a"),
        ("put", "sessions", "a", 1),
        ("failed commit",),
        ("restore", {"b": 1}),
        ("failed commit",),
    ]
)
def test_behaves_like_the_memory_store_and_reopens_as_it_was(tmp_path, monkeypatch, operations):
    path = tmp_path / f"{len(list(tmp_path.iterdir()))}.db"
    memory, store = MemoryStore(fresh_seed()), open_store(path)
    committed = memory.snapshot()
    for operation in operations:
        match operation:
            case ("put", collection, key, n):
                memory.put(collection, key, {"id": key, "n": n})
                store.put(collection, key, {"id": key, "n": n})
            case ("delete", collection, key):
                assert store.delete(collection, key) == memory.delete(collection, key)
            case ("commit",):
                store.commit()
                committed = memory.snapshot()
            case ("failed commit",):
                # Back to the last commit (SQLite's rule), when there was something to write.
                with failing_transaction(monkeypatch) as fired:
                    try:
                        store.commit()
                    except sqlite3.OperationalError:
                        memory.restore(committed)
                assert fired or memory.snapshot() == committed  # else nothing was pending
            case ("reset",):
                memory.reset()
                store.reset()
            case ("restore", records):
                state = {"sessions": {k: {"id": k, "n": n} for k, n in records.items()}}
                memory.restore(state)
                store.restore(state)
        for collection in ("sessions", "other", "new", "empty"):
            assert store.values(collection) == memory.values(collection)
            assert store.count(collection) == memory.count(collection)
        assert dump_json(store) == dump_json(memory)
    store.commit()
    close(store)
    assert json.dumps(reopened(path)) == dump_json(memory)  # same records, same order


def test_the_clock_is_saved_at_start_and_with_the_commit_after_a_change(path):
    state_file = StateFile.open(path, create=True)
    store = state_file.store("x", fresh_seed(), ENTRY)
    clock = Clock(datetime(2026, 1, 19, 12, 0, tzinfo=UTC), frozen=True)
    state_file.track_clock(clock)
    assert state_file.saved_clock().now == datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
    clock.advance(timedelta(hours=2))
    store.commit()
    state_file.close()
    saved = StateFile.open(path).saved_clock()
    assert saved is not None
    assert (saved.now, saved.frozen, saved.speed) == (
        datetime(2026, 1, 19, 14, 0, tzinfo=UTC),
        True,
        1.0,
    )


def test_a_saved_clock_resumes_as_if_it_had_kept_running():
    at = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
    running = SavedClock(at, wall=1000.0, frozen=False, speed=60.0)
    assert running.resumed(wall_now=1010.0) == at + timedelta(minutes=10)
    assert running.resumed(wall_now=900.0) == at  # a wall clock set back never rewinds it
    frozen = SavedClock(at, wall=1000.0, frozen=True, speed=60.0)
    assert frozen.resumed(wall_now=5000.0) == at
    assert frozen.clock().state().frozen


def test_a_missing_file_is_made_only_when_asked(path):
    with pytest.raises(StateFileError, match="no such state file"):
        StateFile.open(path)
    assert not path.exists()
    StateFile.open(path, create=True).close()
    StateFile.open(path).close()


def test_a_file_that_is_not_a_state_file_is_left_alone(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE t (x)")
    empty = tmp_path / "empty.db"
    empty.touch()
    for file in (text, other):
        with pytest.raises(StateFileError, match="is not a mockgate state file"):
            StateFile.open(file, create=True)
    with pytest.raises(StateFileError, match="is not a mockgate state file"):
        StateFile.open(empty)  # offline commands do not turn an empty file into a state file
    assert text.read_text() == "hello"
    StateFile.open(empty, create=True).close()  # serve may
    StateFile.open(empty).close()


def test_a_file_from_a_newer_mockgate_is_refused(path):
    StateFile.open(path, create=True).close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StateFileError, match="newer mockgate"):
        StateFile.open(path)


def test_a_file_open_elsewhere_is_locked(path):
    first = StateFile.open(path, create=True)
    with pytest.raises(StateFileLocked, match="in use by another process"):
        StateFile.open(path)
    first.close()
    StateFile.open(path).close()


def test_an_unknown_sync_mode_is_refused(path):
    with pytest.raises(ValueError, match="expected normal or full"):
        StateFile.open(path, create=True, sync="sometimes")
