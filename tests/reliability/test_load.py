"""A bounded load test on loopback: ~50 concurrent clients send a few thousand mixed requests
(reads, creates, updates, heartbeats, task transitions, races for the same docker slot, hash-
chained ingest into the same AgentLens session) to the four mocks served by uvicorn, then read
everything back.

It asserts what a frontend or agent under load relies on: no 5xx and no broken exchange; every
acknowledged (2xx) write visible afterwards; exactly one winner per contested slot, and the
machine and sessions agreeing about it; a single valid hash chain holding every acknowledged
event once, each client's events in the order it sent them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.reliability.conftest import fasting_token
from tests.reliability.ledger import Ledger

# Four mocks served by a `mockgate serve` process (the `served` fixture).
pytestmark = pytest.mark.slow

CLIENTS = 50
ROUNDS = 4  # contested slots: one machine each, every client racing for its slot 1
TASKS = 2  # per client: create, start, complete
BEATS = 3  # heartbeats per client, on the shared session and on the shared machine
UPDATES = 3  # per client, of its own session and of the shared one
BATCHES = 6  # ingest batches per client into the shared AgentLens session
READS = 2  # rounds of reads per client, of each API
TIMEOUT = 120  # seconds for the whole run: only a hang exceeds it

# Idle connections are dropped before uvicorn's keep-alive timeout (5 s) closes them, so a
# request never races the server closing the connection it reuses (a browser would retry it).
LIMITS = httpx.Limits(keepalive_expiry=2)
PROJECT = "123"  # a project of the state-tracking datasets
HOME = "load-home"
SHARED_SESSION_METADATA = {"owner": "setup"}
AGENTLENS_SESSION = "sess_load_shared"
ST = {"X-API-Key": "st_mockgate_dev_key"}
AL = {"Authorization": "Bearer als_mockgate_dev_key"}


@dataclass
class Run:
    """What the clients were told: acknowledged writes, by client."""

    seeded_sessions: frozenset[str] = frozenset()
    shared_session: str = ""
    sessions: dict[int, str] = field(default_factory=dict)  # client -> its own session
    contenders: dict[int, dict[int, str]] = field(default_factory=dict)  # round -> client -> sid
    winners: dict[int, list[str]] = field(default_factory=dict)  # round -> sessions given 200
    tasks: dict[str, str] = field(default_factory=dict)  # task -> last acknowledged status
    own_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)  # last acknowledged
    shared_metadata: list[dict[str, Any]] = field(default_factory=list)  # every acknowledged
    events: dict[int, list[str]] = field(default_factory=dict)  # client -> event ids, in order


@asynccontextmanager
async def clients(served: dict[str, str], token: str) -> AsyncIterator[dict[str, Any]]:
    """One httpx client per API (its own connections), with that API's credentials."""
    auth = {"agentlens": AL, "state-tracking": ST, "fasting": {"Authorization": f"Bearer {token}"}}
    async with AsyncExitStack() as stack:
        made = {}
        for api, url in served.items():
            client = httpx.AsyncClient(
                base_url=url, headers=auth.get(api, {}), timeout=30, limits=LIMITS
            )
            made[api] = await stack.enter_async_context(client)
        yield made


async def setup(served: dict[str, str], ledger: Ledger, run: Run) -> str:
    async with httpx.AsyncClient(base_url=served["fasting"]) as fasting:
        token = await fasting_token(fasting)
    async with clients(served, token) as c:
        st = c["state-tracking"]
        state = (await st.get("/__mockgate/state")).json()
        run.seeded_sessions = frozenset(state["sessions"])
        for machine_id in (HOME, *(f"load-race-{r}" for r in range(ROUNDS))):
            body = {"machine_id": machine_id, "hostname": f"{machine_id}.local"}
            body["docker_slots"] = [1, 2]
            reply = await ledger.send(st, "setup", "POST", "/machines", json=body)
            assert reply is not None, "setup failed"
            assert reply.status_code == 201, reply.text
        body = {"project_id": PROJECT, "machine_id": HOME, "metadata": SHARED_SESSION_METADATA}
        reply = await ledger.send(st, "setup", "POST", "/sessions", json=body)
        assert reply is not None, "setup failed"
        assert reply.status_code == 201, reply.text
        run.shared_session = reply.json()["session_id"]
    return token


async def client_script(
    n: int, c: dict[str, httpx.AsyncClient], ledger: Ledger, run: Run, barrier: asyncio.Barrier
) -> None:
    st, al = c["state-tracking"], c["agentlens"]
    own = await _create_session(st, ledger)
    if own is not None:
        run.sessions[n] = own
    for r in range(ROUNDS):
        contender = await _create_session(st, ledger)
        await barrier.wait()  # every client asks for the slot at once
        if contender is None:
            continue
        run.contenders.setdefault(r, {})[n] = contender
        body = {"session_id": contender, "docker_slot": 1}
        url = f"/machines/load-race-{r}/assign-session"
        reply = await ledger.send(st, "assign", "POST", url, json=body)
        if reply is not None and reply.status_code == 200:
            run.winners.setdefault(r, []).append(contender)
    for j in range(max(TASKS, BEATS, UPDATES, BATCHES, READS)):
        if j < TASKS and own is not None:
            await _task(st, ledger, run, own, j)
        if j < BEATS:
            await ledger.send(st, "heartbeat", "POST", f"/sessions/{run.shared_session}/heartbeat")
            await ledger.send(st, "heartbeat", "POST", f"/machines/{HOME}/heartbeat")
        if j < UPDATES:
            await _updates(st, ledger, run, own, n, j)
        if j < BATCHES:
            await _ingest(al, ledger, run, n, j)
        if j < READS:
            await _reads(c, ledger, own)


async def _create_session(st: httpx.AsyncClient, ledger: Ledger) -> str | None:
    body = {"project_id": PROJECT, "machine_id": HOME}
    reply = await ledger.send(st, "create-session", "POST", "/sessions", json=body)
    return reply.json()["session_id"] if reply is not None and reply.status_code == 201 else None


async def _task(st: httpx.AsyncClient, ledger: Ledger, run: Run, session: str, j: int) -> None:
    body = {"session_id": session, "project_id": PROJECT, "github_issue_id": str(j)}
    reply = await ledger.send(st, "create-task", "POST", "/tasks", json=body)
    if reply is None or reply.status_code != 201:
        return
    task = reply.json()["task_id"]
    run.tasks[task] = "pending"
    for step, status in (("start", "in_progress"), ("complete", "completed")):
        reply = await ledger.send(st, f"{step}-task", "POST", f"/tasks/{task}/{step}")
        if reply is None or reply.status_code != 200:
            return
        run.tasks[task] = status


async def _updates(
    st: httpx.AsyncClient, ledger: Ledger, run: Run, own: str | None, n: int, j: int
) -> None:
    metadata = {"client": n, "update": j}
    if own is not None:
        url = f"/sessions/{own}"
        reply = await ledger.send(st, "update", "PUT", url, json={"metadata": metadata})
        if reply is not None and reply.status_code == 200:
            run.own_metadata[own] = metadata
    url = f"/sessions/{run.shared_session}"
    reply = await ledger.send(st, "update-shared", "PUT", url, json={"metadata": metadata})
    if reply is not None and reply.status_code == 200:
        run.shared_metadata.append(metadata)


async def _ingest(al: httpx.AsyncClient, ledger: Ledger, run: Run, n: int, j: int) -> None:
    events = [
        {
            "sessionId": AGENTLENS_SESSION,
            "agentId": "load-agent",
            "eventType": "custom",
            "payload": {"type": "checkpoint", "data": {"client": n, "batch": j, "item": item}},
        }
        for item in range(2)
    ]
    reply = await ledger.send(al, "ingest", "POST", "/api/events", json={"events": events})
    if reply is not None and reply.status_code == 201:
        run.events.setdefault(n, []).extend(e["id"] for e in reply.json()["events"])


async def _reads(c: dict[str, httpx.AsyncClient], ledger: Ledger, own: str | None) -> None:
    st = c["state-tracking"]
    await ledger.send(st, "read", "GET", "/sessions", params={"limit": 20})
    await ledger.send(st, "read", "GET", "/machines/available")
    if own is not None:
        await ledger.send(st, "read", "GET", f"/sessions/{own}")
    await ledger.send(c["agentlens"], "read", "GET", "/api/sessions", params={"limit": 10})
    url = f"/api/sessions/{AGENTLENS_SESSION}/timeline"
    reply = await ledger.send(c["agentlens"], "read-timeline", "GET", url)
    if reply is not None and reply.status_code not in (200, 404):  # 404 before the first ingest
        ledger.server_errors.append(f"timeline read: {reply.status_code} {reply.text[:200]}")
    await ledger.send(c["fasting"], "read", "GET", "/api/sessions", params={"pageSize": 5})
    await ledger.send(c["piorchestrator"], "read", "GET", "/api/v1/sessions", params={"limit": 5})


async def storm(served: dict[str, str]) -> tuple[Ledger, Run]:
    ledger, run = Ledger(), Run()
    token = await setup(served, ledger, run)
    barrier = asyncio.Barrier(CLIENTS)
    async with AsyncExitStack() as stack:
        sets = [await stack.enter_async_context(clients(served, token)) for _ in range(CLIENTS)]
        scripts = [client_script(n, c, ledger, run, barrier) for n, c in enumerate(sets)]
        await asyncio.wait_for(asyncio.gather(*scripts), timeout=TIMEOUT)
    return ledger, run


@pytest.fixture(scope="module")
def outcome(served) -> tuple[Ledger, Run]:
    return asyncio.run(storm(served))


def test_no_server_error_and_no_broken_exchange(outcome):
    ledger, _ = outcome
    assert ledger.total > 2000, ledger.summary()
    assert not ledger.broken, f"{len(ledger.broken)} broken exchange(s):\n" + "\n".join(
        ledger.broken[:20]
    )
    assert not ledger.server_errors, (
        f"{len(ledger.server_errors)} server error(s) in {ledger.total} requests:\n"
        + "\n".join(ledger.server_errors[:20])
    )


def test_every_uncontested_write_is_acknowledged(outcome):
    """Nothing here conflicts with anything else: each of these must succeed."""
    ledger, _ = outcome
    expected = {
        ("create-session", 201): CLIENTS * (1 + ROUNDS),
        ("create-task", 201): CLIENTS * TASKS,
        ("start-task", 200): CLIENTS * TASKS,
        ("complete-task", 200): CLIENTS * TASKS,
        ("heartbeat", 200): CLIENTS * BEATS * 2,
        ("update", 200): CLIENTS * UPDATES,
        ("update-shared", 200): CLIENTS * UPDATES,
        ("ingest", 201): CLIENTS * BATCHES,
    }
    seen = {key: ledger.count(*key) for key in expected}
    assert seen == expected, ledger.summary()


def test_exactly_one_client_wins_each_contested_slot(served, outcome):
    ledger, run = outcome
    assert ledger.count("assign", 200) + ledger.count("assign", 409) == CLIENTS * ROUNDS, (
        ledger.summary()
    )
    state = _state(served["state-tracking"])
    for r in range(ROUNDS):
        winners = run.winners.get(r, [])
        assert len(winners) == 1, f"round {r}: {len(winners)} requests got the slot: {winners}"
        (winner,) = winners
        machine = state["machines"][f"load-race-{r}"]
        assert machine["assigned_sessions"] == {"1": winner, "2": None}, machine
        for sid in run.contenders[r].values():
            session = state["sessions"][sid]
            placed = (session["machine_id"], session["docker_slot"])
            expected = (f"load-race-{r}", 1) if sid == winner else (HOME, None)
            assert placed == expected, f"round {r}: session {sid} is at {placed}, not {expected}"


def test_every_acknowledged_write_is_visible_afterwards(served, outcome):
    _, run = outcome
    state = _state(served["state-tracking"])
    sessions, tasks = state["sessions"], state["tasks"]
    created = {run.shared_session, *run.sessions.values()}
    created |= {sid for by_client in run.contenders.values() for sid in by_client.values()}
    assert created <= sessions.keys(), f"lost sessions: {sorted(created - sessions.keys())}"
    unknown = sessions.keys() - created - run.seeded_sessions
    assert not unknown, f"sessions nobody was told about: {sorted(unknown)}"
    lost = {t: s for t, s in run.tasks.items() if t not in tasks or tasks[t]["status"] != s}
    assert not lost, f"tasks whose acknowledged status is not stored: {lost}"
    stale = {
        sid: (sessions[sid]["metadata"], metadata)
        for sid, metadata in run.own_metadata.items()
        if sessions[sid]["metadata"] != metadata
    }
    assert not stale, f"sessions whose last acknowledged update was lost: {stale}"
    shared = sessions[run.shared_session]["metadata"]
    assert shared in run.shared_metadata, f"the shared session holds {shared}, never written"


def test_concurrent_ingest_keeps_one_valid_chain_with_every_event(served, outcome):
    _, run = outcome
    with httpx.Client(base_url=served["agentlens"], headers=AL) as client:
        timeline = client.get(f"/api/sessions/{AGENTLENS_SESSION}/timeline").json()
        session = client.get(f"/api/sessions/{AGENTLENS_SESSION}").json()
    events = timeline["events"]
    ids = [event["id"] for event in events]
    acknowledged = [event for by_client in run.events.values() for event in by_client]
    assert timeline["chainValid"] is True, "the hash chain is broken after concurrent ingest"
    assert len(ids) == len(set(ids)), "an event is in the timeline twice"
    assert sorted(ids) == sorted(acknowledged), (
        f"{len(set(acknowledged) - set(ids))} acknowledged event(s) lost, "
        f"{len(set(ids) - set(acknowledged))} unknown event(s) in the timeline"
    )
    for before, after in itertools.pairwise(events):
        assert after["prevHash"] == before["hash"], f"{after['id']} does not link to {before['id']}"
    position = {event_id: index for index, event_id in enumerate(ids)}
    for n, sent in run.events.items():
        assert [position[e] for e in sent] == sorted(position[e] for e in sent), (
            f"client {n}'s events are not in the order it sent them"
        )
    assert session["eventCount"] == len(acknowledged), session


def _state(url: str) -> dict[str, Any]:
    with httpx.Client(base_url=url) as client:
        response = client.get("/__mockgate/state")
        assert response.status_code == 200, response.text
        state: dict[str, Any] = response.json()
        return state
