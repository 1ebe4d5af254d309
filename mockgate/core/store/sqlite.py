"""A ``Store`` kept in a SQLite file, so the state of the mocks and their clock survive a restart.

One ``StateFile`` holds every API one ``mockgate serve`` serves. Each API's ``SqliteStore`` is a
``MemoryStore`` (reads never touch SQLite) that remembers which records changed and writes them
in one transaction at ``commit()``. The request pipeline commits once per request, before the
response's first byte, so a write is acknowledged only once it is in the file, and the writes of
one request land together or not at all (handlers do not await between writes, so no other
request's commit falls among them). Not at all means in memory too: a failed commit undoes its
writes there as well (the records read back from the file), so one unwritable change cannot fail
every later commit. A commit with nothing to write costs a few attribute reads, so reads keep
their in-memory speed.

Durability: WAL mode. ``synchronous=NORMAL`` (the default) keeps every committed write when the
process is killed: a commit is in the WAL, in the OS's hands, before the response leaves.
``FULL`` also survives power loss or an OS crash, with an fsync per commit (about 8x the cost
here: ~20 µs against ~160 µs per commit, more on slow disks).

The file is opened with ``locking_mode=EXCLUSIVE``: while a server (or an offline ``mockgate
state`` command) has it open, another process gets ``StateFileLocked`` rather than a file that
changes under it; the OS drops the lock when a process dies, and the next open replays the WAL.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mockgate.core.clock import MAX_INSTANT, Clock, check_instant
from mockgate.core.store import Record, Snapshot
from mockgate.core.store.memory import MemoryStore
from mockgate.core.stubs import StubBook

__all__ = [
    "SYNC_MODES",
    "ApiEntry",
    "SavedClock",
    "SavedClockError",
    "SqliteStore",
    "StateFile",
    "StateFileError",
    "StateFileLocked",
]

SYNC_MODES = ("normal", "full")
# PRAGMA application_id: "mkgt", so a state file is told apart from any other SQLite database.
APPLICATION_ID = 0x6D6B6774
SCHEMA_VERSION = 2
# Version 2 added the stubs table; a version 1 file gets it when opened.
_STUBS = "CREATE TABLE IF NOT EXISTS stubs (api TEXT PRIMARY KEY, body TEXT NOT NULL);"
_SCHEMA = f"""
CREATE TABLE apis (api TEXT PRIMARY KEY, seed INTEGER NOT NULL, dataset TEXT NOT NULL);
CREATE TABLE collections (
    api TEXT NOT NULL, name TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (api, name)
) WITHOUT ROWID;
CREATE TABLE records (
    api TEXT NOT NULL, collection TEXT NOT NULL, key TEXT NOT NULL,
    position INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (api, collection, key)
) WITHOUT ROWID;
CREATE TABLE clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    now REAL NOT NULL, wall REAL NOT NULL, frozen INTEGER NOT NULL, speed REAL NOT NULL
);
{_STUBS}
"""


class StateFileError(Exception):
    """A state file that cannot be used, with what to do about it."""


class StateFileLocked(StateFileError):
    """Another process (a running ``mockgate serve``) has the file open."""


class SavedClockError(StateFileError):
    """The file's saved clock cannot be used: outside the clock's range (written by an older
    mockgate, or edited by hand) or not numbers."""


@dataclass(frozen=True)
class ApiEntry:
    """What an API's state was seeded with: what ``reset`` goes back to."""

    seed: int
    dataset: str


@dataclass(frozen=True)
class SavedClock:
    """The clock as saved: its virtual instant at the real (wall-clock) instant ``wall``."""

    now: datetime
    wall: float
    frozen: bool
    speed: float

    def resumed(self, wall_now: float | None = None) -> datetime:
        """The virtual instant at ``wall_now`` (default: now), as if the clock had kept running
        while no server had the file open; a frozen clock stays where it was."""
        if self.frozen:
            return self.now
        elapsed = max(0.0, (time.time() if wall_now is None else wall_now) - self.wall)
        # A clock sped up legitimately may get to the end of its range: it stops there, as the
        # running one does.
        moment = min(self.now.timestamp() + elapsed * self.speed, MAX_INSTANT.timestamp())
        return datetime.fromtimestamp(moment, UTC)

    def clock(self) -> Clock:
        return Clock(self.resumed(), frozen=self.frozen, speed=self.speed)


class StateFile:
    """One SQLite state file: the records of several APIs, what each was seeded with, the clock.

    Thread-safe: one connection, used under a lock.
    """

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self._db = db
        self._lock = threading.RLock()
        self._clock: Clock | None = None
        self._clock_saved = -1
        # Each API's stubs, with the change count last saved.
        self._stubs: dict[str, tuple[StubBook, int]] = {}

    @classmethod
    def open(cls, path: str | Path, *, create: bool = False, sync: str = "normal") -> StateFile:
        """Open (or, with ``create``, make) the state file at ``path``.

        Raises ``StateFileError`` for a missing file (without ``create``), a file that is not a
        mockgate state file or is newer than this mockgate, and ``StateFileLocked`` when another
        process has it open.
        """
        if sync not in SYNC_MODES:
            raise ValueError(f"sync {sync!r}: expected {' or '.join(SYNC_MODES)}")
        path = Path(path)
        if not create and not path.is_file():
            raise StateFileError(f"{path}: no such state file")
        if path.is_dir():
            raise StateFileError(f"{path} is a directory, not a state file")
        try:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0.2)
        except sqlite3.Error as exc:
            raise StateFileError(f"{path}: cannot open: {exc}") from None
        try:
            _prepare(db, path, sync, create=create)
        except BaseException:
            db.close()
            raise
        return cls(path, db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def apis(self) -> dict[str, ApiEntry]:
        """The APIs whose state the file holds, with what each was seeded with."""
        with self._lock:
            rows = self._db.execute("SELECT api, seed, dataset FROM apis ORDER BY api").fetchall()
        return {api: ApiEntry(seed, dataset) for api, seed, dataset in rows}

    def records(self, api: str) -> Snapshot:
        """Every collection of ``api``, in insertion order (empty for an API not in the file)."""
        with self._lock:
            names = self._db.execute(
                "SELECT name FROM collections WHERE api = ? ORDER BY position", (api,)
            ).fetchall()
            rows = self._db.execute(
                "SELECT collection, key, body FROM records WHERE api = ? ORDER BY position", (api,)
            ).fetchall()
        snapshot: Snapshot = {name: {} for (name,) in names}
        for collection, key, body in rows:
            snapshot.setdefault(collection, {})[key] = json.loads(body)
        return snapshot

    def saved_clock(self) -> SavedClock | None:
        """The clock as saved (None when none is); ``SavedClockError``, saying how to discard
        it, when it cannot be used."""
        with self._lock:
            row = self._db.execute("SELECT now, wall, frozen, speed FROM clock").fetchone()
        if row is None:
            return None
        now, wall, frozen, speed = row
        try:
            instant = datetime.fromtimestamp(check_instant(float(now)), UTC)
            saved = SavedClock(instant, float(wall), bool(frozen), float(speed))
            saved.clock()  # its speed, and the instant it resumes at
        except (TypeError, ValueError, OverflowError) as exc:
            raise SavedClockError(
                f"{self.path}: its saved clock cannot be used ({exc}); "
                f"`mockgate state reset {self.path} --clock-only` discards it and keeps the "
                "state (the next `mockgate serve` starts the clock from --clock/--start), "
                "`mockgate state reset` without --clock-only resets the state too"
            ) from None
        return saved

    def forget_clock(self) -> None:
        """Discard the saved clock: the next server starts its clock from its options."""
        with self.transaction() as db:
            db.execute("DELETE FROM clock")

    def track_clock(self, clock: Clock) -> None:
        """Save ``clock`` now, and again in the first commit after each change to it."""
        with self._lock:
            self._clock = clock
            self._clock_saved = -1
            with self.transaction():
                pass

    def store(self, api: str, seeded: Snapshot, entry: ApiEntry) -> SqliteStore:
        """The store of ``api``: its state from the file when the file has it, otherwise
        ``seeded``, written to the file at once. ``reset`` goes back to ``seeded`` either way."""
        with self._lock:
            known = api in self.apis()
            stored = self.records(api) if known else None
            (end,) = self._db.execute(
                "SELECT coalesce(max(position), -1) + 1 FROM records WHERE api = ?", (api,)
            ).fetchone()
            store = SqliteStore(self, api, seeded, stored, next_position=end)
            if not known:
                with self.transaction() as db:
                    db.execute(
                        "INSERT INTO apis VALUES (?, ?, ?)", (api, entry.seed, entry.dataset)
                    )
                    store.write_all(db)
        return store

    def replace(self, api: str, snapshot: Snapshot, entry: ApiEntry | None = None) -> None:
        """Replace ``api``'s state with ``snapshot`` (offline import, reset), and what it is
        seeded with when ``entry`` is given, in one transaction."""
        with self.transaction() as db:
            if entry is not None:
                db.execute(
                    "INSERT OR REPLACE INTO apis VALUES (?, ?, ?)", (api, entry.seed, entry.dataset)
                )
            SqliteStore(self, api, snapshot, None).write_all(db)

    def stubs(self, api: str) -> StubBook:
        """``api``'s stubs as saved, saved again in the first commit after each change to them
        (hits included)."""
        with self._lock:
            row = self._db.execute("SELECT body FROM stubs WHERE api = ?", (api,)).fetchone()
            try:
                book = StubBook(json.loads(row[0]) if row else ())
            except (ValueError, KeyError, TypeError) as exc:
                raise StateFileError(
                    f"{self.path}: the saved stubs of {api} cannot be read ({exc})"
                ) from None
            self._stubs[api] = (book, book.changes)
        return book

    def forget_stubs(self, api: str) -> None:
        """Remove ``api``'s saved stubs (offline: a server's are its ``StubBook``'s)."""
        with self.transaction() as db:
            db.execute("DELETE FROM stubs WHERE api = ?", (api,))

    def unsaved(self) -> bool:
        """Whether the clock or some stubs changed since last saved."""
        if self._clock is not None and self._clock.changes != self._clock_saved:
            return True
        return any(book.changes != saved for book, saved in self._stubs.values())

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that also saves the clock when it changed; rolled back when the
        block raises."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise _locked_or(exc, self.path) from None
            try:
                yield self._db
                saved = self._save_clock()
                stubs = self._save_stubs()
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            if saved is not None:
                self._clock_saved = saved
            self._stubs.update(stubs)

    def _save_clock(self) -> int | None:
        """Write the clock when it changed since last saved; the change count written."""
        clock = self._clock
        if clock is None or clock.changes == self._clock_saved:
            return None
        changes, state = clock.changes, clock.state()
        self._db.execute(
            "INSERT OR REPLACE INTO clock VALUES (1, ?, ?, ?, ?)",
            (state.now.timestamp(), time.time(), int(state.frozen), state.speed),
        )
        return changes

    def _save_stubs(self) -> dict[str, tuple[StubBook, int]]:
        """Write the stubs that changed since last saved; the change counts written."""
        written = {}
        for api, (book, saved) in self._stubs.items():
            changes = book.changes
            if changes == saved:
                continue
            body = json.dumps(book.dump(), ensure_ascii=False, separators=(",", ":"))
            self._db.execute("INSERT OR REPLACE INTO stubs VALUES (?, ?)", (api, body))
            written[api] = (book, changes)
        return written


class SqliteStore(MemoryStore):
    """A ``MemoryStore`` whose writes reach a ``StateFile`` at each ``commit()``.

    A record's ``position`` in the file orders it within its collection. Like a dict, a key
    takes its position when it is added (or deleted and added again: it then goes last), and
    keeps it when changed in place. The position is taken at the write itself, from a counter
    that only goes up, not at the commit: a commit writes its changes in whatever order, and
    a key deleted, then added again after other keys were added, still goes after them.
    """

    def __init__(
        self,
        file: StateFile,
        api: str,
        seeded: Snapshot,
        stored: Snapshot | None,
        *,
        next_position: int = 0,
    ) -> None:
        """``seeded`` is what ``reset`` returns to; ``stored`` (when not None) is the state to
        start from, as read from the file, whose records' positions end before
        ``next_position``."""
        super().__init__(seeded)
        if stored is not None:
            MemoryStore.restore(self, stored)  # already in the file: nothing to write
        self._file = file
        self._api = api
        self._changes_lock = threading.Lock()
        # (collection, key) -> the position the key was (re)added at since the last commit, or
        # None when it was only changed in place or deleted; the record itself is read back at
        # commit, so a key written twice is written once. In the order the keys were first
        # changed, which puts a new collection's first change first.
        self._dirty: dict[tuple[str, str], int | None] = {}
        self._rewrite = False
        self._collections = set(stored or ())
        # Past every position in the file and every position taken since.
        self._next_position = next_position

    def put(self, collection: str, key: str, record: Record) -> None:
        with self._lock:  # the write and its mark together: the marks follow the writes' order
            added = self.get(collection, key) is None
            super().put(collection, key, record)
            self._mark(collection, key, added)

    def delete(self, collection: str, key: str) -> Record | None:
        with self._lock:
            removed = super().delete(collection, key)
            if removed is not None:
                self._mark(collection, key, False)
            return removed

    def restore(self, snapshot: Snapshot) -> None:
        with self._lock:
            super().restore(snapshot)
            with self._changes_lock:
                self._dirty.clear()
                self._rewrite = True

    def commit(self) -> None:
        """Write what changed since the last commit (and the clock, when it changed) in one
        transaction; nothing at all when nothing changed.

        On failure, SQLite's rule: the data are as they were before, in the file (the
        transaction is rolled back) and in memory (the changes are undone, see ``_roll_back``),
        and the exception propagates. Keeping them pending instead would make every later
        commit fail on the same unwritable change."""
        if not self._dirty and not self._rewrite and not self._file.unsaved():
            return
        snapshot: Snapshot | None = None
        fallback = 0
        with self._lock, self._changes_lock:
            dirty, self._dirty = self._dirty, {}
            rewrite, self._rewrite = self._rewrite, False
            if rewrite:
                # Taken with the changes it covers: a write after it is left pending, with a
                # position past every one the rewrite gives.
                snapshot = self.snapshot()
                self._next_position = max(
                    self._next_position, sum(len(c) for c in snapshot.values())
                )
            elif dirty:
                # For a record changed in place that is, against all expectation, not in the
                # file: written last rather than lost.
                fallback = self._next_position
                self._next_position += 1
        try:
            with self._file.transaction() as db:
                if snapshot is not None:
                    self.write_all(db, snapshot)
                elif dirty:
                    self._write_changes(db, dirty, fallback)
        except BaseException:
            if dirty or rewrite:
                self._roll_back()
            raise
        if snapshot is None:  # only once committed: a failed transaction is retried in full
            self._collections |= {name for name, _ in dirty}

    def _roll_back(self) -> None:
        """After a failed commit: back to what the file holds, but for the writes made since the
        commit began (by another thread), which stay, pending for their own commit."""
        with self._lock:  # no write in between
            if self._rewrite:  # a restore since replaced all that the failed commit held
                return
            try:
                committed = self._file.records(self._api)
            except Exception:  # the file cannot even be read: what is in memory is written whole
                with self._changes_lock:
                    self._rewrite = True
                return
            newer = self._dirty
            current = {where: self.get(*where) for where in newer}
            MemoryStore.restore(self, committed)
            self._collections = set(committed)
            with self._changes_lock:
                for where, position in newer.items():
                    if position is None and current[where] is not None and self.get(*where) is None:
                        # Changed in place since, but added by the failed commit: now an addition.
                        newer[where] = self._next_position
                        self._next_position += 1
            # Changes in place keep their key's place; additions go last, in the order taken.
            positions = {where: -1 if at is None else at for where, at in newer.items()}
            for where in sorted(newer, key=positions.__getitem__):
                record = current[where]
                if record is None or newer[where] is not None:
                    MemoryStore.delete(self, *where)
                if record is not None:
                    MemoryStore.put(self, *where, record)

    def write_all(self, db: sqlite3.Connection, snapshot: Snapshot | None = None) -> None:
        """Replace this API's rows with ``snapshot`` (default: the whole store), inside the
        caller's transaction."""
        if snapshot is None:
            snapshot = self.snapshot()
        db.execute("DELETE FROM collections WHERE api = ?", (self._api,))
        db.execute("DELETE FROM records WHERE api = ?", (self._api,))
        db.executemany(
            "INSERT INTO collections VALUES (?, ?, ?)",
            [(self._api, name, position) for position, name in enumerate(snapshot)],
        )
        rows = (
            (self._api, name, key, _encode(record))
            for name, collection in snapshot.items()
            for key, record in collection.items()
        )
        db.executemany(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?)",
            [
                (api, name, key, position, body)
                for position, (api, name, key, body) in enumerate(rows)
            ],
        )
        self._collections = set(snapshot)
        with self._changes_lock:
            self._next_position = max(self._next_position, sum(len(c) for c in snapshot.values()))

    def _write_changes(
        self, db: sqlite3.Connection, dirty: dict[tuple[str, str], int | None], fallback: int
    ) -> None:
        """Write the ``dirty`` records (each key once, so in any order)."""
        api = self._api
        # In the order the collections were first written (a set would shuffle them).
        for collection in dict.fromkeys(name for name, _ in dirty):
            if collection in self._collections:
                continue
            db.execute(
                "INSERT OR IGNORE INTO collections SELECT ?, ?, coalesce(max(position), -1) + 1 "
                "FROM collections WHERE api = ?",
                (api, collection, api),
            )
        deleted, added, changed = [], [], []
        for (collection, key), position in dirty.items():
            record = self.get(collection, key)
            if record is None:
                deleted.append((api, collection, key))
            elif position is not None:
                added.append((api, collection, key, position, _encode(record)))
            else:
                changed.append((api, collection, key, fallback, _encode(record)))
        if deleted:
            db.executemany(
                "DELETE FROM records WHERE api = ? AND collection = ? AND key = ?", deleted
            )
        if added:  # (re)added: at the position it was added at, last in its collection
            db.executemany(
                "INSERT INTO records VALUES (?, ?, ?, ?, ?) ON CONFLICT (api, collection, key) "
                "DO UPDATE SET position = excluded.position, body = excluded.body",
                added,
            )
        if changed:  # changed in place: keeps its position
            db.executemany(
                "INSERT INTO records VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (api, collection, key) DO UPDATE SET body = excluded.body",
                changed,
            )

    def _mark(self, collection: str, key: str, added: bool) -> None:
        # Under the store's lock, with the write itself: no commit falls between the two.
        where = (collection, key)
        with self._changes_lock:
            if added:
                self._dirty[where] = self._next_position
                self._next_position += 1
            elif where not in self._dirty:
                self._dirty[where] = None


def _encode(record: Record) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _prepare(db: sqlite3.Connection, path: Path, sync: str, *, create: bool) -> None:
    """Set the connection up, and check the schema (or, in a new file, lay it out)."""
    try:
        # Before the first access, so the lock is taken then and held until close.
        db.execute("PRAGMA locking_mode = EXCLUSIVE")
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if application_id != APPLICATION_ID and (application_id or tables or not create):
            raise StateFileError(f"{path} is not a mockgate state file")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StateFileError(
                f"{path} was written by a newer mockgate (state file version {version}); "
                "upgrade mockgate to use it"
            )
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA synchronous = {sync.upper()}")
        if application_id == APPLICATION_ID:
            if version < SCHEMA_VERSION:
                db.executescript(
                    f"BEGIN IMMEDIATE;\n{_STUBS}\nPRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"
                )
            return
        db.executescript(
            f"BEGIN IMMEDIATE;\n{_SCHEMA}\nPRAGMA application_id = {APPLICATION_ID};\n"
            f"PRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"
        )
    except sqlite3.DatabaseError as exc:
        raise _locked_or(exc, path) from None


def _locked_or(exc: sqlite3.Error, path: Path) -> StateFileError:
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return StateFileLocked(
            f"{path} is in use by another process (a running `mockgate serve`?): stop it "
            "first, or change its state through its admin API (/__mockgate/state, /reset)"
        )
    if "not a database" in str(exc):
        return StateFileError(f"{path} is not a mockgate state file")
    return StateFileError(f"{path}: {exc}")
