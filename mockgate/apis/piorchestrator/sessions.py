"""Sessions: lifecycle status, counters derived from captures, the diagnostics list.

A stored session (internal collection ``sessions``, keyed by ``session_id``) holds what is not
derived: ``session_id``, ``container_id``, ``device_id``, ``started_at``, ``status``, and
``ended_at`` once it is over, ``correlation_id`` when it failed, ``pending`` while it is live
(see ``live``). Everything else the list shows comes from its captures, so counters and evidence
can never disagree.

Statuses, as the dashboard groups them: ``active`` (running), ``complete`` (before and after
captured), ``partial`` (it ended with only one side of the pair: the other side's captures all
failed), ``failed`` (it ended without a successful ``BEFORE_OPEN``; ``last_error`` says why).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from mockgate.apis.piorchestrator import stamps
from mockgate.apis.piorchestrator.captures import ordered, succeeded

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "STATUSES",
    "by_session",
    "clamp_limit",
    "diagnostic",
    "elapsed_seconds",
    "last_error",
    "session_list",
    "summary",
]

STATUSES = ("active", "complete", "partial", "failed")
DEFAULT_LIMIT, MAX_LIMIT = 50, 100


def clamp_limit(limit: int | None) -> int:
    """``limit`` clamped into 1..100 (the spec's ``x-mockgate-limit``: the mock clamps)."""
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(MAX_LIMIT, limit))


def by_session(captures: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Captures grouped by session, each group in the order taken."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for capture in captures:
        groups.setdefault(capture["session_id"], []).append(capture)
    return {sid: ordered(group) for sid, group in groups.items()}


def summary(captures: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The counters and pair flags of a session's captures."""
    # One pass: every list row computes this for its session on every request.
    successful, before, after = 0, False, False
    for capture in captures:
        if succeeded(capture):
            successful += 1
            tag = capture["capture_tag"]
            before = before or tag == "BEFORE_OPEN"
            after = after or tag == "AFTER_CLOSE"
    return {
        "total_captures": len(captures),
        "successful_captures": successful,
        "failed_captures": len(captures) - successful,
        "has_before_open": before,
        "has_after_close": after,
        "pair_complete": before and after,
    }


def elapsed_seconds(session: Mapping[str, Any], now: datetime) -> int:
    """Seconds from the start to the end, or to ``now`` while the session has not ended."""
    # ``now`` unrounded gives the same whole seconds as its stamp: starts are whole seconds.
    end = session.get("ended_at") or now
    return max(0, stamps.seconds_between(session["started_at"], end))


def last_error(
    session: Mapping[str, Any], captures: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The error of a failed session: its latest failed capture (None for other sessions)."""
    if session.get("status") != "failed":
        return None
    failures = [c for c in captures if not succeeded(c)]
    if not failures:
        return None
    latest = failures[-1]
    error: dict[str, Any] = {
        "phase": latest["capture_tag"],
        "failure_reason": latest.get("failure_reason") or f"Capture {latest['status']}",
        "device_id": latest["device_id"],
        "occurred_at": latest["created_at"],
    }
    if session.get("correlation_id"):
        error["correlation_id"] = session["correlation_id"]
    return error


def diagnostic(
    session: Mapping[str, Any], captures: Sequence[Mapping[str, Any]], now: datetime
) -> dict[str, Any]:
    """The session as the diagnostics list shows it."""
    body: dict[str, Any] = {
        "session_id": session["session_id"],
        "container_id": session["container_id"],
        "started_at": session["started_at"],
        "status": session["status"],
        **summary(captures),
    }
    error = last_error(session, captures)
    if error is not None:
        body["last_error"] = error
    body["elapsed_seconds"] = elapsed_seconds(session, now)
    return body


def session_list(
    sessions: Iterable[Mapping[str, Any]],
    captures: Iterable[Mapping[str, Any]],
    now: datetime,
    limit: int | None,
) -> dict[str, Any]:
    """The list's ``data``: the newest ``limit`` (clamped) sessions; ``total`` counts them all."""
    everything = sorted(sessions, key=lambda s: (s["started_at"], s["session_id"]), reverse=True)
    shown = everything[: clamp_limit(limit)]
    shown_ids = {s["session_id"] for s in shown}
    groups = by_session(c for c in captures if c["session_id"] in shown_ids)
    return {
        "sessions": [diagnostic(s, groups.get(s["session_id"], []), now) for s in shown],
        "total": len(everything),
        "queried_at": stamps.stamp(now),
    }
