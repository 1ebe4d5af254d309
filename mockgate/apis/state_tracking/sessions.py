"""Session rules on plain dicts: lifecycle, the stall rule, heartbeats, filters and summaries.

Sessions are the JSON objects the API returns (``Session`` in ``specs/state-tracking.yaml``).
Nothing here mutates its arguments or touches the store: functions return new dicts, and
``tracker`` writes them (together with the machine slots they affect).

Statuses: ``active``, ``paused`` and ``stalled`` are *live* (the session may still run and
holds its docker slot); ``completed``, ``failed`` and ``archived`` are *finished* (the slot is free
again). Only ``completed`` and ``failed`` sessions refuse heartbeats (the document names those
two, and so does the real server): a heartbeat of an archived session is recorded, and the
session stays archived.

Beside the document's fields a session carries the real server's ``created_at`` (when it was
created) and ``updated_at`` (its last change; ``tracker`` stamps every write, the stall rule the
moment the session stalled). ``view`` fills both in for a record that lacks them (a hand-written
dataset, a state file of an older mock), so every answer has them.

**The stall rule.** An ``active`` session whose ``seconds_since_heartbeat`` exceeds the stall
threshold (default 300 s) *is* ``stalled``. The mock applies the rule lazily, whenever it reads
or writes sessions (``settle``), so every answer agrees with the clock as if a sweeper ran at
every instant; nothing but a heartbeat (or a recovery) makes a stalled session active again.
``seconds_since_heartbeat`` is whole seconds, rounded down, and the comparison is strict, so
the stall rule, ``is_stale`` and ``GET /sessions/stale`` always agree for the same threshold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from mockgate.apis.state_tracking.rules import IllegalState
from mockgate.core.timestamps import format_timestamp, parse_timestamp

__all__ = [
    "DEFAULT_STALL_AFTER",
    "FINISHED",
    "LIVE",
    "STATUSES",
    "active_summary",
    "archive",
    "by_status",
    "heartbeat",
    "is_silent",
    "mark_failed",
    "mark_stalled",
    "new_session",
    "newest_first",
    "seconds_since_heartbeat",
    "select",
    "settle",
    "soft_delete",
    "stale_report",
    "update",
    "view",
]

Record = dict[str, Any]

STATUSES = ("active", "paused", "stalled", "completed", "failed", "archived")
LIVE = frozenset({"active", "paused", "stalled"})
FINISHED = frozenset({"completed", "failed", "archived"})
NO_HEARTBEAT = frozenset({"completed", "failed"})
"""The statuses that refuse heartbeats (and ``mark-stalled``)."""
DEFAULT_STALL_AFTER = 300
"""Seconds without a heartbeat after which an active session is stalled."""

_KEYS = (
    "session_id",
    "project_id",
    "machine_id",
    "docker_slot",
    "status",
    "started_at",
    "completed_at",
    "last_heartbeat",
    "current_task_id",
    "recovery_attempts",
    "metadata",
    "archived_at",
    "created_at",
    "updated_at",
)


def new_session(
    *,
    session_id: str,
    project_id: str,
    machine_id: str,
    docker_slot: int | None,
    metadata: Mapping[str, Any] | None,
    now: datetime,
) -> Record:
    """A session as ``POST /sessions`` creates it: active, started and heartbeating now."""
    stamp = format_timestamp(now)
    return {
        "session_id": session_id,
        "project_id": project_id,
        "machine_id": machine_id,
        "docker_slot": docker_slot,
        "status": "active",
        "started_at": stamp,
        "completed_at": None,
        "last_heartbeat": stamp,
        "current_task_id": None,
        "recovery_attempts": 0,
        "metadata": dict(metadata or {}),
        "created_at": stamp,
        "updated_at": stamp,
    }


def view(session: Mapping[str, Any]) -> Record:
    """``session`` as the API answers it: with ``created_at`` (else its ``started_at``) and
    ``updated_at`` (else its latest timestamp) for a record stored without them."""
    if "created_at" in session and "updated_at" in session:
        return dict(session)
    stamps = (session.get(key) for key in ("started_at", "last_heartbeat", "completed_at"))
    latest = max((parse_timestamp(s) for s in stamps if s), default=None)
    archived = session.get("archived_at")
    if archived and (latest is None or parse_timestamp(archived) > latest):
        latest = parse_timestamp(archived)
    filled = {
        "created_at": session.get("started_at"),
        "updated_at": format_timestamp(latest) if latest else session.get("started_at"),
    }
    return canonical({**filled, **session})


def seconds_since_heartbeat(session: Mapping[str, Any], now: datetime) -> int:
    """Whole seconds since ``last_heartbeat`` (rounded down; 0 for a heartbeat in the future,
    which a clock set back can produce)."""
    delta = now - parse_timestamp(session["last_heartbeat"])
    return max(0, delta // timedelta(seconds=1))


def is_silent(session: Mapping[str, Any], now: datetime, threshold: int) -> bool:
    """Whether the last heartbeat is more than ``threshold`` whole seconds old."""
    return seconds_since_heartbeat(session, now) > threshold


def settle(session: Record, now: datetime, stall_after: int = DEFAULT_STALL_AFTER) -> Record:
    """``session`` as the stall rule has it at ``now`` (the same object when nothing changes).

    A session that stalls was updated the moment it did (``stall_after`` + 1 whole seconds after
    its last heartbeat), not when a request happened to notice."""
    if session["status"] == "active" and is_silent(session, now, stall_after):
        stalled_at = parse_timestamp(session["last_heartbeat"]) + timedelta(seconds=stall_after + 1)
        return {**session, "status": "stalled", "updated_at": format_timestamp(stalled_at)}
    return session


def heartbeat(session: Mapping[str, Any], now: datetime) -> Record:
    """A heartbeat: ``last_heartbeat`` is now; a stalled session is active again, any other keeps
    its status. Completed and failed sessions refuse it (``IllegalState``)."""
    status = session["status"]
    if status in NO_HEARTBEAT:
        raise IllegalState(f"Cannot update heartbeat for {status} session")
    return {
        **session,
        "status": "active" if status == "stalled" else status,
        "last_heartbeat": format_timestamp(now),
    }


def soft_delete(session: Record, now: datetime) -> Record:
    """``DELETE /sessions/{id}``: a live session is completed now; a finished one is left as it
    is (deleting twice is harmless, and a failed or archived session keeps its history)."""
    if session["status"] in FINISHED:
        return session
    return _finish(session, "completed", now)


def mark_failed(session: Mapping[str, Any], reason: str, now: datetime) -> Record:
    """``POST /sessions/{id}/mark-failed``: status ``failed``, ``completed_at`` now (kept when the
    session had already finished: it ended then) and the reason in ``metadata.failure_reason``.

    Any session can be marked failed, whatever its status (its work may turn out broken after
    it completed, or even after it was archived; the session then is no longer archived).
    """
    failed = _finish(session, "failed", now)
    failed["metadata"] = {**(session.get("metadata") or {}), "failure_reason": reason}
    return failed


def mark_stalled(session: Mapping[str, Any], reason: str, now: datetime) -> Record:
    """``POST /sessions/{id}/mark-stalled`` (the real server's route): status ``stalled``, the
    reason and the time in ``metadata.stalled_reason``/``stalled_timestamp`` (the real server's
    keys). Completed and failed sessions refuse it (``IllegalState``), as they refuse heartbeats;
    an archived one is reopened, as ``update`` reopens it."""
    status = session["status"]
    if status in NO_HEARTBEAT:
        raise IllegalState(f"Cannot mark {status} session as stalled")
    metadata = {
        **(session.get("metadata") or {}),
        "stalled_reason": reason,
        "stalled_timestamp": format_timestamp(now),
    }
    return update(session, {"status": "stalled", "metadata": metadata}, now)


def archive(session: Record, now: datetime) -> Record:
    """``POST /sessions/{id}/archive``: a completed or failed session is archived; an archived
    one is left as it is (the same object: archiving twice is harmless, as on the real server);
    a live one cannot be archived (``IllegalState``)."""
    status = session["status"]
    if status == "archived" and session.get("archived_at"):
        return session
    if status not in ("completed", "failed", "archived"):
        raise IllegalState(
            f"Only completed or failed sessions can be archived; this session is {status}"
        )
    return canonical({**session, "status": "archived", "archived_at": format_timestamp(now)})


def update(session: Mapping[str, Any], changes: Mapping[str, Any], now: datetime) -> Record:
    """``PUT /sessions/{id}`` without the slot bookkeeping (see ``tracker``).

    ``status``, ``current_task_id``, ``docker_slot`` and ``metadata`` are written as given
    (``metadata`` replaces the stored object). PUT is the generic update, so any status may be
    written; what a status implies is kept consistent:

    - finishing (``completed``/``failed``/``archived``) sets ``completed_at`` to now unless the
      session had already finished; archiving sets ``archived_at``;
    - reopening a finished session (to a live status) clears ``completed_at`` and ``archived_at``;
    - the stall rule still holds: writing ``active`` for a session silent beyond the stall
      threshold gives ``stalled`` at once (a heartbeat, not an update, proves it is alive).
    """
    updated: Record = dict(session)
    for key in ("current_task_id", "docker_slot"):
        if key in changes:
            updated[key] = changes[key]
    if "metadata" in changes:
        updated["metadata"] = dict(changes["metadata"])
    status = changes.get("status", session["status"])
    if status == session["status"]:
        return canonical(updated)
    stamp = format_timestamp(now)
    updated["status"] = status
    if status in FINISHED and session["status"] in LIVE:
        updated["completed_at"] = stamp
    if status == "archived":
        updated["archived_at"] = stamp
    elif status in LIVE:
        updated["completed_at"] = None
        updated.pop("archived_at", None)
    else:
        updated.pop("archived_at", None)
    return canonical(updated)


def select(
    sessions: Iterable[Record],
    *,
    status: str | None = None,
    project_id: str | None = None,
    machine_id: str | None = None,
    include_archived: bool = False,
) -> list[Record]:
    """The sessions matching every given filter (exact matches), archived ones only when asked
    for (``status=archived`` alone matches nothing: archived sessions are excluded from normal
    queries)."""
    return [
        s
        for s in sessions
        if (include_archived or s["status"] != "archived")
        and (status is None or s["status"] == status)
        and (project_id is None or s["project_id"] == project_id)
        and (machine_id is None or s["machine_id"] == machine_id)
    ]


def newest_first(sessions: Iterable[Record]) -> list[Record]:
    """By ``started_at`` descending (compared as instants), then ``session_id`` descending."""
    return sorted(sessions, key=lambda s: (parse_timestamp(s["started_at"]), s["session_id"]))[::-1]


def stale_report(sessions: Iterable[Record], now: datetime, threshold: int) -> list[Record]:
    """``GET /sessions/stale``: live sessions silent for more than ``threshold`` seconds, the
    longest silent first (finished sessions no longer heartbeat, so they are never stale).
    ``time_since_heartbeat`` (the real server's name) repeats ``seconds_since_heartbeat``."""
    found = []
    for session in sessions:
        if session["status"] not in LIVE:
            continue
        seconds = seconds_since_heartbeat(session, now)
        if seconds > threshold:
            found.append(
                {
                    "session_id": session["session_id"],
                    "project_id": session["project_id"],
                    "machine_id": session["machine_id"],
                    "status": session["status"],
                    "last_heartbeat": session["last_heartbeat"],
                    "seconds_since_heartbeat": seconds,
                    "is_stale": True,
                    "time_since_heartbeat": seconds,
                }
            )
    found.sort(key=lambda s: (-s["seconds_since_heartbeat"], s["session_id"]))
    return found


def active_summary(session: Mapping[str, Any], now: datetime) -> Record:
    """An item of ``GET /sessions/active``: the document's fields, then the real server's
    ``last_heartbeat``, ``docker_slot`` and ``time_since_heartbeat`` (whole seconds)."""
    return {
        "session_id": session["session_id"],
        "project_id": session["project_id"],
        "machine_id": session["machine_id"],
        "status": "active",
        "started_at": session["started_at"],
        "current_task_id": session["current_task_id"],
        "last_heartbeat": session["last_heartbeat"],
        "docker_slot": session["docker_slot"],
        "time_since_heartbeat": seconds_since_heartbeat(session, now),
    }


def by_status(sessions: Iterable[Record]) -> dict[str, dict[str, Any]]:
    """``by_status`` of ``GET /sessions/by-project/{projectId}``: a group per status that has
    sessions, in the order of ``STATUSES``, archived sessions left out, each newest first (as
    ``view`` answers them)."""
    groups: dict[str, list[Record]] = {}
    for session in newest_first(s for s in sessions if s["status"] != "archived"):
        groups.setdefault(session["status"], []).append(view(session))
    return {
        status: {"count": len(groups[status]), "sessions": groups[status]}
        for status in STATUSES
        if status in groups
    }


def canonical(session: Mapping[str, Any]) -> Record:
    """``session`` with its keys in the API's order (unknown keys after, as found);
    ``archived_at`` appears only once the session was archived."""
    ordered = {key: session[key] for key in _KEYS if key in session}
    ordered |= {key: value for key, value in session.items() if key not in ordered}
    if ordered.get("archived_at") is None and ordered["status"] != "archived":
        ordered.pop("archived_at", None)
    return ordered


def _finish(session: Mapping[str, Any], status: str, now: datetime) -> Record:
    already = session["status"] in FINISHED and session.get("completed_at")
    finished = {
        **session,
        "status": status,
        "completed_at": session["completed_at"] if already else format_timestamp(now),
    }
    finished.pop("archived_at", None)
    return canonical(finished)
