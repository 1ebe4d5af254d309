"""Ordered secondary indexes over one collection of a store, kept current write by write.

An ``OrderedIndex`` keeps a collection's records sorted by an *order key*, and, per indexed
field (or composite of fields), one sorted bucket of records per value. A filtered, ordered page
then costs a few binary searches plus the page itself instead of a copy, a scan and a sort of
the whole collection. A field's buckets are built by the first query that filters on it, so a
reload costs one pass and one sort, and fields nobody filters on cost nothing.

The store feeds it (``Store.index``): ``change`` on every put and delete (an insertion or removal
by binary search in each list the record is in), ``reload`` once after a restore or reset.

**Order.** Exactly that of ``sorted(records, key=order, reverse=descending)`` over the store's
records in insertion order (``stable=True``, Python's stable sort: ties keep insertion order even
when descending), or of ``sorted(records, key=order)[::-1]`` (``descending=True,
stable=False``: ties in reverse insertion order). Insertion order is the store's: a put of an
existing key keeps its place, a key deleted and put again goes last, a reload numbers records in
the order given.

**Records the index cannot place.** ``order``, ``where`` and the field extractors run on every
record put; a record for which one raises (a malformed record loaded through the admin API) is
left out and the index is no longer ``complete``: callers then answer from a plain scan, which
behaves (or fails) exactly as before the index existed. ``order`` must return mutually comparable
values (or raise): a tuple of a timestamp and an id, say.

Lists are plain Python lists kept sorted with ``bisect``: at 100,000 records an insertion or a
removal moves ~800 kB of pointers (tens of microseconds), cheaper than any per-request scan.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import heapq
import itertools
import sys
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from mockgate.core.store import Record

__all__ = ["OrderedIndex", "Selection"]

Entry = tuple[Any, int, str]
"""What the sorted lists hold: (order key, tie-break from the insertion order, store key)."""


@dataclass(frozen=True, slots=True)
class _Item:
    entry: Entry
    record: Record
    values: dict[str, frozenset[Hashable]]

    def combos(self, group: tuple[str, ...]) -> Iterator[tuple[Hashable, ...]]:
        """The buckets of ``group`` the record is in (several when a field has many values)."""
        return itertools.product(*[self.values[name] for name in group])


class OrderedIndex:
    """One collection's records in ``order``, with buckets of records per field value.

    ``fields`` extract one value per record (a status, an owner id); ``multi_fields`` any number
    (a record's tags). Each field gets buckets of its own; each of ``composites`` (a tuple of
    field names) gets buckets per combination of values, so a query filtering on all of them
    reads one bucket per combination asked for and knows its total without a walk. ``where``
    limits the index to the records it accepts (e.g. only active sessions). With
    ``key_field``, a record whose ``key_field`` is not its store key is treated like a
    malformed one (the index is no longer ``complete``).
    """

    def __init__(
        self,
        order: Callable[[Record], Any],
        *,
        fields: Mapping[str, Callable[[Record], Hashable]] | None = None,
        multi_fields: Mapping[str, Callable[[Record], Iterable[Hashable]]] | None = None,
        composites: Iterable[tuple[str, ...]] = (),
        where: Callable[[Record], bool] | None = None,
        descending: bool = False,
        stable: bool = True,
        key_field: str | None = None,
    ) -> None:
        self._order = order
        self._single = dict(fields or {})
        self._multi = dict(multi_fields or {})
        self._where = where
        self.descending = descending
        # ``stable=False`` puts ties in reverse insertion order. Entries are always sorted
        # ascending; the tie-break's sign makes reading them in the index's direction give the
        # documented order among equal keys.
        self._tie_sign = -1 if descending == stable else 1
        self._key_field = key_field
        self._positions: dict[str, int] = {}  # insertion order of every key of the collection
        self._next_position = 0
        self._items: dict[str, _Item] = {}
        self._all: list[Entry] = []
        names = (*self._single, *self._multi)
        unknown = {name for combo in composites for name in combo} - set(names)
        if unknown:
            raise ValueError(f"composites name unknown fields: {', '.join(sorted(unknown))}")
        self._groups = (*((name,) for name in names), *composites)
        # Bucket group (a tuple of field names) -> combination of their values -> entries. A
        # group is built by the first query that can use it, then kept current like the rest.
        self._buckets: dict[tuple[str, ...], dict[tuple[Hashable, ...], list[Entry]]] = {}
        self._unplaced: set[str] = set()

    # --- kept current by the store ---------------------------------------------------------

    def reload(self, records: Mapping[str, Record]) -> None:
        """Start over from ``records`` (the whole collection, in insertion order)."""
        self._positions = {key: position for position, key in enumerate(records)}
        self._next_position = len(records)
        self._items.clear()
        self._unplaced.clear()
        self._buckets.clear()
        with _collector_paused():
            for key, record in records.items():
                item = self._place(key, record)
                if item is not None:
                    self._items[key] = item
            # One sort rather than an insertion per record.
            self._all = sorted(item.entry for item in self._items.values())

    def change(self, key: str, old: Record | None, new: Record | None) -> None:
        """``key`` was put (``new``) or deleted (``new`` is None); ``old`` is what it held."""
        previous = self._items.pop(key, None)
        if previous is not None:
            self._remove(previous)
        self._unplaced.discard(key)
        if new is None:
            self._positions.pop(key, None)
            return
        if key not in self._positions:
            self._positions[key] = self._next_position
            self._next_position += 1
        item = self._place(key, new)
        if item is not None:
            self._items[key] = item
            bisect.insort(self._all, item.entry)
            for group, buckets in self._buckets.items():
                for combo in item.combos(group):
                    bisect.insort(buckets.setdefault(combo, []), item.entry)

    # --- reading ---------------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """Whether every record ``where`` accepts is in the index (none was malformed)."""
        return not self._unplaced

    def __len__(self) -> int:
        return len(self._all)

    def values(self, field: str) -> list[Hashable]:
        """The values ``field`` has among the indexed records."""
        return [combo[0] for combo in self._built((field,))]

    def select(
        self,
        filters: Mapping[str, Collection[Hashable]] | None = None,
        *,
        lower: Any = None,
        upper: Any = None,
        where: Callable[[Record], bool] | None = None,
    ) -> Selection:
        """The indexed records, in the index's order, that match every filter.

        - ``filters``: per field, the values accepted (the record has **any** of them; an empty
          collection accepts nothing).
        - ``lower`` / ``upper``: inclusive bounds on the first element of the order key (which
          must then be a tuple), when not None.
        - ``where``: any further test, applied to the records the fields leave.

        The bucket group (a field, or a composite of filtered fields) holding the fewest
        candidates drives the selection; the filters it does not cover and ``where`` are
        checked on those candidates only.
        """
        wanted = {name: frozenset(values) for name, values in (filters or {}).items()}
        unknown = {name for name in wanted if (name,) not in self._groups}
        if unknown:
            raise KeyError(f"not an indexed field: {', '.join(sorted(unknown))}")
        candidates: dict[tuple[str, ...], list[_Cut]] = {(): [self._cut(self._all, lower, upper)]}
        for group in self._groups:
            if set(group) <= set(wanted):
                buckets = self._built(group)
                combos = itertools.product(*(wanted[name] for name in group))
                candidates[group] = [
                    self._cut(buckets[combo], lower, upper) for combo in combos if combo in buckets
                ]
        # Fewest candidates; on a tie the group covering more filters (fewer checks).
        driver = min(candidates, key=lambda group: (sum(map(len, candidates[group])), -len(group)))
        others = {name: values for name, values in wanted.items() if name not in driver}
        check = None
        if others or where is not None:

            def check(item: _Item) -> bool:
                return all(not item.values[n].isdisjoint(v) for n, v in others.items()) and (
                    where is None or where(item.record)
                )

        return Selection(
            self,
            [cut for cut in candidates[driver] if cut],
            check=check,
            # A record with several of the values asked for sits in several buckets.
            overlapping=any(name in self._multi and len(wanted[name]) > 1 for name in driver),
        )

    def record(self, entry: Entry) -> Record:
        return self._items[entry[2]].record

    # --- internals ---------------------------------------------------------------------------

    def _place(self, key: str, record: Record) -> _Item | None:
        """The record's item, or None when the index leaves it out (``where``, malformed)."""
        try:
            if self._key_field is not None and record.get(self._key_field) != key:
                raise ValueError(f"{self._key_field} is not the record's key")
            if self._where is not None and not self._where(record):
                return None
            entry = (self._order(record), self._tie_sign * self._positions[key], key)
            values = {name: frozenset((get(record),)) for name, get in self._single.items()}
            values |= {name: frozenset(get(record)) for name, get in self._multi.items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            self._unplaced.add(key)
            return None
        return _Item(entry, record, values)

    def _built(self, group: tuple[str, ...]) -> dict[tuple[Hashable, ...], list[Entry]]:
        """The buckets of ``group``, filled from ``_all`` (so each comes out sorted) the first
        time they are asked for."""
        if group not in self._buckets:
            buckets: dict[tuple[Hashable, ...], list[Entry]] = {}
            with _collector_paused():
                for entry in self._all:
                    for combo in self._items[entry[2]].combos(group):
                        buckets.setdefault(combo, []).append(entry)
            self._buckets[group] = buckets
        return self._buckets[group]

    def _remove(self, item: _Item) -> None:
        _discard(self._all, item.entry)
        for group, buckets in self._buckets.items():
            for combo in item.combos(group):
                _discard(buckets[combo], item.entry)
                if not buckets[combo]:
                    del buckets[combo]

    def _cut(self, entries: list[Entry], lower: Any, upper: Any) -> _Cut:
        start, stop = 0, len(entries)
        if lower is not None:
            start = bisect.bisect_left(entries, lower, key=_first)
        if upper is not None:
            stop = bisect.bisect_right(entries, upper, lo=start, key=_first)
        return _Cut(entries, start, stop)


@dataclass(frozen=True, slots=True)
class _Cut:
    """``entries[start:stop]`` without copying it."""

    entries: list[Entry]
    start: int
    stop: int

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def walk(self, descending: bool) -> Iterator[Entry]:
        # Lazily, by position: a merge may read only the first few.
        entries = self.entries
        if descending:
            return (entries[i] for i in range(self.stop - 1, self.start - 1, -1))
        return (entries[i] for i in range(self.start, self.stop))


class Selection(Sequence[Record]):
    """The records an ``OrderedIndex.select`` matched, in order, computed as they are read.

    ``len`` is free when the driving field decided everything; otherwise it walks the
    candidates once (and remembers the answer). Slicing reads only up to the slice's end.
    """

    def __init__(
        self,
        index: OrderedIndex,
        cuts: list[_Cut],
        *,
        check: Callable[[_Item], bool] | None,
        overlapping: bool,
    ) -> None:
        self._index = index
        self._cuts = cuts
        self._check = check
        self._overlapping = overlapping  # a record may sit in several of the cuts
        self._length: int | None = None

    def __len__(self) -> int:
        if self._length is None:
            if self._check is None and not self._overlapping:
                self._length = sum(len(cut) for cut in self._cuts)
            else:
                self._length = sum(1 for _ in self._entries())
        return self._length

    def __iter__(self) -> Iterator[Record]:
        return map(self._index.record, self._entries())

    @overload
    def __getitem__(self, where: int) -> Record: ...

    @overload
    def __getitem__(self, where: slice) -> list[Record]: ...

    def __getitem__(self, where: int | slice) -> Record | list[Record]:
        if isinstance(where, int):
            if where < 0:
                return list(self)[where]
            found = self[where : where + 1]
            if not found:
                raise IndexError("selection index out of range")
            return found[0]
        start, stop, step = where.start or 0, where.stop, where.step
        if start < 0 or (stop is not None and stop < 0) or step not in (None, 1):
            return list(self)[where]
        if len(self._cuts) == 1 and self._check is None:
            entries = self._window(self._cuts[0], start, stop)
        else:
            # No page starts past sys.maxsize (islice's bound): an offset of 2**63 is just empty.
            limit = sys.maxsize
            entries = itertools.islice(
                self._entries(), min(start, limit), None if stop is None else min(stop, limit)
            )
        return [self._index.record(entry) for entry in entries]

    def _window(self, cut: _Cut, start: int, stop: int | None) -> Iterator[Entry]:
        """Positions ``start:stop`` of one cut read in the index's order, by arithmetic."""
        size = len(cut)
        stop = size if stop is None else min(stop, size)
        if start >= stop:
            return iter(())
        if self._index.descending:
            window = _Cut(cut.entries, cut.stop - stop, cut.stop - start)
        else:
            window = _Cut(cut.entries, cut.start + start, cut.start + stop)
        return window.walk(self._index.descending)

    def _entries(self) -> Iterator[Entry]:
        descending = self._index.descending
        walks = [cut.walk(descending) for cut in self._cuts]
        merged = walks[0] if len(walks) == 1 else heapq.merge(*walks, reverse=descending)
        if self._overlapping:
            merged = (entry for entry, _ in itertools.groupby(merged))
        if self._check is None:
            return merged
        index, check = self._index, self._check
        return (entry for entry in merged if check(index._items[entry[2]]))


def _first(entry: Entry) -> Any:
    return entry[0][0]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a build allocates one tuple per record: none of
    them can be garbage, and with a large store each collection would walk all of it (a third
    of a 100,000-record build went there)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _discard(entries: list[Entry], entry: Entry) -> None:
    position = bisect.bisect_left(entries, entry)
    if position < len(entries) and entries[position] == entry:
        del entries[position]
