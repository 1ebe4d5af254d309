"""Cursor paging of a user's completed fasts: ``GET /api/sessions`` without the HTTP.

The real handler is a Prisma query; this module reproduces it over plain records::

    prisma.session.findMany({
      where: { userId, endedAt: { not: null } },
      orderBy: [{ startedAt: "desc" }, { id: "desc" }],
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      take: pageSize,
    })

plus the "additional query" that decides ``hasMore`` when the page is full.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypedDict

from mockgate.apis.fasting.session import Session, public
from mockgate.core.timestamps import parse_timestamp

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "SessionPage", "list_page", "parse_page_size"]

# The spec's `x-mockgate-limit` on `pageSize`.
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50

# `[0-9]`, not `\d`: `\d` also matches other scripts' digits ("٣"), which no client means as a size.
_WHOLE_NUMBER = re.compile(r"[0-9]+")


class SessionPage(TypedDict):
    """The 200 body (the spec's ``SessionPage``)."""

    data: list[Session]
    nextCursor: str | None
    hasMore: bool


def parse_page_size(raw: str | None) -> int:
    """The page size for the raw ``pageSize`` query value: default 20, at most 50.

    A *valid number* is one or more ASCII digits and nothing else (no sign, no whitespace, no
    decimal point, exponent or ``0x`` prefix) whose value is at least 1; leading zeros are allowed
    (``"007"`` is 7, as JavaScript's ``Number`` and ``parseInt`` both read it). Anything else --
    absent, ``""``, ``"0"``, ``"-3"``, ``"+5"``, ``"2.5"``, ``" 7"``, ``"1e2"``, ``"0x10"`` -- is
    invalid and gives 20; a valid number above 50 gives 50 (clamped, never rejected).
    """
    if raw is None or not _WHOLE_NUMBER.fullmatch(raw):
        return DEFAULT_PAGE_SIZE
    digits = raw.lstrip("0")
    if not digits:
        return DEFAULT_PAGE_SIZE
    # Three significant digits already exceed the cap; deciding by length also keeps `int()` away
    # from huge inputs (it refuses strings of more than 4300 digits).
    if len(digits) > len(str(MAX_PAGE_SIZE)):
        return MAX_PAGE_SIZE
    return min(int(digits), MAX_PAGE_SIZE)


def list_page(
    sessions: Iterable[Mapping[str, Any]],
    *,
    user_id: str,
    cursor: str | None,
    page_size: int,
) -> SessionPage:
    """One page of ``user_id``'s completed sessions, newest first.

    - Only the user's sessions with an ``endedAt`` count; they are ordered by ``startedAt``
      descending, then by ``id`` descending. The tie-break makes the order total, which cursor
      paging needs (Prisma would need the same second ``orderBy``); for cuids, a later id is
      usually a later insert, so it keeps "newest first" within a tie.
    - ``cursor`` names a session; the page starts right after it in that order (Prisma ``cursor``
      + ``skip: 1``). A cursor that is not one of the user's completed sessions (unknown, another
      user's, or an active fast) gives the empty page: the spec's choice for unknown cursors, and
      for foreign ones it keeps ids of other users from steering the query. (Prisma itself would
      seek to a foreign record's position; the mock does not let a cursor cross users.)
    - ``None`` or ``""`` means the first page: the handler's ``cursor ? ... : {}`` treats an empty
      string as absent, as JavaScript does.
    - ``hasMore`` is true exactly when the page is full and another session follows it;
      ``nextCursor`` is then the last returned id, otherwise ``None``.

    ``page_size`` must already be parsed (1 to 50; see ``parse_page_size``).
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, not {page_size}")
    ordered = sorted(
        (s for s in sessions if s["userId"] == user_id and s["endedAt"] is not None),
        key=_order_key,
        reverse=True,
    )
    start = 0
    if cursor:
        position = next((i for i, s in enumerate(ordered) if s["id"] == cursor), None)
        if position is None:
            return SessionPage(data=[], nextCursor=None, hasMore=False)
        start = position + 1
    page = ordered[start : start + page_size]
    has_more = len(page) == page_size and start + page_size < len(ordered)
    return SessionPage(
        data=[public(s) for s in page],
        nextCursor=page[-1]["id"] if has_more else None,
        hasMore=has_more,
    )


def _order_key(session: Mapping[str, Any]) -> tuple[datetime, str]:
    # Compare instants, not strings: stored timestamps may carry offsets other than `Z`.
    return parse_timestamp(session["startedAt"]), session["id"]
