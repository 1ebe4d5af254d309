"""`grouping_consistency`: the grouped answers (sessions by project, a session's task progress)
agree with the records they group. Read-only."""

from __future__ import annotations

from collections.abc import Iterator

from mockgate.contracts.checks.state_tracking.answers import (
    API,
    LIST_LIMIT,
    MAX_REPORTED,
    SAMPLED,
    body_of,
    groups_of,
    items_of,
)
from mockgate.contracts.checks.state_tracking.progress import progress_problems
from mockgate.contracts.registry import probe
from mockgate.contracts.session import ProbeSession
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding

__all__ = ["grouping_consistency"]


@probe("grouping_consistency", apis=API)
def grouping_consistency(session: ProbeSession) -> Iterator[Finding]:
    """The grouped answers agree with the records. Read-only.

    By project (`GET /sessions/by-project/{projectId}`, for up to three projects of the
    session list): `total_sessions` is the sum of the groups' `count`, each `count` the length
    of its `sessions`, each session in the group of its status and of that project, no archived
    group or session; and between two reads of `GET /sessions?project_id=` that agree (and hold
    fewer than 100 sessions), the groups hold exactly those sessions with those statuses.
    Progress (`GET /sessions/{id}/tasks`, for up to five sessions): every group's `count` is the
    length of its `tasks`, each task of that status and session, `total_tasks` the sum,
    `completed_tasks` and `failed_tasks` their groups' counts, `progress_percentage`
    `completed / total * 100` (0 without tasks) to within 1 (it may be rounded), and the real
    server's `stats`, where sent, agreeing with the groups (its `total`, each status's count and
    `completion_percentage` likewise); and between two agreeing reads of
    `GET /tasks?session_id=`, the groups hold exactly those tasks.
    """
    query = {"limit": LIST_LIMIT}
    listing = session.call("listSessions", query=query)
    sessions = items_of(listing)
    projects = list(dict.fromkeys(str(s["project_id"]) for s in sessions if s.get("project_id")))
    for project in projects[:3]:
        yield from _by_project(session, project)
    for record in sessions[:SAMPLED]:
        if isinstance(record.get("session_id"), str):
            yield from _progress(session, record["session_id"])


def _by_project(session: ProbeSession, project: str) -> Iterator[Finding]:
    query = {"project_id": project, "limit": LIST_LIMIT}
    before = session.call("listSessions", query=query)
    grouped = session.call("getSessionsByProject", path_params={"projectId": project})
    after = session.call("listSessions", query=query)
    if grouped.status != 200:
        return
    body = body_of(grouped)
    groups = groups_of(body)
    problems: list[str] = []
    members: dict[str, str] = {}
    counted = 0
    for status, group in groups.items():
        if not isinstance(group, dict) or not isinstance(group.get("sessions"), list):
            continue
        records = [s for s in group["sessions"] if isinstance(s, dict)]
        count = group.get("count")
        if status == "archived":
            problems.append("an archived group (archived sessions are excluded)")
        if count != len(records):
            problems.append(f"by_status.{status}.count is {count!r} for {len(records)} sessions")
        counted += count if isinstance(count, int) else len(records)
        for record in records:
            sid = str(record.get("session_id"))
            if record.get("status") != status:
                problems.append(f"{sid!r} ({record.get('status')}) is in the {status} group")
            if record.get("project_id") != project:
                problems.append(f"{sid!r} of project {record.get('project_id')!r} is listed")
            if sid in members:
                problems.append(f"{sid!r} is in two groups")
            members[sid] = str(record.get("status"))
    total = body.get("total_sessions")
    if isinstance(total, int) and total != counted:
        problems.append(f"total_sessions is {total}; the groups count {counted}")
    first, second = _status_map(before), _status_map(after)
    if not problems and first is not None and first == second and members != first:
        missing = sorted(set(first) - set(members))[:MAX_REPORTED]
        extra = sorted(set(members) - set(first))[:MAX_REPORTED]
        moved = sorted(k for k in set(first) & set(members) if first[k] != members[k])[:3]
        problems.append(
            f"the groups differ from GET /sessions?project_id={project}: missing {missing}, "
            f"extra {extra}, other status {moved}"
        )
    if problems:
        yield Finding.from_exchanges(
            "grouping_consistency",
            f"by-project {project!r}: " + "; ".join(problems[:MAX_REPORTED]),
            before,
            grouped,
            after,
            operation="getSessionsByProject",
        )


def _status_map(exchange: Exchange) -> dict[str, str] | None:
    """The listed sessions' statuses, archived ones left out (by-project never has them; a
    list that shows them departs on its own account); None unless the list is whole."""
    if exchange.status != 200 or not isinstance(exchange.json, list):
        return None
    if len(exchange.json) >= LIST_LIMIT:
        return None  # perhaps not all of the project's sessions
    return {
        str(r.get("session_id")): str(r.get("status"))
        for r in exchange.json
        if isinstance(r, dict) and r.get("status") != "archived"
    }


def _progress(session: ProbeSession, sid: str) -> Iterator[Finding]:
    query = {"session_id": sid, "limit": LIST_LIMIT}
    before = session.call("listTasks", query=query)
    progress = session.call("getSessionTasks", path_params={"id": sid})
    after = session.call("listTasks", query=query)
    if progress.status != 200:
        return
    body = body_of(progress)
    problems = progress_problems(sid, body)
    groups = groups_of(body)
    members = {
        str(t.get("task_id")): str(t.get("status"))
        for group in groups.values()
        if isinstance(group, dict) and isinstance(group.get("tasks"), list)
        for t in group["tasks"]
        if isinstance(t, dict)
    }
    first = _task_map(before)
    steady = first is not None and first == _task_map(after) and len(first) < LIST_LIMIT
    if not problems and steady and members != first:
        problems.append(f"the groups hold {members}; GET /tasks?session_id= lists {first}")
    if problems:
        yield Finding.from_exchanges(
            "grouping_consistency",
            f"task progress of {sid!r}: " + "; ".join(problems[:MAX_REPORTED]),
            before,
            progress,
            after,
            operation="getSessionTasks",
        )


def _task_map(exchange: Exchange) -> dict[str, str] | None:
    if exchange.status != 200 or not isinstance(exchange.json, list):
        return None
    return {
        str(r.get("task_id")): str(r.get("status")) for r in exchange.json if isinstance(r, dict)
    }
