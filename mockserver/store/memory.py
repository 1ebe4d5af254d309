"""An in-memory ``Store``: dictionaries behind a lock."""

from __future__ import annotations

import copy
import threading

from mockserver.store import Record, Snapshot

__all__ = ["MemoryStore"]


class MemoryStore:
    """Collections of records in dicts. Thread-safe; async-safe because no method awaits."""

    def __init__(self, seed: Snapshot | None = None) -> None:
        """``seed`` becomes the store's own (the state ``reset`` returns to): do not keep
        changing it afterwards."""
        self._lock = threading.RLock()
        self._seed = seed or {}
        self._data: Snapshot = copy.deepcopy(self._seed)

    def get(self, collection: str, key: str) -> Record | None:
        return self._data.get(collection, {}).get(key)

    def put(self, collection: str, key: str, record: Record) -> None:
        with self._lock:
            self._data.setdefault(collection, {})[key] = record

    def delete(self, collection: str, key: str) -> Record | None:
        with self._lock:
            return self._data.get(collection, {}).pop(key, None)

    def values(self, collection: str) -> list[Record]:
        with self._lock:
            return list(self._data.get(collection, {}).values())

    def count(self, collection: str) -> int:
        return len(self._data.get(collection, {}))

    def snapshot(self) -> Snapshot:
        with self._lock:
            return copy.deepcopy(self._data)

    def restore(self, snapshot: Snapshot) -> None:
        fresh = copy.deepcopy(snapshot)
        with self._lock:
            self._data = fresh

    def reset(self) -> None:
        self.restore(self._seed)
