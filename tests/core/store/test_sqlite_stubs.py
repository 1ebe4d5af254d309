"""A state file keeps each API's stubs: saved with the commit after a change (a hit included),
read back when reopened; a file written before stubs existed gets their table."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from mockgate.core.store.sqlite import ApiEntry, StateFile, StateFileError
from mockgate.core.stubs import Stub, StubRequest

ENTRY = ApiEntry(seed=1, dataset="demo")
LIST = {"match": {"path": "/api/sessions"}, "response": {"status": 200}, "times": 3}
REQUEST = StubRequest("GET", "/api/sessions", "/api/sessions", {}, {})


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


def saved(path: Path, api: str) -> list[tuple[str, int]]:
    with closing(StateFile.open(path)) as file:
        return [(s.id, s.hits) for s in file.stubs(api).ordered()]


def test_stubs_are_saved_with_the_next_commit_and_read_back(path):
    file = StateFile.open(path, create=True)
    store = file.store("x", {}, ENTRY)
    book = file.stubs("x")
    book.add(Stub.from_json(LIST))
    book.match(REQUEST)
    store.commit()  # nothing of the store changed: the stubs alone are written
    book.match(REQUEST)  # not committed: not in the file
    file.close()
    assert saved(path, "x") == [("stub-1", 1)]


def test_each_api_has_its_own_stubs(path):
    file = StateFile.open(path, create=True)
    store = file.store("x", {}, ENTRY)
    file.store("y", {}, ENTRY)
    file.stubs("x").add(Stub.from_json(LIST))
    file.stubs("y")
    store.commit()
    file.close()
    assert (saved(path, "x"), saved(path, "y")) == ([("stub-1", 0)], [])


def test_forget_stubs_removes_an_apis_saved_stubs(path):
    file = StateFile.open(path, create=True)
    store = file.store("x", {}, ENTRY)
    file.stubs("x").add(Stub.from_json(LIST))
    store.commit()
    file.forget_stubs("x")
    file.close()
    assert saved(path, "x") == []


def test_a_file_without_the_stubs_table_gets_it(path):
    StateFile.open(path, create=True).close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("DROP TABLE stubs")
        db.execute("PRAGMA user_version = 1")
    assert saved(path, "x") == []
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)


def test_unreadable_saved_stubs_are_reported(path):
    StateFile.open(path, create=True).close()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("INSERT INTO stubs VALUES ('x', '[{\"id\": \"stub-1\"}]')")
    with closing(StateFile.open(path)) as file, pytest.raises(StateFileError, match="stubs of x"):
        file.stubs("x")
