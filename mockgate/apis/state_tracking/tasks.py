"""Task rules on plain dicts: creation, the status transitions, filters and progress.

Tasks are the JSON objects the API returns (``Task`` in ``specs/state-tracking.yaml``), with the
real server's ``task_name`` and ``updated_at`` beside the document's fields; every write stamps
``updated_at``, and ``view`` fills both in for a record stored without them (the ``docs``
dataset's are the document's own).

The actions (the spec's "Task transitions"), anything else is ``IllegalState`` (400):

    pending --start--> in_progress                  (the document: "from pending")
    pending | in_progress | blocked --complete--> completed
    pending | in_progress | blocked --fail--> failed

``complete`` and ``fail`` refuse only finished tasks, as the real server does (the document names
no source states). ``PUT /tasks/{id}`` moves a task along the real server's table (``UPDATES``),
the only way into and out of ``blocked`` and the only way back from ``failed`` (a retry, to
``pending``); ``completed`` is final. ``DELETE`` is a soft delete to ``completed`` from any status.
Starting a task also makes it its session's ``current_task_id`` (``tracker`` writes that).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from mockgate.apis.state_tracking.rules import IllegalState
from mockgate.core.timestamps import format_timestamp, parse_timestamp

__all__ = [
    "STATUSES",
    "UPDATES",
    "complete",
    "delete",
    "fail",
    "last_completed",
    "new_task",
    "progress",
    "queue_order",
    "select",
    "start",
    "update",
    "view",
]

Record = dict[str, Any]

STATUSES = ("pending", "in_progress", "completed", "failed", "blocked")
_UNFINISHED = ("pending", "in_progress", "blocked")

# The statuses ``PUT /tasks/{id}`` may move a task to, by its status now: the real server's
# ``TasksService.validateStatusTransition`` (the same status again is not among them).
UPDATES: Mapping[str, tuple[str, ...]] = {
    "pending": ("in_progress", "blocked", "completed"),
    "in_progress": ("completed", "failed", "blocked", "pending"),
    "blocked": ("pending", "in_progress"),
    "completed": (),
    "failed": ("pending",),
}


def new_task(
    *,
    task_id: str,
    session_id: str,
    project_id: str,
    github_issue_id: str | None,
    metadata: Mapping[str, Any] | None,
    now: datetime,
    task_name: str | None = None,
) -> Record:
    """A task as ``POST /tasks`` creates it: pending; ``task_name`` null when none was given."""
    stamp = format_timestamp(now)
    return {
        "task_id": task_id,
        "session_id": session_id,
        "project_id": project_id,
        "task_name": task_name,
        "status": "pending",
        "github_issue_id": github_issue_id,
        "created_at": stamp,
        "updated_at": stamp,
        "started_at": None,
        "completed_at": None,
        "error_message": None,
        "metadata": dict(metadata or {}),
    }


def view(task: Mapping[str, Any]) -> Record:
    """``task`` as the API answers it: with ``task_name`` (null) and ``updated_at`` (else its
    latest timestamp) for a record stored without them."""
    shown = dict(task)
    shown.setdefault("task_name", None)
    if "updated_at" not in shown:
        stamps = [task.get(key) for key in ("created_at", "started_at", "completed_at")]
        dated = [stamp for stamp in stamps if stamp]
        if dated:
            shown["updated_at"] = max(dated, key=parse_timestamp)
    return shown


def start(task: Mapping[str, Any], now: datetime) -> Record:
    """``pending -> in_progress``; ``started_at`` is now."""
    _require(task, "start", ("pending",))
    stamp = format_timestamp(now)
    return {**task, "status": "in_progress", "started_at": stamp, "updated_at": stamp}


def complete(task: Mapping[str, Any], now: datetime) -> Record:
    """``pending | in_progress | blocked -> completed``; ``completed_at`` is now."""
    _require(task, "complete", _UNFINISHED)
    stamp = format_timestamp(now)
    return {**task, "status": "completed", "completed_at": stamp, "updated_at": stamp}


def fail(task: Mapping[str, Any], error_message: str, now: datetime) -> Record:
    """``pending | in_progress | blocked -> failed``; ``completed_at`` is now, the message kept."""
    _require(task, "fail", _UNFINISHED)
    stamp = format_timestamp(now)
    return {
        **task,
        "status": "failed",
        "completed_at": stamp,
        "error_message": error_message,
        "updated_at": stamp,
    }


def update(task: Mapping[str, Any], changes: Mapping[str, Any], now: datetime) -> Record:
    """``PUT /tasks/{id}``: ``status`` along ``UPDATES`` (else ``IllegalState``),
    ``github_issue_id`` and ``error_message`` as given, ``metadata`` merged into the stored
    object (the real server's ``{...old, ...new}``).

    The timestamps follow the status: ``started_at`` is set on entering ``in_progress`` (kept
    when a blocked task resumes), ``completed_at`` on entering ``completed`` or ``failed``; a
    task back in ``pending`` has started and finished nothing (``started_at``, ``completed_at``
    and ``error_message`` null, as the ``Task`` schema says of a pending task; the real server
    leaves them) before the given ``error_message`` applies."""
    stamp = format_timestamp(now)
    updated = dict(task)
    status = changes.get("status")
    if status is not None:
        current = task["status"]
        if status not in UPDATES.get(current, ()):
            raise IllegalState(f"Invalid status transition from {current} to {status}")
        updated["status"] = status
        if status == "pending":
            updated |= {"started_at": None, "completed_at": None, "error_message": None}
        elif status == "in_progress":
            updated["started_at"] = task.get("started_at") or stamp
        elif status in ("completed", "failed"):
            updated["completed_at"] = stamp
    for key in ("github_issue_id", "error_message"):
        if key in changes:
            updated[key] = changes[key]
    if changes.get("metadata") is not None:
        updated["metadata"] = {**(task.get("metadata") or {}), **changes["metadata"]}
    updated["updated_at"] = stamp
    return updated


def delete(task: Mapping[str, Any], now: datetime) -> Record:
    """``DELETE /tasks/{id}``: a soft delete, to ``completed`` from any status, ``completed_at``
    now (the real server's ``TasksService.delete``)."""
    stamp = format_timestamp(now)
    return {**task, "status": "completed", "completed_at": stamp, "updated_at": stamp}


def select(
    tasks: Iterable[Record],
    *,
    session_id: str | None = None,
    status: str | None = None,
    project_id: str | None = None,
) -> list[Record]:
    """The tasks matching every given filter (exact matches)."""
    return [
        t
        for t in tasks
        if (session_id is None or t["session_id"] == session_id)
        and (status is None or t["status"] == status)
        and (project_id is None or t["project_id"] == project_id)
    ]


def queue_order(tasks: Iterable[Record]) -> list[Record]:
    """Oldest first, as work is queued: by ``created_at`` (``started_at`` for a record without
    it, such as the document's ``GET /tasks`` example; a record with neither goes first),
    keeping the store's order among equals."""

    def key(task: Mapping[str, Any]) -> tuple[int, datetime | str]:
        moment = task.get("created_at") or task.get("started_at")
        return (1, parse_timestamp(moment)) if moment else (0, "")

    return sorted(tasks, key=key)


def progress(session_id: str, tasks: Iterable[Record]) -> Record:
    """``GET /sessions/{id}/tasks``: the document's counts, ``progress_percentage``
    (completed / total * 100, rounded to two decimals, a whole number when it is one; 0 without
    tasks) and every task grouped under all five statuses (``by_status``), oldest first; plus the
    real server's ``tasks`` (the same groups as bare lists) and ``stats`` (a count per status and
    ``completion_percentage``, rounded half up to a whole number like JavaScript's
    ``Math.round``)."""
    ordered = [view(task) for task in queue_order(tasks)]
    groups: dict[str, list[Record]] = {status: [] for status in STATUSES}
    for task in ordered:
        groups.setdefault(task["status"], []).append(task)
    total = len(ordered)
    completed = len(groups["completed"])
    percentage = round(completed / total * 100, 2) if total else 0
    return {
        "session_id": session_id,
        "total_tasks": total,
        "completed_tasks": completed,
        "failed_tasks": len(groups["failed"]),
        "progress_percentage": int(percentage) if percentage == int(percentage) else percentage,
        "by_status": {
            status: {"count": len(groups[status]), "tasks": groups[status]} for status in STATUSES
        },
        "tasks": {status: list(groups[status]) for status in STATUSES},
        "stats": {
            "total": total,
            **{status: len(groups[status]) for status in STATUSES},
            "completion_percentage": math.floor(completed / total * 100 + 0.5) if total else 0,
        },
    }


def last_completed(tasks: Iterable[Record]) -> Record | None:
    """The completed task that completed last (the later one in store order on a tie)."""
    best: Record | None = None
    for task in tasks:
        if task["status"] != "completed" or not task.get("completed_at"):
            continue
        if best is None or parse_timestamp(task["completed_at"]) >= parse_timestamp(
            best["completed_at"]
        ):
            best = task
    return best


def _require(task: Mapping[str, Any], action: str, allowed: tuple[str, ...]) -> None:
    if task["status"] not in allowed:
        raise IllegalState(f"Cannot {action} task in status {task['status']}")
