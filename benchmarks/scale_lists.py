"""How filtered list pages scale with the number of stored sessions (in-process, no HTTP).

Builds an AgentLens and a state-tracking mock, loads a state of N sessions (the demo's records
cloned with fresh ids and spread start times, plus a timeline or a task per session) the way
``PUT /__mockgate/state`` does (``load_json``), and times the list handlers called directly,
at 1,000 and at 100,000 sessions. Prints the time per request of each query at both sizes and
the ratio; the goal is a ratio under 2 (indexes, not scans). Also the first list after the load
(it builds the indexes, once) and one session write (which keeps them current).

    python benchmarks/scale_lists.py                 # 1,000 vs 100,000
    python benchmarks/scale_lists.py --sizes 1000 20000 --repeat 200 --api agentlens
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from mockgate.apis.agentlens import handlers as agentlens
from mockgate.apis.context import MockContext, MockOptions
from mockgate.apis.state_tracking import handlers as tracking
from mockgate.core.clock import Clock
from mockgate.core.store import Snapshot, load_json
from mockgate.core.timestamps import format_timestamp, parse_timestamp
from mockgate.mockserver.app import context_of, create_app

START = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
# The clock during the measurement: past the demo's start, so demo sessions have grown.
LATER = START + timedelta(minutes=30)

Query = Callable[[MockContext], Awaitable[Any]]

AGENTLENS_QUERIES: dict[str, Query] = {
    "agentlens ?limit=20": lambda ctx: agentlens.list_sessions(ctx, limit=20),
    "agentlens ?status=error&limit=20": lambda ctx: agentlens.list_sessions(
        ctx, status="error", limit=20
    ),
    "agentlens ?status=active,completed&offset=100": lambda ctx: agentlens.list_sessions(
        ctx, status="active,completed", limit=20, offset=100
    ),
    "agentlens ?agentId=support-bot&status=completed": lambda ctx: agentlens.list_sessions(
        ctx, agent_id="support-bot", status="completed", limit=20
    ),
    "agentlens ?from=...&to=... (1 day)": lambda ctx: agentlens.list_sessions(
        ctx, from_="2026-01-10T00:00:00Z", to="2026-01-11T00:00:00Z", limit=20
    ),
    "agentlens ?tags=eu&limit=20": lambda ctx: agentlens.list_sessions(ctx, tags="eu", limit=20),
}
TRACKING_QUERIES: dict[str, Query] = {
    "state-tracking /sessions?limit=20": lambda ctx: tracking.list_sessions(ctx, limit=20),
    "state-tracking /sessions?status=failed": lambda ctx: tracking.list_sessions(
        ctx, status="failed", limit=20
    ),
    "state-tracking /sessions?project_id=123&offset=40": lambda ctx: tracking.list_sessions(
        ctx, project_id="123", limit=20, offset=40
    ),
    "state-tracking /tasks?status=pending": lambda ctx: tracking.list_tasks(
        ctx, status="pending", limit=20
    ),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(1_000, 100_000))
    parser.add_argument("--repeat", type=int, default=100, help="requests per query and size")
    parser.add_argument("--api", choices=("agentlens", "state-tracking"), help="only this one")
    args = parser.parse_args(argv)
    small, large = args.sizes
    rows = []
    for api, clone, queries in (
        ("agentlens", _agentlens_state, AGENTLENS_QUERIES),
        ("state-tracking", _tracking_state, TRACKING_QUERIES),
    ):
        if args.api not in (None, api):
            continue
        timings = {size: _measure(api, clone, size, queries, args.repeat) for size in args.sizes}
        rows += [(name, timings[small][name], timings[large][name]) for name in timings[small]]
    width = max(len(name) for name, _, _ in rows)
    print(f"{'query':<{width}}  {small:>9,}  {large:>9,}  ratio")
    for name, fast, slow in rows:
        print(f"{name:<{width}}  {fast * 1e6:7.0f}µs  {slow * 1e6:7.0f}µs  {slow / fast:5.2f}")


def _measure(
    api: str, clone: Callable[[Snapshot, int], Snapshot], size: int, queries: dict, repeat: int
) -> dict[str, float]:
    """Seconds per request of each query (the median of ``repeat`` requests)."""
    clock = Clock(START, frozen=True)
    ctx = context_of(create_app(api, MockOptions(rate_limit="off"), clock=clock))
    load_json(ctx.store, json.dumps(clone(ctx.store.snapshot(), size)))
    clock.set(LATER)
    return asyncio.run(_time_queries(ctx, api, queries, repeat))


async def _time_queries(ctx: MockContext, api: str, queries: dict, repeat: int) -> dict[str, float]:
    first = next(iter(queries.values()))
    started = time.perf_counter()
    await first(ctx)  # the first request after a load builds the indexes (once)
    timings = {f"{api}: first list after the load": time.perf_counter() - started}
    for name, query in queries.items():
        await query(ctx)
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            await query(ctx)
            samples.append(time.perf_counter() - started)
        timings[name] = sorted(samples)[len(samples) // 2]
    # A write keeps every index of the collection current (all built by now): one session put
    # back unchanged.
    samples = []
    for record in ctx.store.values("sessions")[:repeat]:
        key = record.get("id") or record["session_id"]
        started = time.perf_counter()
        ctx.store.put("sessions", key, dict(record))
        samples.append(time.perf_counter() - started)
    timings[f"{api}: one session put"] = sorted(samples)[len(samples) // 2]
    return timings


def _agentlens_state(demo: Snapshot, size: int) -> Snapshot:
    """The demo state plus clones of its finished sessions up to ``size`` sessions, each with a
    timeline; the clones start one minute apart going back from the demo's start."""
    sessions, timelines = dict(demo["sessions"]), dict(demo["timelines"])
    finished = [s for s in demo["sessions"].values() if s["status"] != "active"]
    for n in range(size - len(sessions)):
        template = finished[n % len(finished)]
        sid = f"sess_clone{n:08d}"
        started = parse_timestamp(template["startedAt"]) - timedelta(minutes=n)
        sessions[sid] = {**template, "id": sid, "startedAt": format_timestamp(started)}
        # The first event only: the clone carries its counters, and memory stays modest.
        first = demo["timelines"][template["id"]]["events"][0]
        timelines[sid] = {"sessionId": sid, "events": [{**first, "sessionId": sid}]}
    return {**demo, "sessions": sessions, "timelines": timelines}


def _tracking_state(demo: Snapshot, size: int) -> Snapshot:
    """The demo state plus clones of its finished sessions up to ``size`` sessions, one pending
    task each; the clones start one minute apart going back from the demo's start."""
    sessions, tasks = dict(demo["sessions"]), dict(demo["tasks"])
    finished = [s for s in demo["sessions"].values() if s["status"] not in ("active", "paused")]
    task = next(iter(demo["tasks"].values()))
    for n in range(size - len(sessions)):
        template = finished[n % len(finished)]
        sid, tid = f"00000000-0000-4000-8000-{n:012d}", f"00000000-0000-4000-9000-{n:012d}"
        started = format_timestamp(parse_timestamp(template["started_at"]) - timedelta(minutes=n))
        sessions[sid] = {**template, "session_id": sid, "started_at": started}
        tasks[tid] = {
            **task,
            "task_id": tid,
            "session_id": sid,
            "status": "pending",
            "created_at": started,
            "started_at": None,
            "completed_at": None,
        }
    return {**demo, "sessions": sessions, "tasks": tasks}


if __name__ == "__main__":
    main()
