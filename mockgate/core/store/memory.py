"""An in-memory ``Store``: dictionaries behind a lock, and the listeners derived from them."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable
from typing import cast

from mockgate.core.store import ChangeListener, L, Record, Snapshot

__all__ = ["MemoryStore"]


class MemoryStore:
    """Collections of records in dicts. Thread-safe; async-safe because no method awaits."""

    def __init__(self, seed: Snapshot | None = None) -> None:
        """``seed`` becomes the store's own (the state ``reset`` returns to): do not keep
        changing it afterwards."""
        self._lock = threading.RLock()
        self._seed = seed or {}
        self._data: Snapshot = _copy(self._seed)
        # Per collection; a restore bumps the shared base so every collection changes.
        self._generations: dict[str, int] = {}
        self._base_generation = 0
        # Per collection, by name; a stale listener is reloaded when next asked for.
        self._listeners: dict[str, dict[str, ChangeListener]] = {}
        self._stale: set[tuple[str, str]] = set()

    def get(self, collection: str, key: str) -> Record | None:
        return self._data.get(collection, {}).get(key)

    def put(self, collection: str, key: str, record: Record) -> None:
        with self._lock:
            records = self._data.setdefault(collection, {})
            old = records.get(key)
            records[key] = record
            self._bump(collection)
            self._notify(collection, key, old, record)

    def delete(self, collection: str, key: str) -> Record | None:
        with self._lock:
            removed = self._data.get(collection, {}).pop(key, None)
            if removed is not None:
                self._bump(collection)
                self._notify(collection, key, removed, None)
            return removed

    def values(self, collection: str) -> list[Record]:
        with self._lock:
            return list(self._data.get(collection, {}).values())

    def count(self, collection: str) -> int:
        return len(self._data.get(collection, {}))

    def generation(self, collection: str) -> int:
        return self._base_generation + self._generations.get(collection, 0)

    def index(self, collection: str, name: str, build: Callable[[], L]) -> L:
        with self._lock:
            named = self._listeners.setdefault(collection, {})
            if name not in named:
                named[name] = build()
                self._stale.add((collection, name))
            listener = named[name]
            if (collection, name) in self._stale:
                listener.reload(self._data.get(collection, {}))
                self._stale.discard((collection, name))
            # What ``build`` made under this name: one name is always one kind of listener.
            return cast(L, listener)

    def commit(self) -> None:
        """Nothing to do: memory is as durable as this store gets."""

    def snapshot(self) -> Snapshot:
        with self._lock:
            return _copy(self._data)

    def restore(self, snapshot: Snapshot) -> None:
        fresh = _copy(snapshot)
        with self._lock:
            self._data = fresh
            # Past every generation any collection has had, so no old number comes back.
            self._base_generation += 1 + max(self._generations.values(), default=0)
            self._generations.clear()
            # Reloaded on next use, once, however many restores come before it.
            for collection, named in self._listeners.items():
                self._stale.update((collection, name) for name in named)

    def reset(self, seed: Snapshot | None = None) -> None:
        with self._lock:
            if seed is not None:
                self._seed = seed
            self.restore(self._seed)

    def _notify(self, collection: str, key: str, old: Record | None, new: Record | None) -> None:
        for name, listener in self._listeners.get(collection, {}).items():
            if (collection, name) in self._stale:
                continue
            try:
                listener.change(key, old, new)
            except Exception:  # The write stands; the listener starts over on its next use.
                self._stale.add((collection, name))

    def _bump(self, collection: str) -> None:
        self._generations[collection] = self._generations.get(collection, 0) + 1


def _copy(snapshot: Snapshot) -> Snapshot:
    # A pickle round trip copies plain data exactly as deepcopy does, ~3x faster (a seed's copy
    # is part of start-up, and every snapshot, restore and reset pays it).
    copied: Snapshot = pickle.loads(pickle.dumps(snapshot, pickle.HIGHEST_PROTOCOL))
    return copied
