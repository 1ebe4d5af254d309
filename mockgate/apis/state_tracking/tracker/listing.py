"""The list queries of the state-tracking mock: ``GET /sessions``, ``GET /tasks`` and whether a
project is known, read through store indexes.

Sessions are indexed in list order (``sessions.newest_first``) and tasks in queue order
(``tasks.queue_order``), each with a bucket per filter value, so a request costs the page it
reads, not the size of the store. While the store holds a record an index cannot place (a
malformed one loaded through the admin API), the plain scan answers instead, and fails where it
fails, exactly as before the indexes.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from mockgate.apis.state_tracking import sessions as session_rules
from mockgate.apis.state_tracking import tasks as task_rules
from mockgate.apis.state_tracking.tracker.records import Records
from mockgate.core.store import Record
from mockgate.core.store.index import OrderedIndex
from mockgate.core.timestamps import parse_timestamp

__all__ = ["Listing"]


@dataclass(frozen=True, slots=True)
class Listing:
    records: Records

    def sessions(
        self,
        *,
        status: str | None = None,
        project_id: str | None = None,
        machine_id: str | None = None,
        include_archived: bool = False,
    ) -> Sequence[Record]:
        """``GET /sessions``: ``sessions.select`` in ``sessions.newest_first`` order (lazily:
        slicing reads only the slice)."""
        index = self._session_index()
        if not index.complete:
            found = session_rules.select(
                self.records.sessions(),
                status=status,
                project_id=project_id,
                machine_id=machine_id,
                include_archived=include_archived,
            )
            return session_rules.newest_first(found)
        filters: dict[str, Collection[Hashable]] = {}
        if status is not None:
            # Archived sessions are left out of normal queries, even of status=archived.
            filters["status"] = [status] if include_archived or status != "archived" else []
        elif not include_archived:
            filters["status"] = [v for v in index.values("status") if v != "archived"]
        if project_id is not None:
            filters["project_id"] = [project_id]
        if machine_id is not None:
            filters["machine_id"] = [machine_id]
        return index.select(filters)

    def tasks(
        self,
        *,
        session_id: str | None = None,
        status: str | None = None,
        project_id: str | None = None,
    ) -> Sequence[Record]:
        """``GET /tasks``: ``tasks.select`` in ``tasks.queue_order`` (lazily, like sessions)."""
        index = self.records.store.index("tasks", "state-tracking.tasks.listing", _task_listing)
        if not index.complete:
            found = task_rules.select(
                self.records.tasks(), session_id=session_id, status=status, project_id=project_id
            )
            return task_rules.queue_order(found)
        given = {"session_id": session_id, "status": status, "project_id": project_id}
        return index.select({name: [value] for name, value in given.items() if value is not None})

    def known_project(self, project_id: str) -> bool:
        """A project of the ``projects`` catalogue, or one that already has sessions."""
        if self.records.store.get("projects", project_id) is not None:
            return True
        index = self._session_index()
        if index.complete:
            return bool(index.select({"project_id": [project_id]}))
        return any(s["project_id"] == project_id for s in self.records.sessions())

    def _session_index(self) -> OrderedIndex:
        return self.records.store.index(
            "sessions", "state-tracking.sessions.listing", _session_listing
        )


# --- indexes -----------------------------------------------------------------------------


def _session_listing() -> OrderedIndex:
    """``sessions.newest_first`` (ties in reverse store order) with a bucket per filter value.
    Fields are read as ``sessions.select`` reads them, so a record it would fail on is one the
    index cannot place, and the scan answers (and fails) instead."""
    return OrderedIndex(
        _session_order,
        fields={
            "status": itemgetter("status"),
            "project_id": itemgetter("project_id"),
            "machine_id": itemgetter("machine_id"),
        },
        composites=[
            ("status", "project_id"),
            ("status", "machine_id"),
            ("project_id", "machine_id"),
            ("status", "project_id", "machine_id"),
        ],
        descending=True,
        stable=False,
    )


def _session_order(session: Record) -> tuple[datetime, str]:
    if not isinstance(session["session_id"], str):
        raise TypeError("session_id is not a string")
    return parse_timestamp(session["started_at"]), session["session_id"]


def _task_listing() -> OrderedIndex:
    """``tasks.queue_order`` (ties in store order) with a bucket per filter value."""
    return OrderedIndex(
        _task_order,
        fields={
            "session_id": itemgetter("session_id"),
            "status": itemgetter("status"),
            "project_id": itemgetter("project_id"),
        },
        composites=[
            ("session_id", "status"),
            ("status", "project_id"),
            ("session_id", "project_id"),
            ("session_id", "status", "project_id"),
        ],
    )


def _task_order(task: Record) -> tuple[int, datetime | str]:
    """``tasks.queue_order``'s key: by ``created_at`` (else ``started_at``), undated first."""
    moment = task.get("created_at") or task.get("started_at")
    return (1, parse_timestamp(moment)) if moment else (0, "")
