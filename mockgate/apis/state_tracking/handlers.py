"""State-tracking handlers: parse, call ``Tracker``, shape ``(body, status)``.

One coroutine per operationId (snake_case), bound to the ``MockContext``. None of them awaits
anything: each request's reads and writes happen in one step of the event loop (see
``tracker``). ``getApiDocs``/``getOpenApiDocument``/``getApiDocsJson`` are served by the docs
app (Connexion's Swagger UI).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec

from mockgate.apis.context import MockContext
from mockgate.apis.state_tracking import machines as machine_rules
from mockgate.apis.state_tracking import sessions as session_rules
from mockgate.apis.state_tracking import tasks as task_rules
from mockgate.apis.state_tracking import vitals
from mockgate.apis.state_tracking.envelope import StateRuleError
from mockgate.apis.state_tracking.paging import clamp_limit, page
from mockgate.apis.state_tracking.rules import IllegalState, NotFound, RuleError
from mockgate.apis.state_tracking.tracker import Tracker
from mockgate.core.errors import FieldError, MockError

Reply = tuple[Any, int]
P = ParamSpec("P")

_HEARTBEAT_MESSAGE = "Heartbeat updated successfully"


def _answers(handler: Callable[P, Awaitable[Reply]]) -> Callable[P, Awaitable[Reply]]:
    """Turn the core's ``RuleError``s into the API's error envelope."""

    @functools.wraps(handler)
    async def answer(*args: P.args, **kwargs: P.kwargs) -> Reply:
        try:
            return await handler(*args, **kwargs)
        except RuleError as exc:
            details = tuple(FieldError(name, problem) for name, problem in exc.details)
            error = MockError(exc.status, exc.message, details)
            if isinstance(exc, IllegalState):
                error.error = StateRuleError(exc.status, exc.message)
            raise error from None

    return answer


def _tracker(ctx: MockContext) -> Tracker:
    return Tracker(ctx.store, ctx.clock.now(), seed=ctx.options.seed)


def _given(value: str | None) -> str | None:
    """A filter value; an empty one (``?project_id=``) is no filter, as NestJS'
    ``if (query.project_id)`` has it."""
    return value or None


def _optional(body: Any) -> dict[str, Any]:
    """An optional JSON body: missing is ``{}``; so is one sent without a JSON content type
    (the dispatcher hands it over as raw bytes), which NestJS' JSON parser would not read either."""
    return body if isinstance(body, dict) else {}


# --- health ------------------------------------------------------------------------------


async def get_health(ctx: MockContext) -> Reply:
    return vitals.health(_figures(ctx)), 200


async def get_readiness(ctx: MockContext) -> Reply:
    _figures(ctx)
    return vitals.readiness(ctx.clock.now()), 200


async def get_liveness(ctx: MockContext) -> Reply:
    return vitals.liveness(_figures(ctx)), 200


async def get_detailed_health(ctx: MockContext) -> Reply:
    return vitals.detailed(_figures(ctx), vitals.process()), 200


async def get_system_info(ctx: MockContext) -> Reply:
    return vitals.system(_figures(ctx), vitals.process(), vitals.host()), 200


def _figures(ctx: MockContext) -> vitals.Figures:
    started = time.perf_counter()
    tracker = _tracker(ctx)  # one pass over the store: the mock's "database round trip"
    latency = (time.perf_counter() - started) * 1000
    active = len(session_rules.select(tracker.records.sessions(), status="active"))
    served = [e for e in ctx.journal.entries() if e.operation_id is not None]
    average = sum(e.duration_ms for e in served) / len(served) if served else 0.0
    errors = sum(1 for e in served if e.status >= 500) / len(served) if served else 0.0
    return vitals.Figures(
        now=tracker.records.now,
        uptime=round(max(0.0, (tracker.records.now - ctx.started_at).total_seconds()), 3),
        latency_ms=round(latency, 3),
        active_sessions=active,
        average_response_ms=round(average, 3),
        error_rate=round(errors, 4),
        version=str(ctx.spec.document.get("info", {}).get("version", "0.1.0")),
    )


# --- sessions ----------------------------------------------------------------------------


@_answers
async def list_sessions(
    ctx: MockContext,
    status: str | None = None,
    project_id: str | None = None,
    machine_id: str | None = None,
    include_archived: bool = False,
    limit: int | None = None,
    offset: int | None = None,
) -> Reply:
    found = _tracker(ctx).listing.sessions(
        status=status,
        project_id=_given(project_id),
        machine_id=_given(machine_id),
        include_archived=bool(include_archived),
    )
    return [session_rules.view(s) for s in page(found, limit, offset)], 200


@_answers
async def create_session(ctx: MockContext, body: dict[str, Any]) -> Reply:
    return _tracker(ctx).sessions.create(body), 201


@_answers
async def find_stale_sessions(ctx: MockContext, threshold: int = 300) -> Reply:
    tracker = _tracker(ctx)
    return session_rules.stale_report(
        tracker.records.sessions(), tracker.records.now, threshold
    ), 200


@_answers
async def find_active_sessions(
    ctx: MockContext, project_id: str | None = None, machine_id: str | None = None
) -> Reply:
    tracker = _tracker(ctx)
    found = tracker.listing.sessions(
        status="active", project_id=_given(project_id), machine_id=_given(machine_id)
    )
    return [session_rules.active_summary(s, tracker.records.now) for s in found], 200


@_answers
async def get_sessions_by_project(ctx: MockContext, project_id: str) -> Reply:
    tracker = _tracker(ctx)
    if not tracker.listing.known_project(project_id):
        raise NotFound(f"Project with ID {project_id} not found")
    groups = session_rules.by_status(
        session_rules.select(tracker.records.sessions(), project_id=project_id)
    )
    total = sum(group["count"] for group in groups.values())
    return {"project_id": project_id, "total_sessions": total, "by_status": groups}, 200


@_answers
async def get_session(ctx: MockContext, id_: str) -> Reply:
    return session_rules.view(_tracker(ctx).records.session(id_)), 200


@_answers
async def update_session(ctx: MockContext, id_: str, body: dict[str, Any]) -> Reply:
    return session_rules.view(_tracker(ctx).sessions.update(id_, body)), 200


@_answers
async def delete_session(ctx: MockContext, id_: str) -> Reply:
    _tracker(ctx).sessions.delete(id_)
    return None, 204


@_answers
async def session_heartbeat(ctx: MockContext, id_: str) -> Reply:
    session = _tracker(ctx).sessions.heartbeat(id_)
    return {
        "session_id": session["session_id"],
        "status": session["status"],
        "last_heartbeat": session["last_heartbeat"],
        "message": _HEARTBEAT_MESSAGE,
    }, 200


@_answers
async def get_session_health(ctx: MockContext, id_: str, threshold: int = 300) -> Reply:
    return _tracker(ctx).recovery.health(id_, threshold), 200


# Mark-failed, mark-stalled, archive and recover answer the whole session, as the real server
# does (the document shows only some of its fields, all of them in it).


@_answers
async def mark_session_failed(ctx: MockContext, id_: str, body: dict[str, Any]) -> Reply:
    session = _tracker(ctx).sessions.mark_failed(id_, body["reason"], body.get("error_details"))
    return session_rules.view(session), 200


@_answers
async def mark_session_stalled(ctx: MockContext, id_: str, body: dict[str, Any]) -> Reply:
    return session_rules.view(_tracker(ctx).sessions.mark_stalled(id_, body["reason"])), 200


@_answers
async def get_session_failure_info(ctx: MockContext, id_: str) -> Reply:
    return _tracker(ctx).recovery.failure_info(id_), 200


@_answers
async def archive_session(ctx: MockContext, id_: str) -> Reply:
    return session_rules.view(_tracker(ctx).sessions.archive(id_)), 200


@_answers
async def purge_session(ctx: MockContext, id_: str, body: dict[str, Any]) -> Reply:
    deleted = _tracker(ctx).sessions.purge(id_)
    return {"session_id": id_, "purged": True, "tasks_deleted": deleted}, 200


@_answers
async def recover_session(ctx: MockContext, id_: str, body: dict[str, Any] | None = None) -> Reply:
    return session_rules.view(_tracker(ctx).recovery.recover(id_, _optional(body))), 200


@_answers
async def prepare_session_recovery(
    ctx: MockContext, id_: str, body: dict[str, Any] | None = None
) -> Reply:
    return _tracker(ctx).recovery.prepare(id_), 200


@_answers
async def get_session_tasks(ctx: MockContext, id_: str) -> Reply:
    tracker = _tracker(ctx)
    tracker.records.session(id_)
    return task_rules.progress(id_, tracker.records.session_tasks(id_)), 200


# --- tasks -------------------------------------------------------------------------------


@_answers
async def list_tasks(
    ctx: MockContext,
    session_id: str | None = None,
    status: str | None = None,
    project_id: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Reply:
    found = _tracker(ctx).listing.tasks(
        session_id=_given(session_id), status=status, project_id=_given(project_id)
    )
    return [task_rules.view(t) for t in page(found, clamp_limit(limit), offset)], 200


@_answers
async def create_task(ctx: MockContext, body: dict[str, Any]) -> Reply:
    return _tracker(ctx).tasks.create(body), 201


@_answers
async def get_task(ctx: MockContext, id_: str) -> Reply:
    return task_rules.view(_tracker(ctx).records.task(id_)), 200


@_answers
async def update_task(ctx: MockContext, id_: str, body: dict[str, Any] | None = None) -> Reply:
    return task_rules.view(_tracker(ctx).tasks.update(id_, _optional(body))), 200


@_answers
async def delete_task(ctx: MockContext, id_: str) -> Reply:
    _tracker(ctx).tasks.delete(id_)
    return None, 204


# Start, complete and fail answer the whole task, as the real server does (the document shows
# only the fields that changed, all of them in it).


@_answers
async def start_task(ctx: MockContext, id_: str) -> Reply:
    return task_rules.view(_tracker(ctx).tasks.start(id_)), 200


@_answers
async def complete_task(ctx: MockContext, id_: str) -> Reply:
    return task_rules.view(_tracker(ctx).tasks.complete(id_)), 200


@_answers
async def fail_task(ctx: MockContext, id_: str, body: dict[str, Any]) -> Reply:
    return task_rules.view(_tracker(ctx).tasks.fail(id_, body["error_message"])), 200


# --- machines ----------------------------------------------------------------------------


@_answers
async def list_machines(
    ctx: MockContext, status: str | None = None, hostname: str | None = None
) -> Reply:
    machines = _tracker(ctx).records.machines()
    found = machine_rules.select(machines, status=status, hostname=_given(hostname))
    return [machine_rules.view(m) for m in found], 200


@_answers
async def create_machine(ctx: MockContext, body: dict[str, Any]) -> Reply:
    return machine_rules.view(_tracker(ctx).machines.create(body)), 201


@_answers
async def get_machine(ctx: MockContext, id_: str) -> Reply:
    return machine_rules.view(_tracker(ctx).records.machine(id_)), 200


@_answers
async def update_machine(ctx: MockContext, id_: str, body: dict[str, Any]) -> Reply:
    return machine_rules.view(_tracker(ctx).machines.update(id_, body)), 200


@_answers
async def delete_machine(ctx: MockContext, id_: str) -> Reply:
    _tracker(ctx).machines.delete(id_)
    return None, 204


@_answers
async def find_available_machines(ctx: MockContext) -> Reply:
    return machine_rules.available(_tracker(ctx).records.machines()), 200


@_answers
async def machine_heartbeat(ctx: MockContext, id_: str) -> Reply:
    machine = _tracker(ctx).machines.heartbeat(id_)
    return {
        "machine_id": machine["machine_id"],
        "status": machine["status"],
        "last_heartbeat": machine["last_heartbeat"],
        "message": _HEARTBEAT_MESSAGE,
    }, 200


# Assign and release answer the whole machine, as the real server does (the document shows
# ``machine_id`` and ``assigned_sessions``). Assign answers the document's 200 (the real server
# sends 201; the spec allows both).


@_answers
async def assign_session_to_machine(ctx: MockContext, id_: str, body: dict[str, Any]) -> Reply:
    machine = _tracker(ctx).machines.assign(id_, body["session_id"], body.get("docker_slot"))
    return machine_rules.view(machine), 200


@_answers
async def release_session_from_machine(ctx: MockContext, id_: str, body: dict[str, Any]) -> Reply:
    return machine_rules.view(_tracker(ctx).machines.release_session(id_, body["session_id"])), 200
