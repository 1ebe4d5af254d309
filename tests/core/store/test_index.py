"""Store indexes: kept current by every put and delete, reloaded once after a restore, and
always answering what a sort and a filter over ``Store.values`` would."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockgate.core.store import Record
from mockgate.core.store.index import OrderedIndex
from mockgate.core.store.memory import MemoryStore


def _by_rank(**options: Any) -> OrderedIndex:
    return OrderedIndex(
        lambda r: (r["rank"],),
        fields={"colour": lambda r: r["colour"]},
        multi_fields={"tags": lambda r: r.get("tags", ())},
        composites=[("colour", "tags")],
        **options,
    )


def _ids(records: Any) -> list[str]:
    return [r["id"] for r in records]


def _record(key: str, rank: int, colour: str = "red", tags: tuple[str, ...] = ()) -> Record:
    return {"id": key, "rank": rank, "colour": colour, "tags": list(tags)}


def test_puts_and_deletes_keep_the_index_current():
    store = MemoryStore({"things": {"a": _record("a", 2), "b": _record("b", 1)}})
    index = store.index("things", "rank", _by_rank)
    store.put("things", "c", _record("c", 0, "blue"))
    store.put("things", "a", _record("a", 5))  # an update moves the record
    store.delete("things", "b")
    assert _ids(index.select()) == ["c", "a"]
    assert _ids(index.select({"colour": ["red"]})) == ["a"]
    assert sorted(index.values("colour")) == ["blue", "red"]
    store.delete("things", "c")
    assert index.values("colour") == ["red"]  # an emptied bucket goes


def test_ties_follow_insertion_order_as_a_stable_sort_does():
    store = MemoryStore()
    for key in "abc":
        store.put("things", key, _record(key, 1))
    stable = store.index("things", "stable", lambda: _by_rank(descending=True))
    reversed_ties = store.index(
        "things", "reversed", lambda: _by_rank(descending=True, stable=False)
    )
    assert _ids(stable.select()) == ["a", "b", "c"]
    assert _ids(reversed_ties.select()) == ["c", "b", "a"]
    store.put("things", "a", _record("a", 1))  # an update keeps its place...
    assert _ids(stable.select()) == ["a", "b", "c"]
    store.delete("things", "a")
    store.put("things", "a", _record("a", 1))  # ...a deleted key put again goes last
    assert _ids(stable.select()) == ["b", "c", "a"]
    assert _ids(store.values("things")) == ["b", "c", "a"]


class _Counting:
    def __init__(self) -> None:
        self.reloads: list[dict[str, Record]] = []
        self.changes: list[tuple[str, Record | None, Record | None]] = []

    def reload(self, records):
        self.reloads.append(dict(records))

    def change(self, key, old, new):
        self.changes.append((key, old, new))


def test_a_restore_reloads_a_listener_once_on_its_next_use():
    store = MemoryStore({"things": {"a": {"id": "a"}}})
    listener = store.index("things", "counting", _Counting)
    assert listener.reloads == [{"a": {"id": "a"}}]
    store.put("things", "b", {"id": "b"})
    store.delete("things", "a")
    store.put("other", "x", {"id": "x"})  # another collection: not told
    assert listener.changes == [("b", None, {"id": "b"}), ("a", {"id": "a"}, None)]

    store.restore({"things": {"z": {"id": "z"}}})
    store.put("things", "y", {"id": "y"})  # stale until used: not told, it reloads anyway
    store.reset()
    assert len(listener.reloads) == 1
    assert store.index("things", "counting", _Counting) is listener
    assert listener.reloads[1:] == [{"a": {"id": "a"}}]  # the seed, once
    assert len(listener.changes) == 2


def test_a_failing_listener_does_not_fail_the_write_and_starts_over():
    class Failing(_Counting):
        def change(self, key, old, new):
            raise RuntimeError("bug")

    store = MemoryStore()
    listener = store.index("things", "failing", Failing)
    store.put("things", "a", {"id": "a"})
    assert store.get("things", "a") == {"id": "a"}
    store.index("things", "failing", Failing)
    assert listener.reloads == [{}, {"a": {"id": "a"}}]


def test_a_record_the_index_cannot_place_makes_it_incomplete_until_it_goes():
    store = MemoryStore({"things": {"a": _record("a", 1)}})
    index = store.index("things", "rank", _by_rank)
    store.put("things", "bad", {"id": "bad", "colour": "red"})  # no rank
    assert not index.complete
    assert _ids(index.select()) == ["a"]
    store.put("things", "bad", _record("bad", 0))
    assert index.complete
    store.put("things", "worse", {**_record("worse", 3), "colour": ["unhashable"]})
    assert not index.complete
    store.delete("things", "worse")
    assert index.complete


def test_key_field_leaves_records_keyed_otherwise_to_the_scan():
    store = MemoryStore({"things": {"a": _record("a", 1), "b": _record("x", 2)}})
    index = store.index("things", "keyed", lambda: _by_rank(key_field="id"))
    assert not index.complete
    assert _ids(index.select()) == ["a"]


def test_where_limits_the_index_and_a_record_can_move_in_and_out():
    store = MemoryStore({"things": {"a": _record("a", 1, "red"), "b": _record("b", 2, "blue")}})
    index = store.index("things", "reds", lambda: _by_rank(where=lambda r: r["colour"] == "red"))
    assert _ids(index.select()) == ["a"]
    store.put("things", "b", _record("b", 0, "red"))
    assert _ids(index.select()) == ["b", "a"]
    store.put("things", "a", _record("a", 1, "blue"))
    assert _ids(index.select()) == ["b"]
    assert len(index) == 1


def test_selection_reads_like_a_sequence():
    store = MemoryStore({"things": {k: _record(k, n) for n, k in enumerate("abcdef")}})
    index = store.index("things", "rank", _by_rank)
    everything = index.select()
    assert len(everything) == 6
    assert everything[0]["id"] == "a"
    assert everything[-1]["id"] == "f"
    assert _ids(everything[2:4]) == ["c", "d"]
    assert _ids(everything[4:99]) == ["e", "f"]
    assert everything[7:9] == []
    assert _ids(everything[::2]) == ["a", "c", "e"]
    with pytest.raises(IndexError):
        everything[6]
    with pytest.raises(KeyError, match="not an indexed field: size"):
        index.select({"size": ["big"]})


def test_unknown_composite_fields_are_refused():
    with pytest.raises(ValueError, match="unknown fields: size"):
        OrderedIndex(lambda r: r["rank"], composites=[("size",)])


# --- the index answers what a scan answers ---------------------------------------------------

_KEYS = st.sampled_from([f"k{n}" for n in range(12)])
_COLOURS = ("red", "blue", "green")
_TAGS = ("x", "y", "z")
_RECORDS = st.builds(
    _record,
    st.just(""),
    st.integers(0, 5),  # few ranks: many ties
    st.sampled_from(_COLOURS),
    st.lists(st.sampled_from(_TAGS), max_size=3, unique=True).map(tuple),
)
_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("put"), _KEYS, _RECORDS),
        st.tuples(st.just("delete"), _KEYS, st.none()),
        st.tuples(st.just("restore"), st.none(), st.dictionaries(_KEYS, _RECORDS, max_size=6)),
    ),
    max_size=30,
)
_QUERIES = st.fixed_dictionaries(
    {},
    optional={
        "colour": st.lists(st.sampled_from(_COLOURS), max_size=3),
        "tags": st.lists(st.sampled_from(_TAGS), max_size=3),
    },
)
_BOUND = st.none() | st.integers(0, 5)


def _scan(
    records: list[Record],
    filters: dict[str, list[str]],
    lower: int | None,
    upper: int | None,
    descending: bool,
    stable: bool,
) -> list[str]:
    kept = [
        r
        for r in records
        if ("colour" not in filters or r["colour"] in filters["colour"])
        and ("tags" not in filters or set(r["tags"]) & set(filters["tags"]))
        and (lower is None or r["rank"] >= lower)
        and (upper is None or r["rank"] <= upper)
    ]
    # Unstable: ties in reverse insertion order (``sorted(...)[::-1]`` when descending).
    ordered = sorted(kept if stable else kept[::-1], key=lambda r: r["rank"], reverse=descending)
    return [r["id"] for r in ordered]


@settings(max_examples=150, deadline=None)
@given(
    operations=_OPERATIONS,
    filters=_QUERIES,
    lower=_BOUND,
    upper=_BOUND,
    descending=st.booleans(),
    stable=st.booleans(),
    window=st.tuples(st.integers(0, 8), st.integers(0, 8)),
)
def test_an_index_kept_through_any_writes_answers_as_a_scan(
    operations, filters, lower, upper, descending, stable, window
):
    store = MemoryStore()
    index = store.index("things", "rank", lambda: _by_rank(descending=descending, stable=stable))
    for action, key, value in operations:
        if action == "put":
            store.put("things", key, {**value, "id": key})
        elif action == "delete":
            store.delete("things", key)
        else:
            store.restore({"things": {k: {**r, "id": k} for k, r in value.items()}})
        index = store.index("things", "rank", _by_rank)  # the name finds the same index
    expected = _scan(store.values("things"), filters, lower, upper, descending, stable)
    selection = index.select(filters, lower=lower, upper=upper)
    assert len(selection) == len(expected)
    assert _ids(selection) == expected
    start, size = window
    assert _ids(selection[start : start + size]) == expected[start : start + size]
