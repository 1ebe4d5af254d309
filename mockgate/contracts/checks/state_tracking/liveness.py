"""The liveness probes: a heartbeat reactivates a stalled session (`stalled_reactivation`, in a
session it creates), and the stale and active lists agree with the sessions
(`stale_consistency`, read-only).

Why there is no "stalled by silence" probe: a session stalls after 300 s without a heartbeat on
the server's own clock, which a probe cannot move and should not wait for. `stalled_reactivation`
instead puts a session into `stalled` through `PUT /sessions/{id}` (any status may be written;
a server that refuses is not judged) and checks that a heartbeat reactivates it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from mockgate.contracts.checks.state_tracking.answers import (
    API,
    LIST_LIMIT,
    MAX_REPORTED,
    SAMPLED,
    body_of,
    items_of,
)
from mockgate.contracts.checks.state_tracking.flow import Flow, flow_probe
from mockgate.contracts.registry import probe
from mockgate.contracts.session import ProbeSession
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding

__all__ = ["FINISHED", "stale_consistency", "stalled_reactivation"]

FINISHED = frozenset({"completed", "failed", "archived"})  # statuses that are never stale
_DEFAULT_THRESHOLD = 300  # seconds: the documented default of `threshold`
_THRESHOLDS = (None, 60, 3600)  # the stale lists read: the default, a minute, an hour


# --- stalled_reactivation ----------------------------------------------------------------------


@flow_probe("stalled_reactivation")
def stalled_reactivation(flow: Flow) -> None:
    """A heartbeat reactivates a stalled session: the probe creates a session, sets it to
    `stalled` with `PUT /sessions/{id}` and sends a heartbeat, which answers 200 with status
    `active`, and the session then reads `active`.

    A natural stall takes 300 s of silence on the server's clock, which a probe cannot move; the
    update is the documented way to reach the state without waiting. A server that refuses to
    write `stalled` (a state rule, 400) or does not keep it is not judged.
    """
    _, sid = flow.new_session()
    if sid is None:
        return
    ids = {"id": sid}
    stalled = flow.call("updateSession", path_params=ids, body={"status": "stalled"})
    if stalled.status != 200 or body_of(stalled).get("status") != "stalled":
        return
    if body_of(flow.call("getSession", path_params=ids)).get("status") != "stalled":
        return
    beat = flow.call("sessionHeartbeat", path_params=ids)
    if not flow.expect(beat, 200, "heartbeat of a stalled session"):
        return
    answered = body_of(beat).get("status")
    after = body_of(flow.call("getSession", path_params=ids)).get("status")
    if answered != "active" or after != "active":
        flow.fail(
            f"a heartbeat of a stalled session answers status {answered!r} and the session then "
            f"reads {after!r}; documented: a stalled session is reactivated ('active')",
            "sessionHeartbeat",
        )


# --- stale_consistency -------------------------------------------------------------------------


@probe("stale_consistency", apis=API)
def stale_consistency(session: ProbeSession) -> Iterator[Finding]:
    """The stale and active lists agree with the sessions. Read-only.

    Stale (`GET /sessions/stale`, with the default threshold and with 60 and 3600): every
    entry has `is_stale: true`, `seconds_since_heartbeat` >= the threshold (default 300), and
    a status other than completed, failed or archived; the session's own health at the same
    threshold, read next, is stale too and not younger, unless a heartbeat arrived in between
    (its `last_heartbeat` moved). Active (`GET /sessions/active`): between two reads of
    `GET /sessions` that agree on a session (no change in between), that session is in the
    active list exactly when its status is `active`, with the same `project_id`,
    `machine_id`, `started_at` and `current_task_id`.
    """
    found: list[Finding] = []
    for threshold in _THRESHOLDS:
        exchange = session.call("findStaleSessions", query={"threshold": threshold})
        limit = _DEFAULT_THRESHOLD if threshold is None else threshold
        entries = items_of(exchange)
        problems = []
        for entry in entries:
            label = f"session {entry.get('session_id')!r}"
            seconds = entry.get("seconds_since_heartbeat")
            if entry.get("is_stale") is not True:
                problems.append(f"{label} has is_stale {entry.get('is_stale')!r}")
            if isinstance(seconds, int) and seconds < limit:
                problems.append(f"{label} is {seconds} s since its heartbeat, under {limit} s")
            if entry.get("status") in FINISHED:
                problems.append(
                    f"{label} is {entry.get('status')} (finished sessions are not stale)"
                )
        if problems:
            found.append(
                Finding.from_exchanges(
                    "stale_consistency",
                    f"stale list (threshold {limit}): " + "; ".join(problems[:MAX_REPORTED]),
                    exchange,
                )
            )
            continue
        found += _stale_health(session, exchange, entries[:SAMPLED], threshold, limit)
    found += _active_list(session)
    yield from found


def _stale_health(
    session: ProbeSession,
    listing: Exchange,
    entries: Sequence[Mapping[str, Any]],
    threshold: int | None,
    limit: int,
) -> Iterator[Finding]:
    for entry in entries:
        sid = entry.get("session_id")
        if not isinstance(sid, str):
            continue
        health = session.call(
            "getSessionHealth", path_params={"id": sid}, query={"threshold": threshold}
        )
        body = body_of(health)
        if health.status != 200 or body.get("last_heartbeat") != entry.get("last_heartbeat"):
            continue  # gone, or a heartbeat arrived in between
        seconds, listed = body.get("seconds_since_heartbeat"), entry.get("seconds_since_heartbeat")
        if body.get("is_stale") is not True:
            yield Finding.from_exchanges(
                "stale_consistency",
                f"session {sid!r} is in the stale list (threshold {limit}) but its health at the "
                f"same threshold says is_stale {body.get('is_stale')!r}, with the same "
                "last_heartbeat",
                listing,
                health,
            )
        elif isinstance(seconds, int) and isinstance(listed, int) and seconds < listed - 1:
            yield Finding.from_exchanges(
                "stale_consistency",
                f"session {sid!r}: {listed} s since its heartbeat in the stale list, but only "
                f"{seconds} s in its health read afterwards, with the same last_heartbeat",
                listing,
                health,
            )


def _active_list(session: ProbeSession) -> Iterator[Finding]:
    query = {"limit": LIST_LIMIT}
    before = session.call("listSessions", query=query)
    active = session.call("findActiveSessions")
    after = session.call("listSessions", query=query)
    if active.status != 200 or before.status != 200 or after.status != 200:
        return
    first = {s.get("session_id"): s for s in items_of(before)}
    steady = {
        sid: record
        for sid, record in ((s.get("session_id"), s) for s in items_of(after))
        if isinstance(sid, str) and first.get(sid) == record
    }
    listed = {s.get("session_id"): s for s in items_of(active)}
    problems: list[str] = []
    for sid, record in steady.items():
        summary = listed.get(sid)
        if record.get("status") == "active" and summary is None:
            problems.append(f"{sid!r} is active but not in the active list")
        elif record.get("status") != "active" and summary is not None:
            problems.append(
                f"{sid!r} is in the active list but its status is {record.get('status')!r}"
            )
        elif summary is not None:
            differ = [
                k
                for k in ("project_id", "machine_id", "started_at", "current_task_id")
                if k in summary and summary.get(k) != record.get(k)
            ]
            if differ:
                problems.append(f"{sid!r} differs from its record in the active list: {differ}")
    if problems:
        yield Finding.from_exchanges(
            "stale_consistency",
            "active list: " + "; ".join(problems[:MAX_REPORTED]),
            before,
            active,
            after,
            operation="findActiveSessions",
        )
