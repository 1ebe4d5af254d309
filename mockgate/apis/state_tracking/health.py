"""``GET /sessions/{id}/health``: a session's staleness, health score and recommendations.

The answer has the document's fields, then the real server's: ``time_since_heartbeat`` (the
same whole seconds as ``seconds_since_heartbeat``), ``project_id``, ``machine_id``,
``docker_slot``, ``current_task_id``, ``started_at`` and ``completed_at``.

**The health score** (an integer from 0, worst, to 100, best) starts at 100 and loses:

- *silence*, for live sessions (active, paused, stalled): 5 points per started minute since the
  last heartbeat, at most 40 (15 s -> 5, 60 s -> 5, 61 s -> 10, 8 min or more -> 40);
- *status*: 40 for ``stalled``, 100 for ``failed`` (a failed session scores 0); nothing for
  active, paused, completed and archived sessions (finished sessions no longer heartbeat, so
  silence does not count against them);
- *recoveries*: 10 per recovery attempt, at most 30 (a session that keeps being recovered is
  fragile);

and is clamped to 0..100. The document's examples come out as documented: an active session
that heartbeated 15 s ago scores 95, a stalled one silent for an hour scores 20.

**Recommendations**, in this order, each only when it applies (none for a healthy session):

1. silent longer than ``threshold`` (a live session only): "Session has not sent a heartbeat for
   N seconds" and "Check that the Claude process is still running";
2. stalled: "Consider recovering the session on another machine";
3. failed: "Session failed: <reason>" and "Review GET /sessions/{id}/failure-info, then recover
   the session with POST /sessions/{id}/recover";
4. three or more recovery attempts: "Session has been recovered N times; investigate the root
   cause before recovering again".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mockgate.apis.state_tracking.sessions import LIVE, seconds_since_heartbeat

__all__ = ["health_score", "recommendations", "session_health"]

_SILENCE_POINTS_PER_MINUTE = 5
_SILENCE_MAX = 40
_STATUS_PENALTY = {"stalled": 40, "failed": 100}
_RECOVERY_POINTS = 10
_RECOVERY_MAX = 30
_FRAGILE_AFTER = 3


def session_health(
    session: Mapping[str, Any],
    *,
    now: datetime,
    threshold: int,
    failure_reason: str | None = None,
) -> dict[str, Any]:
    """The ``SessionHealth`` answer for ``session`` at ``now``, stale beyond ``threshold`` s."""
    seconds = seconds_since_heartbeat(session, now)
    status = session["status"]
    stale = seconds > threshold
    return {
        "session_id": session["session_id"],
        "status": status,
        "is_stale": stale,
        "last_heartbeat": session["last_heartbeat"],
        "seconds_since_heartbeat": seconds,
        "health_score": health_score(status, seconds, session["recovery_attempts"]),
        "recommendations": recommendations(
            session,
            seconds=seconds,
            stale=stale,
            failure_reason=failure_reason,
        ),
        "time_since_heartbeat": seconds,
        "project_id": session["project_id"],
        "machine_id": session["machine_id"],
        "docker_slot": session["docker_slot"],
        "current_task_id": session["current_task_id"],
        "started_at": session["started_at"],
        "completed_at": session["completed_at"],
    }


def health_score(status: str, seconds_since_heartbeat: int, recovery_attempts: int) -> int:
    """The score of the module's formula."""
    score = 100
    if status in LIVE:
        minutes = math.ceil(seconds_since_heartbeat / 60)
        score -= min(_SILENCE_MAX, _SILENCE_POINTS_PER_MINUTE * minutes)
    score -= _STATUS_PENALTY.get(status, 0)
    score -= min(_RECOVERY_MAX, _RECOVERY_POINTS * max(0, recovery_attempts))
    return max(0, min(100, score))


def recommendations(
    session: Mapping[str, Any],
    *,
    seconds: int,
    stale: bool,
    failure_reason: str | None = None,
) -> list[str]:
    """What to do about ``session`` (see the module's list)."""
    status = session["status"]
    found = []
    if stale and status in LIVE:
        found.append(f"Session has not sent a heartbeat for {seconds} seconds")
        found.append("Check that the Claude process is still running")
    if status == "stalled":
        found.append("Consider recovering the session on another machine")
    if status == "failed":
        found.append(f"Session failed: {failure_reason or 'no reason recorded'}")
        found.append(
            f"Review GET /sessions/{session['session_id']}/failure-info, then recover the session"
            f" with POST /sessions/{session['session_id']}/recover"
        )
    attempts = session["recovery_attempts"]
    if attempts >= _FRAGILE_AFTER:
        found.append(
            f"Session has been recovered {attempts} times; investigate the root cause before"
            " recovering again"
        )
    return found
