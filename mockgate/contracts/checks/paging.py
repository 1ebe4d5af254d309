"""Paging probes for every API: boundary values of every paging parameter, and full page walks.

Which operations page, and how, comes from the spec: a query parameter with `x-mockgate-limit`
and a `maximum` is the page size; a sibling `offset` parameter makes it offset paging, a
`cursor` parameter cursor paging (the next cursor read from `nextCursor`). Sort orders are
enforced only where the spec promises one (`SORT_ORDERS`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mockgate.contracts.checks.common import ALL_APIS
from mockgate.contracts.checks.support import (
    effective_limit,
    fillable,
    paging_params,
    parse_instant,
    record_id,
    records,
    size_param,
)
from mockgate.contracts.registry import probe
from mockgate.contracts.session import ProbeSession
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding

__all__ = ["SORT_ORDERS", "page_walk", "paging_clamp"]

# Orders the specs promise, by (api, operationId): (field, "desc" | "asc").
# agentlens: the document gives no order ("mockgate's mock lists the newest startedAt first" is
# the mock's choice, not a promise), so none is enforced. piorchestrator: "not documented and not
# constrained". state-tracking: no order documented.
SORT_ORDERS: dict[tuple[str, str], tuple[str, str]] = {
    ("fasting", "listSessions"): ("startedAt", "desc"),
}

MAX_PAGES = 25  # pages one walk may take; a longer walk stops and is judged as incomplete
_MAX_REPORTED = 3  # records named per problem


# --- paging_clamp ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Boundary:
    label: str
    value: str
    kind: str  # "in_range" | "out_of_range" | "invalid" | "empty"


def _boundaries(limit: Mapping[str, Any]) -> list[_Boundary]:
    minimum = int(limit.get("minimum", 0))
    maximum = limit.get("maximum")
    cases = [
        _Boundary("zero", "0", "out_of_range" if minimum > 0 else "in_range"),
        _Boundary("negative", "-1", "out_of_range" if minimum > -1 else "in_range"),
    ]
    if maximum is not None:
        cases.append(_Boundary("maximum+1", str(int(maximum) + 1), "out_of_range"))
        cases.append(_Boundary("huge", str(10**12), "out_of_range"))
    else:
        # No documented maximum: a large value is in range (int32's largest, so that no storage
        # layer has an excuse).
        cases.append(_Boundary("huge", str(2**31 - 1), "in_range"))
    cases.append(_Boundary("non-numeric", "abc", "invalid"))
    cases.append(_Boundary("empty", "", "empty"))
    return cases


def _allowed(case: _Boundary, limit: Mapping[str, Any]) -> tuple[bool, bool]:
    """(may a conforming server answer 2xx?, may it answer 4xx?) for this boundary value."""
    out_of_range = limit.get("out_of_range", "either")
    invalid = limit.get("invalid", "either")
    if case.kind == "in_range":
        return True, False
    if case.kind == "out_of_range":
        return out_of_range in ("clamp", "either"), out_of_range in ("reject", "either")
    if case.kind == "invalid":
        return invalid in ("default", "clamp", "either"), invalid in ("reject", "either")
    # An empty value: many frameworks read `?limit=` as "not given", which is never wrong; a
    # server may also reject it unless the spec says invalid values fall back to the default.
    return True, invalid != "default"


def _describe_allowed(ok_2xx: bool, ok_4xx: bool) -> str:
    if ok_2xx and ok_4xx:
        return "clamped (2xx) or rejected (4xx)"
    return "clamped or defaulted (2xx)" if ok_2xx else "rejected with a 4xx"


@probe("paging_clamp", apis=ALL_APIS)
def paging_clamp(session: ProbeSession) -> Iterator[Finding]:
    """Boundary values of every paging parameter (0, negative, maximum+1, huge, non-numeric,
    empty) are clamped or rejected with a 4xx exactly as its `x-mockgate-limit` allows, never
    answered with a 5xx, and never with more records than the documented bound.

    An operation that does not answer 2xx to a plain request (no paging value) is not judged:
    its failure is not about paging (`not_a_server_error` and the schema checks cover it).
    """
    api = session.api
    for op in api.operations:
        if op.method != "GET" or not op.operation_id or not fillable(api, op.operation_id):
            continue
        params = paging_params(api, op.operation_id)
        if not params:
            continue
        baseline = session.call(op.operation_id)
        if not 200 <= baseline.status < 300:
            session.not_judged(op.operation_id)
            continue
        size = size_param(api, op.operation_id)
        for param in params:
            limit = param["x-mockgate-limit"]
            for case in _boundaries(limit):
                exchange = session.call(op.operation_id, query={param["name"]: case.value})
                yield from _judge_boundary(exchange, param, case, size)


def _judge_boundary(
    exchange: Exchange, param: Mapping[str, Any], case: _Boundary, size: Mapping[str, Any] | None
) -> Iterator[Finding]:
    limit = param["x-mockgate-limit"]
    name = param["name"]
    asked = f"{name}={case.value!r} ({case.label}, {case.kind.replace('_', ' ')})"
    ok_2xx, ok_4xx = _allowed(case, limit)
    status = exchange.status
    if status in (401, 403):
        return  # a credential problem, judged by auth_required, not by paging
    if status >= 500:
        yield Finding.from_exchanges(
            "paging_clamp",
            f"{asked} got {status}; a server error is never allowed "
            f"(expected: {_describe_allowed(ok_2xx, ok_4xx)})",
            exchange,
        )
        return
    if 200 <= status < 300:
        if not ok_2xx:
            yield Finding.from_exchanges(
                "paging_clamp",
                f"{asked} was accepted ({status}); the contract says it is "
                f"{_describe_allowed(ok_2xx, ok_4xx)}",
                exchange,
            )
            return
        if size is None:
            return
        raw = case.value if name == size["name"] else None
        bound = effective_limit(raw, size["x-mockgate-limit"])
        if case.kind == "empty":
            bound = effective_limit(None, size["x-mockgate-limit"])
        found = records(exchange.json)
        if found is not None and len(found[1]) > bound:
            yield Finding.from_exchanges(
                "paging_clamp",
                f"{asked} returned {len(found[1])} records in {found[0] or 'the body'}; "
                f"at most {bound} are allowed",
                exchange,
            )
        return
    if 400 <= status < 500:
        if not ok_4xx:
            yield Finding.from_exchanges(
                "paging_clamp",
                f"{asked} was rejected with {status}; the contract says it is "
                f"{_describe_allowed(ok_2xx, ok_4xx)}",
                exchange,
            )
        return
    yield Finding.from_exchanges(
        "paging_clamp",
        f"{asked} got {status}; expected {_describe_allowed(ok_2xx, ok_4xx)}",
        exchange,
    )


# --- page_walk ------------------------------------------------------------------------------


@dataclass
class _Page:
    exchange: Exchange
    ids: list[str]
    records: list[Any]


@dataclass
class _Walk:
    size: int | None  # the page size asked for (None: the default)
    pages: list[_Page] = field(default_factory=list)
    complete: bool = False  # reached the documented end of the listing
    totals: set[int] = field(default_factory=set)
    problems: dict[str, list[Finding]] = field(default_factory=dict)  # by kind, single responses
    usable: bool = True  # every page was a 2xx list with identifiable records

    def report(self, kind: str, message: str, *exchanges: Exchange) -> None:
        self.problems.setdefault(kind, []).append(
            Finding.from_exchanges("page_walk", message, *exchanges)
        )

    @property
    def findings(self) -> list[Finding]:
        """The first finding of each kind, saying on how many more pages the same happened."""
        found = []
        for same in self.problems.values():
            first = same[0]
            if len(same) > 1:
                first = replace(
                    first,
                    message=f"{first.message} (and on {len(same) - 1} more "
                    f"page(s) of the walk with {self.label})",
                )
            found.append(first)
        return found

    @property
    def ids(self) -> list[str]:
        return [i for page in self.pages for i in page.ids]

    def where(self, record: str) -> list[Exchange]:
        return [p.exchange for p in self.pages if record in p.ids]

    @property
    def label(self) -> str:
        return "the default page size" if self.size is None else f"page size {self.size}"


@probe("page_walk", apis=ALL_APIS)
def page_walk(session: ProbeSession) -> Iterator[Finding]:
    """Full page walks with several page sizes see every record exactly once: no record twice,
    none missing compared with a walk in the largest pages; `total`/`hasMore`/`nextCursor`
    agree with what the pages hold; and the documented sort order holds across pages.

    Offset paging (`limit`/`offset`): `hasMore` is `offset + page length < total` and
    `total` counts every record. Cursor paging (`cursor`/`nextCursor`): `nextCursor` is
    non-null exactly when `hasMore` is true, is the last record's `id`, a page with
    `hasMore` is full, and the next page is not empty. When the data changes during the walks
    (a second reference walk differs from the first), cross-walk comparisons are not judged.
    """
    api = session.api
    for op in api.operations:
        if op.method != "GET" or not op.operation_id or not fillable(api, op.operation_id):
            continue
        style = _style(session, op.operation_id)
        if style is None:
            continue
        yield from _walk_operation(session, op.operation_id, style)


def _style(session: ProbeSession, operation_id: str) -> str | None:
    if size_param(session.api, operation_id) is None:
        return None
    names = {
        p.get("name")
        for p in session.api.operation_by_id(operation_id).get("parameters", [])
        if p.get("in") == "query"
    }
    if "cursor" in names:
        return "cursor"
    if "offset" in names:
        return "offset"
    return None


def _walk_operation(session: ProbeSession, operation_id: str, style: str) -> Iterator[Finding]:
    size = size_param(session.api, operation_id)
    assert size is not None
    limit = size["x-mockgate-limit"]
    maximum = int(limit["maximum"])
    reference = _walk(session, operation_id, style, size, maximum)
    if not reference.pages or not reference.usable:
        yield from reference.findings
        return
    known = len(set(reference.ids))
    floor = max(1, math.ceil(known / MAX_PAGES)) if reference.complete else 1
    sizes: list[int | None] = []
    for wanted in (3, 7, None):
        chosen = None if wanted is None else max(wanted, floor)
        if chosen not in sizes and chosen != maximum:
            sizes.append(chosen)
    walks = [reference] + [_walk(session, operation_id, style, size, s) for s in sizes]
    again = _walk(session, operation_id, style, size, maximum)
    for walk in [*walks, again]:
        yield from walk.findings
    stable = (
        again.usable
        and again.complete == reference.complete
        and set(again.ids) == set(reference.ids)
        and again.totals == reference.totals
    )
    if not stable:
        return  # the data moved while we walked: duplicates and gaps prove nothing
    order = SORT_ORDERS.get((session.api.name, operation_id))
    for walk in walks:
        if not walk.usable:
            continue
        yield from _duplicates(operation_id, walk)
        yield from _totals(operation_id, walk)
        if order is not None:
            yield from _order(operation_id, walk, *order)
        if walk is not reference and walk.complete and reference.complete:
            yield from _gaps(operation_id, walk, reference)


def _walk(
    session: ProbeSession,
    operation_id: str,
    style: str,
    size: Mapping[str, Any],
    page_size: int | None,
) -> _Walk:
    walk = _Walk(page_size)
    name = size["name"]
    allowed = effective_limit(page_size, size["x-mockgate-limit"])
    offset = 0
    cursor: str | None = None
    seen_cursors: set[str] = set()
    previous: Exchange | None = None
    for _ in range(MAX_PAGES):
        query: dict[str, Any] = {}
        if page_size is not None:
            query[name] = str(page_size)
        if style == "offset" and offset:
            query["offset"] = offset
        if style == "cursor" and cursor is not None:
            query["cursor"] = cursor
        exchange = session.call(operation_id, query=query)
        found = records(exchange.json) if exchange.status == 200 else None
        if found is None:
            walk.usable = False
            return walk
        items = found[1]
        ids = [record_id(r) for r in items]
        if any(i is None for i in ids):
            walk.usable = False
            return walk
        page = _Page(exchange, [str(i) for i in ids], items)
        walk.pages.append(page)
        body = exchange.json if isinstance(exchange.json, dict) else {}
        if style == "offset":
            more = _offset_page(walk, page, body, offset, allowed, previous)
            offset += len(items)
        else:
            more, cursor = _cursor_page(walk, page, body, allowed, previous, seen_cursors)
        if not more:
            walk.complete = True
            return walk
        previous = exchange
    return walk


def _offset_page(
    walk: _Walk,
    page: _Page,
    body: Mapping[str, Any],
    offset: int,
    allowed: int,
    previous: Exchange | None,
) -> bool:
    """Judge one offset page; whether another page should follow."""
    count = len(page.ids)
    total = body.get("total")
    has_more = body.get("hasMore")
    if isinstance(total, int) and not isinstance(total, bool):
        walk.totals.add(total)
        if isinstance(has_more, bool) and has_more != (offset + count < total):
            walk.report(
                "has_more_formula",
                f"hasMore is {str(has_more).lower()} at offset {offset} with {count} records "
                f"and total {total}; it must be offset + records < total "
                f"({offset} + {count} < {total} is {str(offset + count < total).lower()})",
                page.exchange,
            )
    if isinstance(has_more, bool):
        if has_more and count == 0:
            walk.report(
                "empty_with_more",
                f"hasMore is true at offset {offset} but the page is empty: a client "
                "following it never gets further",
                *([previous] if previous else []),
                page.exchange,
            )
            return False
        return has_more
    return count > 0 and count >= allowed


def _cursor_page(
    walk: _Walk,
    page: _Page,
    body: Mapping[str, Any],
    allowed: int,
    previous: Exchange | None,
    seen: set[str],
) -> tuple[bool, str | None]:
    """Judge one cursor page; (whether another page follows, its cursor)."""
    has_more = body.get("hasMore")
    cursor = body.get("nextCursor")
    count = len(page.ids)

    if previous is not None and count == 0:
        walk.report(
            "empty_after_more",
            "hasMore was true (with a nextCursor), but the next page is empty",
            previous,
            page.exchange,
        )
    if not isinstance(has_more, bool):
        return False, None
    if has_more != (cursor is not None):
        walk.report(
            "cursor_iff_more",
            f"hasMore is {str(has_more).lower()} but nextCursor is "
            f"{'null' if cursor is None else repr(cursor)}: nextCursor is non-null exactly when "
            "hasMore is true",
            page.exchange,
        )
    if has_more and count != allowed:
        walk.report(
            "more_means_full",
            f"hasMore is true on a page of {count} records; only a full page ({allowed}) may",
            page.exchange,
        )
    if cursor is not None and page.ids and cursor != page.ids[-1]:
        walk.report(
            "cursor_is_last_id",
            f"nextCursor {cursor!r} is not the id of the page's last record ({page.ids[-1]!r})",
            page.exchange,
        )
    if not has_more or not isinstance(cursor, str) or not cursor:
        return False, None
    if cursor in seen:
        walk.report(
            "cursor_loops",
            f"nextCursor {cursor!r} was already served: following it loops",
            page.exchange,
        )
        return False, None
    seen.add(cursor)
    return True, cursor


def _duplicates(operation_id: str, walk: _Walk) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    reported = 0
    for number, page in enumerate(walk.pages, 1):
        for record in page.ids:
            if record in seen and reported < _MAX_REPORTED:
                reported += 1
                first = walk.pages[seen[record] - 1].exchange
                yield Finding.from_exchanges(
                    "page_walk",
                    f"walking with {walk.label}, record {record!r} appears on page {seen[record]} "
                    f"and again on page {number}",
                    *([first] if first is not page.exchange else []),
                    page.exchange,
                    operation=operation_id,
                )
            seen.setdefault(record, number)


def _totals(operation_id: str, walk: _Walk) -> Iterator[Finding]:
    if len(walk.totals) > 1:
        yield Finding.from_exchanges(
            "page_walk",
            f"walking with {walk.label}, total changed from page to page "
            f"({', '.join(map(str, sorted(walk.totals)))}) while the data did not",
            *(p.exchange for p in walk.pages[:2]),
            operation=operation_id,
        )
    elif walk.totals and walk.complete:
        (total,) = walk.totals
        distinct = len(set(walk.ids))
        if total != distinct:
            yield Finding.from_exchanges(
                "page_walk",
                f"total is {total}, but a full walk with {walk.label} found {distinct} records",
                walk.pages[-1].exchange,
                operation=operation_id,
            )


def _gaps(operation_id: str, walk: _Walk, reference: _Walk) -> Iterator[Finding]:
    mine, theirs = set(walk.ids), set(reference.ids)
    missing = [r for r in reference.ids if r not in mine]
    extra = [r for r in walk.ids if r not in theirs]
    if missing:
        shown = ", ".join(repr(r) for r in missing[:_MAX_REPORTED])
        yield Finding.from_exchanges(
            "page_walk",
            f"walking with {walk.label} skips {len(missing)} record(s) that a walk with "
            f"{reference.label} lists ({shown})",
            *reference.where(missing[0])[:1],
            *(p.exchange for p in walk.pages[:1]),
            operation=operation_id,
        )
    if extra:
        shown = ", ".join(repr(r) for r in extra[:_MAX_REPORTED])
        yield Finding.from_exchanges(
            "page_walk",
            f"walking with {walk.label} lists {len(extra)} record(s) that a walk with "
            f"{reference.label} does not ({shown})",
            *walk.where(extra[0])[:1],
            operation=operation_id,
        )


def _order(operation_id: str, walk: _Walk, key: str, direction: str) -> Iterator[Finding]:
    sequence: list[tuple[Any, str, Exchange]] = []
    for page in walk.pages:
        for record, rid in zip(page.records, page.ids, strict=True):
            value = record.get(key) if isinstance(record, Mapping) else None
            instant = parse_instant(value)
            if instant is not None:
                sequence.append((instant, rid, page.exchange))
    for (a, a_id, a_ex), (b, b_id, b_ex) in _pairs(sequence):
        wrong = b > a if direction == "desc" else b < a
        if wrong:
            yield Finding.from_exchanges(
                "page_walk",
                f"walking with {walk.label}, {b_id!r} ({key} {b.isoformat()}) follows {a_id!r} "
                f"({key} {a.isoformat()}); the documented order is {key} "
                f"{'descending' if direction == 'desc' else 'ascending'}",
                *([a_ex] if a_ex is not b_ex else []),
                b_ex,
                operation=operation_id,
            )
            return


def _pairs(items: list[Any]) -> Iterable[tuple[Any, Any]]:
    return itertools.pairwise(items)
