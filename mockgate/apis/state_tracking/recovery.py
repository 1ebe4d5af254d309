"""Failure and recovery: ``failure-info``, the (inferred) ``prepare-recovery`` plan, ``recover``.

Plain dicts in, plain dicts out; ``tracker`` reads them from the store and writes the results.

A failure is kept as a record of its own (the internal ``failures`` collection: reason, error
details, when), written by every transition to ``failed`` and dropped by a recovery, because
the ``Session`` schema has no place for the error details ``failure-info`` must return.

**Recovery** takes a session back to ``active``: ``recovery_attempts`` + 1, ``completed_at`` (and
``archived_at``) cleared, ``last_heartbeat`` now (a recovered session must not count as silent
since before it was recovered, or a stalled one would stall again at once). The document
describes recovering failed and stalled sessions; like the real server, the mock refuses only a
``completed`` session and one already recovered ``MAX_RECOVERY_ATTEMPTS`` (3) times
(``IllegalState``, 400). Where it runs, as the real server does it, without checking the target:

- no body: in place, same machine and slot;
- ``new_machine_id`` (registered or not) with ``new_docker_slot``: that slot; without it, the
  machine's first free slot when the machine is registered and has one, else no slot;
- ``new_docker_slot`` alone: that slot of the current machine.

The old slot is released and the new one taken in the same step, when it can be held: the
machine is registered, has that slot, and no other session holds it. An explicit
``new_docker_slot`` is written as given even when it cannot be held (the client asked for it);
an implied slot that cannot be held leaves ``docker_slot`` null. ``resume_from_task_id`` (a task
of this session, else 400) becomes the session's ``current_task_id``. A machine that is offline
or in maintenance may still be chosen: ``prepare-recovery`` warns about it instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from mockgate.apis.state_tracking import machines as machine_rules
from mockgate.apis.state_tracking.rules import IllegalState, Invalid
from mockgate.apis.state_tracking.tasks import last_completed, queue_order
from mockgate.core.timestamps import format_timestamp

__all__ = [
    "MAX_RECOVERY_ATTEMPTS",
    "blocker",
    "failure_info",
    "failure_recommendations",
    "failure_record",
    "plan",
    "recover",
]

Record = dict[str, Any]

MAX_RECOVERY_ATTEMPTS = 3
"""Recoveries a session may have; the next one is refused (the real server's limit)."""
_FRAGILE_AFTER = 3
_BASE_RECOMMENDATIONS = (
    "Check machine resources (CPU, memory)",
    "Review Claude logs for errors",
    "Attempt recovery with new machine",
)


def failure_record(
    session_id: str, reason: str, error_details: Mapping[str, Any] | None, failed_at: str
) -> Record:
    """The internal record of one failure (``failures`` collection, keyed by session id)."""
    return {
        "session_id": session_id,
        "failure_reason": reason,
        "error_details": dict(error_details) if error_details is not None else None,
        "failed_at": failed_at,
    }


def failure_info(
    session: Mapping[str, Any],
    failure: Mapping[str, Any] | None,
    tasks: Iterable[Record],
    machine: Mapping[str, Any] | None,
) -> Record:
    """``GET /sessions/{id}/failure-info``; ``IllegalState`` unless the session has failed.

    Without a failure record (a hand-written dataset), the reason comes from
    ``metadata.failure_reason`` and the time from ``completed_at``.
    """
    if session["status"] != "failed":
        raise IllegalState(
            f"Session {session['session_id']} has not failed (status {session['status']})"
        )
    failure = failure or {}
    metadata = session.get("metadata") or {}
    last = last_completed(tasks)
    return {
        "session_id": session["session_id"],
        "failure_reason": failure.get("failure_reason")
        or metadata.get("failure_reason")
        or "No reason recorded",
        "error_details": failure.get("error_details"),
        "failed_at": failure.get("failed_at")
        or session.get("completed_at")
        or session["last_heartbeat"],
        "last_successful_task_id": last["task_id"] if last else None,
        "recovery_recommendations": failure_recommendations(session, machine),
    }


def failure_recommendations(
    session: Mapping[str, Any], machine: Mapping[str, Any] | None
) -> list[str]:
    """The document's three recommendations, then what this session's situation adds: its
    machine being unreachable, and repeated recoveries."""
    found = list(_BASE_RECOMMENDATIONS)
    warning = _machine_warning(session, machine)
    if warning:
        found.append(warning)
    attempts = session["recovery_attempts"]
    if attempts >= _FRAGILE_AFTER:
        found.append(
            f"Session has been recovered {attempts} times; investigate the root cause before"
            " recovering again"
        )
    return found


def plan(
    session: Mapping[str, Any],
    *,
    tasks: Iterable[Record],
    machines: Mapping[str, Record],
    now: datetime,
) -> Record:
    """``POST /sessions/{id}/prepare-recovery``: a dry run of ``recover``; changes nothing.

    - ``can_recover`` exactly when ``recover`` accepts the session (``blocker``); otherwise the
      blocker says why and there is neither a task to resume nor a suggested machine.
    - ``warnings``: the current machine unregistered, offline or in maintenance; the session's
      slot taken by another session; no free slot anywhere.
    - ``resume_from_task_id``: the current task unless it completed, else the oldest pending or
      in-progress task of the session.
    - suggestion: the current machine and slot when the machine is online and the slot still
      free (or held by this session); else the first free slot of the current machine if online;
      else the first free slot of the first other online machine (registration order).
    """
    session_tasks = [t for t in tasks if t["session_id"] == session["session_id"]]
    status = session["status"]
    refused = blocker(session)
    can_recover = refused is None
    blockers = [] if refused is None else [refused]
    current = machines.get(session["machine_id"])
    suggestion = _suggest(session, current, machines) if can_recover else None
    last = last_completed(session_tasks)
    return {
        "session_id": session["session_id"],
        "status": status,
        "can_recover": can_recover,
        "blockers": blockers,
        "warnings": _warnings(session, current, can_recover, suggestion),
        "recovery_attempts": session["recovery_attempts"],
        "last_successful_task_id": last["task_id"] if last else None,
        "current_task_id": session["current_task_id"],
        "resume_from_task_id": _resume_point(session, session_tasks) if can_recover else None,
        "current_machine_id": session["machine_id"],
        "current_docker_slot": session["docker_slot"],
        "current_machine_status": current["status"] if current else None,
        "suggested_machine_id": suggestion[0] if suggestion else None,
        "suggested_docker_slot": suggestion[1] if suggestion else None,
        "prepared_at": format_timestamp(now),
    }


def blocker(session: Mapping[str, Any]) -> str | None:
    """Why ``recover`` refuses ``session``, or None when it accepts it."""
    if session["status"] == "completed":
        return "Session status is completed; completed sessions cannot be recovered"
    attempts = session["recovery_attempts"]
    if attempts >= MAX_RECOVERY_ATTEMPTS:
        return (
            f"Session has been recovered {attempts} times; the maximum of"
            f" {MAX_RECOVERY_ATTEMPTS} recovery attempts is reached"
        )
    return None


def recover(
    session: Mapping[str, Any],
    *,
    new_machine_id: str | None,
    new_docker_slot: int | None,
    resume_from_task_id: str | None,
    tasks: Iterable[Record],
    machines: Mapping[str, Record],
    now: datetime,
) -> tuple[Record, dict[str, Record]]:
    """``POST /sessions/{id}/recover`` (see the module's rules): the recovered session and the
    machines whose slots changed, by id."""
    session_id = session["session_id"]
    refused = blocker(session)
    if refused is not None:
        raise IllegalState(refused)
    target_id = new_machine_id or session["machine_id"]
    current_task = session["current_task_id"]
    if resume_from_task_id is not None:
        if not any(
            t["task_id"] == resume_from_task_id and t["session_id"] == session_id for t in tasks
        ):
            raise Invalid.field("resume_from_task_id", f"must be a task of session {session_id}")
        current_task = resume_from_task_id

    changed: dict[str, Record] = {}
    old = machines.get(session["machine_id"])
    if old is not None and session_id in old["assigned_sessions"].values():
        changed[old["machine_id"]] = machine_rules.release(old, session_id)
    target = changed.get(target_id) or machines.get(target_id)
    slot = new_docker_slot
    if slot is None:
        if target_id == session["machine_id"]:
            slot = session["docker_slot"]
        elif target is not None and machine_rules.free_slots(target):
            slot = machine_rules.free_slots(target)[0]
    if target is not None and slot is not None and machine_rules.can_hold(target, slot, session_id):
        changed[target_id] = machine_rules.occupy(target, slot, session_id)
    elif new_docker_slot is None:
        slot = None  # an implied slot the session cannot hold: it runs without one
    recovered = {
        **session,
        "machine_id": target_id,
        "docker_slot": slot,
        "status": "active",
        "completed_at": None,
        "last_heartbeat": format_timestamp(now),
        "current_task_id": current_task,
        "recovery_attempts": session["recovery_attempts"] + 1,
    }
    recovered.pop("archived_at", None)
    return recovered, changed


def _suggest(
    session: Mapping[str, Any], current: Record | None, machines: Mapping[str, Record]
) -> tuple[str, int] | None:
    slot = session["docker_slot"]
    if current is not None and current["status"] == "online" and slot is not None:
        held = machine_rules.holder(current, slot)
        if slot in current["docker_slots"] and held in (None, session["session_id"]):
            return current["machine_id"], slot
    candidates = [current] if current is not None else []
    candidates += [m for m in machines.values() if m is not current]
    for machine in candidates:
        if machine["status"] == "online":
            free = machine_rules.free_slots(machine)
            if free:
                return machine["machine_id"], free[0]
    return None


def _resume_point(session: Mapping[str, Any], tasks: list[Record]) -> str | None:
    current = next((t for t in tasks if t["task_id"] == session["current_task_id"]), None)
    if current is not None and current["status"] != "completed":
        return str(current["task_id"])
    waiting = [t for t in queue_order(tasks) if t["status"] in ("pending", "in_progress")]
    return str(waiting[0]["task_id"]) if waiting else None


def _warnings(
    session: Mapping[str, Any],
    current: Record | None,
    can_recover: bool,
    suggestion: tuple[str, int] | None,
) -> list[str]:
    found = []
    machine_warning = _machine_warning(session, current)
    if machine_warning:
        found.append(machine_warning)
    slot = session["docker_slot"]
    if current is not None and slot is not None:
        held = machine_rules.holder(current, slot)
        if held not in (None, session["session_id"]):
            found.append(
                f"Docker slot {slot} on machine {current['machine_id']} is now occupied by"
                f" session {held}; recover on another slot"
            )
    if can_recover and suggestion is None:
        found.append("No online machine has a free docker slot")
    return found


def _machine_warning(session: Mapping[str, Any], machine: Mapping[str, Any] | None) -> str | None:
    machine_id = session["machine_id"]
    if machine is None:
        return f"Machine {machine_id} is no longer registered; recover on another machine"
    if machine["status"] != "online":
        return f"Machine {machine_id} is {machine['status']}; recover on another machine"
    return None
