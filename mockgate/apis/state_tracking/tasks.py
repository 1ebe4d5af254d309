"""Task rules on plain dicts: creation, the status transitions, filters and progress.

Tasks are the JSON objects the API returns (``Task`` in ``specs/state-tracking.yaml``).

Transitions (the spec's "Task transitions"), anything else is ``IllegalState`` (400):

    pending --start--> in_progress --complete--> completed
    pending | in_progress --fail--> failed

``completed`` and ``failed`` are final. Starting a task also makes it its session's
``current_task_id`` (``tracker`` writes that).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from mockgate.apis.state_tracking.rules import IllegalState
from mockgate.core.timestamps import format_timestamp, parse_timestamp

__all__ = [
    "STATUSES",
    "complete",
    "fail",
    "last_completed",
    "new_task",
    "progress",
    "queue_order",
    "select",
    "start",
]

Record = dict[str, Any]

STATUSES = ("pending", "in_progress", "completed", "failed")


def new_task(
    *,
    task_id: str,
    session_id: str,
    project_id: str,
    github_issue_id: str | None,
    metadata: Mapping[str, Any] | None,
    now: datetime,
) -> Record:
    """A task as ``POST /tasks`` creates it: pending."""
    return {
        "task_id": task_id,
        "session_id": session_id,
        "project_id": project_id,
        "status": "pending",
        "github_issue_id": github_issue_id,
        "created_at": format_timestamp(now),
        "started_at": None,
        "completed_at": None,
        "error_message": None,
        "metadata": dict(metadata or {}),
    }


def start(task: Mapping[str, Any], now: datetime) -> Record:
    """``pending -> in_progress``; ``started_at`` is now."""
    _require(task, "start", ("pending",))
    return {**task, "status": "in_progress", "started_at": format_timestamp(now)}


def complete(task: Mapping[str, Any], now: datetime) -> Record:
    """``in_progress -> completed``; ``completed_at`` is now (a pending task must be started)."""
    _require(task, "complete", ("in_progress",))
    return {**task, "status": "completed", "completed_at": format_timestamp(now)}


def fail(task: Mapping[str, Any], error_message: str, now: datetime) -> Record:
    """``pending | in_progress -> failed``; ``completed_at`` is now, the message is kept."""
    _require(task, "fail", ("pending", "in_progress"))
    return {
        **task,
        "status": "failed",
        "completed_at": format_timestamp(now),
        "error_message": error_message,
    }


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
    """``GET /sessions/{id}/tasks``: counts, ``progress_percentage`` (completed / total * 100,
    rounded to two decimals, a whole number when it is one; 0 without tasks) and every task
    grouped under all four statuses, oldest first."""
    ordered = queue_order(tasks)
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
