"""The store indexes AgentLens reads through, so no request scans every session.

- ``sessions``: the list order (newest ``startedAt`` first, ties by id descending) with buckets
  per ``status``, ``agentId`` and tag: ``GET /api/sessions`` reads one page of it.
- ``growing``: the timelines whose growth bookmark has a next event, by when it is due: a request
  lets the due ones catch up without looking at the others.
- ``newest_event``: the timelines holding a ULID event id, by their greatest one: ingest
  continues after the newest id without reading every stored event.

Each falls back to the plain scan while the store holds a record it cannot place (a malformed
record loaded through the admin API), so answers, and errors, stay exactly the scan's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mockgate.apis.agentlens.sessions import filter_sessions, page, page_of
from mockgate.apis.agentlens.ulid import ULID_PATTERN
from mockgate.core.store import Record, Store
from mockgate.core.store.index import OrderedIndex
from mockgate.core.timestamps import parse_timestamp

__all__ = ["due_growth", "list_page", "newest_event_id"]


def list_page(
    store: Store,
    *,
    agent_id: str | None,
    statuses: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    tags: Sequence[str],
    limit: int | None,
    offset: int | None,
) -> dict[str, Any]:
    """The ``SessionList`` page of ``sessions.filter_sessions`` then ``sessions.page``, read from
    the index (empty ``statuses``/``tags`` mean no filter, as there)."""
    index = store.index("sessions", "agentlens.sessions", _sessions_index)
    if not index.complete:
        matching = filter_sessions(
            store.values("sessions"),
            agent_id=agent_id,
            statuses=statuses,
            since=since,
            until=until,
            tags=tags,
        )
        return page(matching, limit, offset)
    filters: dict[str, Sequence[str]] = {}
    if agent_id is not None:
        filters["agentId"] = [agent_id]
    if statuses:
        filters["status"] = statuses
    if tags:
        filters["tags"] = tags
    return page_of(index.select(filters, lower=since, upper=until), limit, offset)


def due_growth(store: Store, now: datetime) -> list[Record]:
    """The ``timelines`` records whose growth has an event due by ``now``, plus (while the
    index is incomplete) every other record, for the caller's own ``is_due`` test."""
    index = store.index("timelines", "agentlens.growing", _growing_index)
    if not index.complete:
        return store.values("timelines")
    return list(index.select(upper=now))


def newest_event_id(store: Store) -> str | None:
    """The greatest ULID among the stored events (placeholder ids such as the document's
    ``01H001...`` are not ULIDs and are skipped)."""
    index = store.index("timelines", "agentlens.newest-event", _newest_event_index)
    if not index.complete:
        ids = (e["id"] for record in store.values("timelines") for e in record["events"])
        return max((i for i in ids if ULID_PATTERN.fullmatch(i)), default=None)
    newest = index.select()
    return _newest_ulid(newest[0]) if newest else None


def _sessions_index() -> OrderedIndex:
    return OrderedIndex(
        _list_order,
        fields={"status": lambda s: s.get("status"), "agentId": lambda s: s.get("agentId")},
        multi_fields={"tags": lambda s: s.get("tags") or ()},
        composites=[
            ("agentId", "status"),
            ("status", "tags"),
            ("agentId", "tags"),
            ("agentId", "status", "tags"),
        ],
        descending=True,
    )


def _list_order(session: Record) -> tuple[datetime, str]:
    """``sessions.page``'s sort key; an id that is not a string cannot be ordered against the
    others, so the record is left to the scan."""
    if not isinstance(session["id"], str):
        raise TypeError("session id is not a string")
    return parse_timestamp(session["startedAt"]), session["id"]


def _growing_index() -> OrderedIndex:
    return OrderedIndex(
        lambda record: (parse_timestamp(record["growth"]["nextAt"]),),
        where=lambda record: (
            record.get("growth") is not None and record["growth"].get("nextAt") is not None
        ),
        # Each record grows its own session: one keyed otherwise is left to the scan.
        key_field="sessionId",
    )


def _newest_event_index() -> OrderedIndex:
    return OrderedIndex(
        _newest_ulid, where=lambda record: _newest_ulid(record) is not None, descending=True
    )


def _newest_ulid(record: Record) -> str | None:
    return max((e["id"] for e in record["events"] if ULID_PATTERN.fullmatch(e["id"])), default=None)
