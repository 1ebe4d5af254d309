"""What is inconsistent inside one task-progress answer (`GET /sessions/{id}/tasks`): the rule
`task_lifecycle` applies to the session it drives and `grouping_consistency` to listed ones. No
check is registered here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

__all__ = ["EXTRA_STATUSES", "TASK_STATUSES", "progress_problems"]

TASK_STATUSES = ("pending", "in_progress", "completed", "failed")  # the document's groups
# The real server's fifth status (stokedconsulting/stoked-projects): counted where a server
# groups it, never required.
EXTRA_STATUSES = ("blocked",)


def progress_problems(sid: str, body: Mapping[str, Any]) -> list[str]:
    """What is inconsistent inside one `GET /sessions/{id}/tasks` answer."""
    problems: list[str] = []
    groups = body.get("by_status")
    if not isinstance(groups, dict):
        return problems
    counts: dict[str, int] = {}
    for status in (*TASK_STATUSES, *EXTRA_STATUSES):
        group = groups.get(status)
        if not isinstance(group, dict) or not isinstance(group.get("tasks"), list):
            continue
        tasks = [t for t in group["tasks"] if isinstance(t, dict)]
        counts[status] = len(tasks)
        if group.get("count") != len(tasks):
            problems.append(
                f"by_status.{status}.count is {group.get('count')!r} for {len(tasks)} tasks"
            )
        strays = [t.get("task_id") for t in tasks if t.get("status") != status]
        if strays:
            problems.append(f"by_status.{status} holds tasks of another status: {strays[:3]}")
        foreign = [t.get("task_id") for t in tasks if t.get("session_id") not in (None, sid)]
        if foreign:
            problems.append(f"by_status.{status} holds tasks of another session: {foreign[:3]}")
    if any(status not in counts for status in TASK_STATUSES):
        return problems
    total = sum(counts.values())
    problems += _stats_problems(body.get("stats"), counts, total)
    for name, wanted in (
        ("total_tasks", total),
        ("completed_tasks", counts["completed"]),
        ("failed_tasks", counts["failed"]),
    ):
        if body.get(name) != wanted:
            problems.append(f"{name} is {body.get(name)!r}; by_status holds {wanted}")
    percentage = body.get("progress_percentage")
    exact = 100 * counts["completed"] / total if total else 0.0
    # Rounded either way to a whole number at most: "may be fractional".
    if (
        isinstance(percentage, int | float)
        and not isinstance(percentage, bool)
        and abs(percentage - exact) >= 1
    ):
        problems.append(
            f"progress_percentage is {percentage}; {counts['completed']} of {total} tasks "
            f"completed is {exact:.2f}"
        )
    return problems


def _stats_problems(stats: Any, counts: Mapping[str, int], total: int) -> list[str]:
    """The real server's optional ``stats`` (``total``, a count per status and
    ``completion_percentage``) against the groups: a server need not send it, but one that
    does must agree with itself. The percentage is ``completed / total * 100`` rounded to a
    whole number (the spec: as JavaScript's ``Math.round``; any rounding is accepted, as for
    ``progress_percentage``), 0 without tasks."""
    if not isinstance(stats, dict):
        return []
    wanted = {"total": total, **counts}
    problems = [
        f"stats.{name} is {stats[name]!r}; by_status holds {count}"
        for name, count in wanted.items()
        if isinstance(stats.get(name), int) and stats[name] != count
    ]
    percentage = stats.get("completion_percentage")
    exact = 100 * counts["completed"] / total if total else 0.0
    if _number(percentage) and abs(percentage - exact) >= 1:
        problems.append(
            f"stats.completion_percentage is {percentage}; {counts['completed']} of {total} "
            f"tasks completed is {exact:.2f}"
        )
    return problems


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
