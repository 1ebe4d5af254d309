"""The lifecycle probes, in sessions they create: a session walks the documented state machine
(`session_state_machine`) and tasks their documented transitions (`task_lifecycle`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockgate.contracts.checks.state_tracking.answers import (
    LIST_LIMIT,
    MAX_REPORTED,
    body_of,
    groups_of,
    items_of,
)
from mockgate.contracts.checks.state_tracking.flow import PROBE_MARK, Flow, flow_probe
from mockgate.contracts.checks.state_tracking.progress import progress_problems
from mockgate.reports.exchange import Exchange

__all__ = ["IMMUTABLE_FIELDS", "session_state_machine", "task_lifecycle"]

# Fields `PUT /sessions/{id}` must refuse (a 400 naming the field), with values to try.
IMMUTABLE_FIELDS = ("session_id", "project_id", "machine_id", "started_at")


# --- session_state_machine ---------------------------------------------------------------------


@flow_probe("session_state_machine")
def session_state_machine(flow: Flow) -> None:
    """A session the probe creates obeys the documented state machine: created `active` with
    `recovery_attempts` 0; `PUT` of an immutable field (`session_id`, `project_id`,
    `machine_id`, `started_at`) is a 400 whose message or details name the field; heartbeat
    200 (still `active`); failure-info of a session that has not failed 400; archiving an
    unfinished session 400; mark-failed 200 (`failed`), then failure-info 200 with the reason
    given; heartbeat of a failed session 400; recover 200, `active` again with
    `recovery_attempts` one higher (also on a re-read); where the server has `POST
    /sessions/{id}/mark-stalled` (inferred from the real server and its client), mark-stalled
    200 (`stalled`, also on a re-read) and a recover without a body 200 (`active` again);
    soft delete 204, then the session reads
    `completed` with a `completed_at`; heartbeat of a completed session 400; archiving it 200
    (`archived`); purge without a body or with `confirm: false` 400; purge with
    `{"confirm": true}` 200, after which the session is gone (404).

    A step that should succeed and does not ends the sequence (later steps would judge a
    state the server never reached). The reproduction lists every step since the session was
    created (the curl commands name that session's id).
    """
    created, sid = flow.new_session()
    if sid is None:
        return
    record = body_of(created)
    if record.get("status") != "active" or record.get("recovery_attempts") != 0:
        flow.fail(
            f"a new session has status {record.get('status')!r} and recovery_attempts "
            f"{record.get('recovery_attempts')!r}; documented: 'active' and 0"
        )
    ids = {"id": sid}
    for name in IMMUTABLE_FIELDS:
        value = _changed_value(name, record)
        put = flow.call("updateSession", path_params=ids, body={name: value})
        if put.status == 200:
            flow.fail(f"PUT changed the immutable field {name} (to {value!r}); expected a 400")
        elif put.status == 400 and not _named(put, name):
            flow.fail(f"PUT with the immutable field {name} is refused, but the 400 never names it")
        elif put.status != 400:
            flow.expect(put, 400, f"PUT with the immutable field {name}")
    beat = flow.call("sessionHeartbeat", path_params=ids)
    if not flow.expect(beat, 200, "heartbeat of an active session"):
        return
    if body_of(beat).get("status") != "active":
        flow.fail(
            f"a heartbeat of an active session answers status {body_of(beat).get('status')!r}"
        )
    flow.expect(
        flow.call("getSessionFailureInfo", path_params=ids),
        400,
        "failure-info of a session that has not failed",
    )
    flow.expect(flow.call("archiveSession", path_params=ids), 400, "archiving an active session")
    reason = "mockgate conformance probe: marked failed on purpose"
    failed = flow.call(
        "markSessionFailed",
        path_params=ids,
        body={"reason": reason, "error_details": {"error_code": "MOCKGATE_PROBE"}},
    )
    if not flow.expect(failed, 200, "mark-failed of an active session"):
        return
    if body_of(failed).get("status") != "failed":
        flow.fail(f"mark-failed answers status {body_of(failed).get('status')!r}, not 'failed'")
    info = flow.call("getSessionFailureInfo", path_params=ids)
    if flow.expect(info, 200, "failure-info of a failed session") and (
        body_of(info).get("failure_reason") != reason
    ):
        flow.fail(
            f"failure-info gives failure_reason {body_of(info).get('failure_reason')!r}, not the "
            f"reason the session was marked failed with ({reason!r})"
        )
    flow.expect(
        flow.call("sessionHeartbeat", path_params=ids), 400, "heartbeat of a failed session"
    )
    before = flow.call("getSession", path_params=ids)
    attempts = body_of(before).get("recovery_attempts")
    recovered = flow.call("recoverSession", path_params=ids, body={})
    if not flow.expect(recovered, 200, "recover of a failed session (in place, no body fields)"):
        return
    if isinstance(attempts, int):
        for label, exchange in (
            ("recover answers", recovered),
            ("the session reads", flow.call("getSession", path_params=ids)),
        ):
            got = body_of(exchange)
            if got.get("status") != "active" or got.get("recovery_attempts") != attempts + 1:
                flow.fail(
                    f"after recovering, {label} status {got.get('status')!r} and "
                    f"recovery_attempts {got.get('recovery_attempts')!r}; expected 'active' and "
                    f"{attempts + 1} (one more than {attempts})",
                    "recoverSession",
                )
    if not _stall_and_recover(flow, ids):
        return
    if not flow.expect(
        flow.call("deleteSession", path_params=ids), 204, "soft delete of an active session"
    ):
        return
    deleted = flow.call("getSession", path_params=ids)
    if flow.expect(deleted, 200, "reading a soft-deleted session") and (
        body_of(deleted).get("status") != "completed" or not body_of(deleted).get("completed_at")
    ):
        flow.fail(
            f"after the soft delete the session has status {body_of(deleted).get('status')!r} and "
            f"completed_at {body_of(deleted).get('completed_at')!r}; documented: 'completed', set"
        )
    flow.expect(
        flow.call("sessionHeartbeat", path_params=ids), 400, "heartbeat of a completed session"
    )
    archived = flow.call("archiveSession", path_params=ids)
    if flow.expect(archived, 200, "archiving a completed session") and (
        body_of(archived).get("status") != "archived"
    ):
        flow.fail(f"archive answers status {body_of(archived).get('status')!r}, not 'archived'")
    flow.expect(
        flow.call("purgeSession", path_params=ids), 400, "purge without a body (no confirm)"
    )
    flow.expect(
        flow.call("purgeSession", path_params=ids, body={"confirm": False}),
        400,
        "purge with confirm: false",
    )
    purged = flow.call("purgeSession", path_params=ids, body={"confirm": True})
    if not flow.expect(purged, 200, 'purge with {"confirm": true}'):
        return
    flow.created.remove(sid)
    flow.expect(flow.call("getSession", path_params=ids), 404, "reading a purged session")


def _stall_and_recover(flow: Flow, ids: Mapping[str, str]) -> bool:
    """Stall an active session and recover it, as the real client does; False when a step that
    should succeed did not (the sequence ends). A server without mark-stalled (404 or 405 for
    it: the document does not have the route) is not judged on it."""
    reason = "mockgate conformance probe: stalled on purpose"
    stalled = flow.call("markSessionStalled", path_params=ids, body={"reason": reason})
    if stalled.status in (404, 405):
        return True
    if not flow.expect(stalled, 200, "mark-stalled of an active session"):
        return False
    for label, exchange in (
        ("mark-stalled answers", stalled),
        ("the session reads", flow.call("getSession", path_params=ids)),
    ):
        if body_of(exchange).get("status") != "stalled":
            flow.fail(
                f"after mark-stalled, {label} status {body_of(exchange).get('status')!r}, not "
                "'stalled'",
                "markSessionStalled",
            )
    recovered = flow.call("recoverSession", path_params=ids)
    if not flow.expect(recovered, 200, "recover of a stalled session, without a body"):
        return False
    if body_of(recovered).get("status") != "active":
        flow.fail(f"recover of a stalled session answers {body_of(recovered).get('status')!r}")
    return True


def _named(exchange: Exchange, name: str) -> bool:
    """Whether the error's message or details name ``name``."""
    body = body_of(exchange)
    texts = [body.get("message")]
    details = body.get("details")
    texts += details if isinstance(details, list) else [details]
    return any(isinstance(t, str) and name in t for t in texts)


def _changed_value(name: str, record: Mapping[str, Any]) -> Any:
    if name == "started_at":
        return "2001-01-01T00:00:00.000Z"
    if name == "session_id":
        return "00000000-0000-4000-8000-000000000000"
    return f"{record.get(name) or 'x'}-mockgate-changed"


# --- task_lifecycle ----------------------------------------------------------------------------


@flow_probe("task_lifecycle")
def task_lifecycle(flow: Flow) -> None:
    """Tasks follow the documented transitions, in a session the probe creates: a new task is
    `pending`; start (`pending -> in_progress`) makes it `in_progress`; starting it again is a
    400; complete makes it `completed`; fail (or start) of a completed task is a 400; a pending
    task can be failed (`failed`, with the `error_message` given), after which complete is a
    400. Where the server has `GET /tasks/{id}` (inferred from the real server), it reads each
    task as its last transition left it. The session's progress then counts 2 tasks, 1
    completed, 1 failed, 50 %, each task in the `by_status` group of its status, and
    `GET /tasks?session_id=` lists the same two tasks with the same statuses; purging the
    session reports `tasks_deleted: 2`.

    Completing a pending task is not judged: the document lists no refusal for it, and the
    real server completes it. Whether starting a task makes it the session's
    `current_task_id` is not judged either: neither the document nor the spec says so, and the
    document's clients set `current_task_id` themselves with `PUT /sessions/{id}`.
    """
    _, sid = flow.new_session()
    if sid is None or flow.place is None:
        return
    project = flow.place[1]
    first = _new_task(flow, sid, project)
    if first is None:
        return
    tid = {"id": first}
    started = flow.call("startTask", path_params=tid)
    if not flow.expect(started, 200, "starting a pending task"):
        return
    if body_of(started).get("status") != "in_progress":
        flow.fail(f"start answers status {body_of(started).get('status')!r}, not 'in_progress'")
    _judge_read(flow, first, "in_progress")
    flow.expect(flow.call("startTask", path_params=tid), 400, "starting a task in progress")
    completed = flow.call("completeTask", path_params=tid)
    if not flow.expect(completed, 200, "completing a task in progress"):
        return
    if body_of(completed).get("status") != "completed":
        flow.fail(f"complete answers status {body_of(completed).get('status')!r}")
    _judge_read(flow, first, "completed")
    flow.expect(
        flow.call("failTask", path_params=tid, body={"error_message": "mockgate probe"}),
        400,
        "failing a completed task",
    )
    flow.expect(flow.call("startTask", path_params=tid), 400, "starting a completed task")
    second = _new_task(flow, sid, project)
    if second is None:
        return
    message = "mockgate probe: failed on purpose"
    failed = flow.call("failTask", path_params={"id": second}, body={"error_message": message})
    if not flow.expect(failed, 200, "failing a pending task"):
        return
    if body_of(failed).get("status") != "failed" or body_of(failed).get("error_message") != message:
        flow.fail(
            f"fail answers status {body_of(failed).get('status')!r} and error_message "
            f"{body_of(failed).get('error_message')!r}; expected 'failed' and {message!r}"
        )
    flow.expect(
        flow.call("completeTask", path_params={"id": second}), 400, "completing a failed task"
    )
    expected = {first: "completed", second: "failed"}
    _judge_progress(flow, sid, expected)
    listed = flow.call("listTasks", query={"session_id": sid, "limit": LIST_LIMIT})
    if flow.expect(listed, 200, "listing the session's tasks"):
        got = {str(t.get("task_id")): t.get("status") for t in items_of(listed)}
        if got != expected:
            flow.fail(f"GET /tasks?session_id= lists {got}; the session's tasks are {expected}")
    purged = flow.call("purgeSession", path_params={"id": sid}, body={"confirm": True})
    if flow.expect(purged, 200, 'purge with {"confirm": true}'):
        flow.created.remove(sid)
        if body_of(purged).get("tasks_deleted") != len(expected):
            flow.fail(
                f"purge reports tasks_deleted {body_of(purged).get('tasks_deleted')!r}; the "
                f"session had {len(expected)} tasks"
            )


def _judge_read(flow: Flow, task_id: str, status: str) -> None:
    """Where the server has ``GET /tasks/{id}`` (not in the document: a 404 or 405 for every
    task means it has none), the task reads ``status``."""
    read = flow.call("getTask", path_params={"id": task_id})
    if read.status in (404, 405):
        return
    if flow.expect(read, 200, "reading a task") and body_of(read).get("status") != status:
        flow.fail(
            f"GET /tasks/{{id}} reads status {body_of(read).get('status')!r}; the task's "
            f"last transition made it {status!r}"
        )


def _new_task(flow: Flow, sid: str, project: str) -> str | None:
    created = flow.call(
        "createTask",
        body={"session_id": sid, "project_id": project, "metadata": {PROBE_MARK: flow.check}},
    )
    if not flow.expect(created, 201, "creating a task in an active session"):
        return None
    task = body_of(created)
    if task.get("status") != "pending":
        flow.fail(f"a new task has status {task.get('status')!r}; documented: 'pending'")
    tid = task.get("task_id")
    return str(tid) if isinstance(tid, str | int) and not isinstance(tid, bool) else None


def _judge_progress(flow: Flow, sid: str, expected: Mapping[str, str]) -> None:
    progress = flow.call("getSessionTasks", path_params={"id": sid})
    if not flow.expect(progress, 200, "the session's task progress"):
        return
    body = body_of(progress)
    problems = progress_problems(sid, body)
    groups = groups_of(body)
    grouped = {
        str(t.get("task_id")): status
        for status, group in groups.items()
        if isinstance(group, dict) and isinstance(group.get("tasks"), list)
        for t in group["tasks"]
        if isinstance(t, dict)
    }
    if grouped != dict(expected):
        problems.append(f"by_status groups the tasks as {grouped}; they are {dict(expected)}")
    completed = sum(1 for s in expected.values() if s == "completed")
    failed = sum(1 for s in expected.values() if s == "failed")
    counts = (body.get("total_tasks"), body.get("completed_tasks"), body.get("failed_tasks"))
    if counts != (len(expected), completed, failed):
        problems.append(
            f"total/completed/failed_tasks are {counts}; the session has {len(expected)}, "
            f"{completed}, {failed}"
        )
    if problems:
        flow.fail("task progress: " + "; ".join(problems[:MAX_REPORTED]))
