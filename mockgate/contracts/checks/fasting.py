"""Fasting checks: only completed fasts, newest first, and each user sees only their own."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from mockgate.contracts.checks.support import parse_instant, records
from mockgate.contracts.registry import NotApplicable, probe, response_check
from mockgate.contracts.session import ProbeSession
from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding

__all__ = ["completed_only", "newest_first", "user_isolation"]

_MAX_REPORTED = 3
_MAX_PAGES = 20  # pages of one user's history the isolation probe reads


def _page(exchange: Exchange) -> list[Any] | None:
    if exchange.operation_id != "listSessions" or exchange.status != 200:
        return None
    found = records(exchange.json)
    return None if found is None else found[1]


@response_check("completed_only", apis=("fasting",))
def completed_only(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """The history holds completed fasts only: every session has an `endedAt`, and it is not
    before its `startedAt`."""
    page = _page(exchange)
    if page is None:
        raise NotApplicable
    reported = 0
    for index, record in enumerate(page):
        if not isinstance(record, Mapping) or reported >= _MAX_REPORTED:
            continue
        ended = record.get("endedAt")
        label = f"data[{index}] ({record.get('id')!r})"
        if ended is None:
            reported += 1
            yield f"{label} has no endedAt: an active fast is listed"
            continue
        start, end = parse_instant(record.get("startedAt")), parse_instant(ended)
        if start is not None and end is not None and end < start:
            reported += 1
            yield f"{label} ended ({ended}) before it started ({record.get('startedAt')})"


@response_check("newest_first", apis=("fasting",))
def newest_first(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """Sessions come newest first: `startedAt` never increases down a page (equal start times
    may come in any order)."""
    page = _page(exchange)
    if page is None:
        raise NotApplicable
    starts = [
        (index, record.get("id"), parse_instant(record.get("startedAt")))
        for index, record in enumerate(page)
        if isinstance(record, Mapping)
    ]
    known = [(i, rid, t) for i, rid, t in starts if t is not None]
    for (i, a_id, a), (j, b_id, b) in itertools.pairwise(known):
        if b > a:
            yield (
                f"data[{j}] ({b_id!r}, startedAt {b.isoformat()}) follows data[{i}] ({a_id!r}, "
                f"startedAt {a.isoformat()}): the order is startedAt descending"
            )
            return


@probe("user_isolation", apis=("fasting",))
def user_isolation(session: ProbeSession) -> Iterator[Finding]:
    """Two users never see each other's fasts: the histories of the first two credentials share
    no session id, and neither user's cursor brings the other user's sessions into their pages.

    Needs two credentials of two different users (skipped, without a finding, with fewer). Two
    credentials of the same user would look like a leak; the message says so.
    """
    creds = session.credentials
    if len(creds) < 2 or creds[0] == creds[1]:
        return
    first, second = creds[0], creds[1]
    a_pages, a_complete = _history(session, first)
    b_pages, b_complete = _history(session, second)
    a_ids = _ids(a_pages)
    b_ids = _ids(b_pages)
    shared = [i for i in a_ids if i in set(b_ids)]
    if shared:
        where_a = next(e for e, ids in a_pages if shared[0] in ids)
        where_b = next(e for e, ids in b_pages if shared[0] in ids)
        shown = ", ".join(repr(i) for i in shared[:_MAX_REPORTED])
        yield Finding.from_exchanges(
            "user_isolation",
            f"the first and the second credential's histories share {len(shared)} session(s) "
            f"({shown}): one user sees another's fasts (unless both credentials belong to the "
            "same user)",
            where_a,
            where_b,
        )
        return
    for owner_pages, owner_ids, reader, reader_ids, reader_complete, who in (
        (a_pages, a_ids, second, b_ids, b_complete, "first"),
        (b_pages, b_ids, first, a_ids, a_complete, "second"),
    ):
        cursor = _a_cursor(owner_pages)
        if cursor is None:
            continue
        exchange = session.call("listSessions", query={"cursor": cursor}, credential=reader)
        page = _page(exchange) or []
        got = [r.get("id") for r in page if isinstance(r, Mapping)]
        leaked = [i for i in got if i in set(owner_ids)]
        foreign = [i for i in got if i not in set(reader_ids)] if reader_complete else []
        if leaked:
            shown = ", ".join(repr(i) for i in leaked[:_MAX_REPORTED])
            yield Finding.from_exchanges(
                "user_isolation",
                f"with the {who} credential's cursor {cursor!r}, the other credential's page "
                f"holds {len(leaked)} of the {who} credential's sessions ({shown})",
                exchange,
            )
        elif foreign:
            shown = ", ".join(repr(i) for i in foreign[:_MAX_REPORTED])
            yield Finding.from_exchanges(
                "user_isolation",
                f"with the {who} credential's cursor {cursor!r}, the other credential's page "
                f"holds sessions that are not in its own history ({shown})",
                exchange,
            )


def _history(
    session: ProbeSession, credential: str
) -> tuple[list[tuple[Exchange, list[Any]]], bool]:
    """A user's pages (largest page size) as `[(exchange, ids)]`, and whether they are all."""
    pages: list[tuple[Exchange, list[Any]]] = []
    cursor: str | None = None
    for _ in range(_MAX_PAGES):
        query = {"pageSize": "50"} | ({"cursor": cursor} if cursor else {})
        exchange = session.call("listSessions", query=query, credential=credential)
        page = _page(exchange)
        if page is None:
            return pages, False
        pages.append((exchange, [r.get("id") for r in page if isinstance(r, Mapping)]))
        body = exchange.json if isinstance(exchange.json, dict) else {}
        following = body.get("nextCursor")
        if not body.get("hasMore") or not isinstance(following, str) or following == cursor:
            return pages, True
        cursor = following
    return pages, False


def _ids(pages: list[tuple[Exchange, list[Any]]]) -> list[Any]:
    return [i for _, ids in pages for i in ids if i is not None]


def _a_cursor(pages: list[tuple[Exchange, list[Any]]]) -> str | None:
    """A cursor of this user's: the first page's `nextCursor`, else their first session id."""
    for exchange, ids in pages:
        body = exchange.json if isinstance(exchange.json, dict) else {}
        if isinstance(body.get("nextCursor"), str):
            return str(body["nextCursor"])
        if ids and isinstance(ids[0], str):
            return ids[0]
    return None
