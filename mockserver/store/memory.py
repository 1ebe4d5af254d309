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
        # Per collection; a restore bumps the shared base so every collection changes.
        self._generations: dict[str, int] = {}
        self._base_generation = 0

    def get(self, collection: str, key: str) -> Record | None:
        return self._data.get(collection, {}).get(key)

    def put(self, collection: str, key: str, record: Record) -> None:
        with self._lock:
            self._data.setdefault(collection, {})[key] = record
            self._bump(collection)

    def delete(self, collection: str, key: str) -> Record | None:
        with self._lock:
            removed = self._data.get(collection, {}).pop(key, None)
            if removed is not None:
                self._bump(collection)
            return removed

    def values(self, collection: str) -> list[Record]:
        with self._lock:
            return list(self._data.get(collection, {}).values())

    def count(self, collection: str) -> int:
        return len(self._data.get(collection, {}))

    def generation(self, collection: str) -> int:
        return self._base_generation + self._generations.get(collection, 0)

    def commit(self) -> None:
        """Nothing to do: memory is as durable as this store gets."""

    def snapshot(self) -> Snapshot:
        with self._lock:
            return copy.deepcopy(self._data)

    def restore(self, snapshot: Snapshot) -> None:
        fresh = copy.deepcopy(snapshot)
        with self._lock:
            self._data = fresh
            # Past every generation any collection has had, so no old number comes back.
            self._base_generation += 1 + max(self._generations.values(), default=0)
            self._generations.clear()

    def reset(self) -> None:
        self.restore(self._seed)

    def _bump(self, collection: str) -> None:
        self._generations[collection] = self._generations.get(collection, 0) + 1
