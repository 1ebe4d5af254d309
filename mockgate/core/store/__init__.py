"""The state of a mock: named collections of JSON records, behind a small interface.

Handlers and domain code see only ``Store``: ``memory.MemoryStore`` by default, or
``sqlite.SqliteStore`` (the same, with every commit written to a state file) under
``mockgate serve --state-file``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

__all__ = ["ChangeListener", "Record", "Snapshot", "Store", "dump_json", "load_json"]

Record = dict[str, Any]
Snapshot = dict[str, dict[str, Record]]


class ChangeListener(Protocol):
    """Data derived from one collection and kept current by the store (see ``Store.index``)."""

    def reload(self, records: Mapping[str, Record]) -> None:
        """Start over from the whole collection (``records`` in insertion order)."""
        ...

    def change(self, key: str, old: Record | None, new: Record | None) -> None:
        """``key`` was put (``new``) or deleted (``new`` is None); ``old`` is what it held."""
        ...


L = TypeVar("L", bound=ChangeListener)


class Store(Protocol):
    """Collections of records keyed by id, in insertion order.

    A record returned by ``get``/``values`` must be treated as read-only: ``put`` it back to
    change it, so every implementation sees every write.
    """

    def get(self, collection: str, key: str) -> Record | None: ...

    def put(self, collection: str, key: str, record: Record) -> None: ...

    def delete(self, collection: str, key: str) -> Record | None: ...

    def values(self, collection: str) -> list[Record]: ...

    def count(self, collection: str) -> int: ...

    def generation(self, collection: str) -> int:
        """A number that changes whenever ``collection`` does (a put, delete, restore or reset):
        what derived data such as an index compares to know it is still current."""
        ...

    def index(self, collection: str, name: str, build: Callable[[], L]) -> L:
        """The listener called ``name`` over ``collection``, current with every write.

        Built with ``build()`` and loaded from the collection on first use; from then on told
        every put and delete of the collection as it happens, and reloaded once, on its next
        use, after a restore or reset. ``name`` identifies it: always build the same kind of
        listener under one name. A listener that raises is reloaded on its next use.
        """
        ...

    def commit(self) -> None:
        """Make every write so far durable. The request pipeline calls it once per request,
        before the response's first byte leaves, so an acknowledged write is never lost.

        When it raises, the writes it was to make are undone (the store is as at the last
        commit) and nothing stays pending: the next commit does not meet the same failure."""
        ...

    def snapshot(self) -> Snapshot:
        """A deep copy of every collection."""
        ...

    def restore(self, snapshot: Snapshot) -> None:
        """Replace every collection with (a copy of) ``snapshot``."""
        ...

    def reset(self, seed: Snapshot | None = None) -> None:
        """Back to the state the store was seeded with; with ``seed``, to that state, which
        later resets return to (``seed`` becomes the store's own: do not change it afterwards)."""
        ...


def dump_json(store: Store) -> str:
    """The whole state as a JSON document (the admin API's ``GET state``)."""
    return json.dumps(store.snapshot(), ensure_ascii=False, sort_keys=False)


def load_json(store: Store, text: str | bytes) -> None:
    """Replace the state with a JSON document produced by ``dump_json``.

    Raises ``ValueError`` naming the first thing wrong with its shape; the store is unchanged then.
    """
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"state is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("state must be an object of collections")
    for name, collection in data.items():
        if not isinstance(collection, dict):
            raise ValueError(f"state.{name} must be an object of records keyed by id")
        for key, record in collection.items():
            if not isinstance(record, dict):
                raise ValueError(f"state.{name}.{key} must be an object")
    store.restore(data)
