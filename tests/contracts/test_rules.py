"""The checks' rules on hand-made exchanges and fake servers: what each one reports, and what it
must leave alone (including APIs whose mocks do not exist yet)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from mockgate.apis.agentlens.hashchain import event_hash as mock_event_hash
from mockgate.contracts.checks.agentlens import (
    _Counts,
    _judge_counters,
    hash_chain,
    js_stringify,
    verify_chain,
)
from mockgate.contracts.checks.auth import auth_required
from mockgate.contracts.checks.filters import filter_match
from mockgate.contracts.checks.paging import page_walk, paging_clamp
from mockgate.contracts.registry import judge
from mockgate.contracts.session import ProbeSession
from mockgate.openapi.catalog import get_api
from mockgate.reports.exchange import Exchange

AGENTLENS = get_api("agentlens")
STATE = get_api("state-tracking")


def _exchange(
    operation: str, body: Any, query: dict[str, Any] | None = None, status: int = 200
) -> Exchange:
    return Exchange(
        operation_id=operation,
        method="GET",
        path="/",
        url="http://test/" + (f"?{urlencode(query)}" if query else ""),
        status=status,
        response_headers={"content-type": "application/json"},
        content=json.dumps(body).encode(),
        query=query or {},
    )


def _timeline_example(name: str) -> dict[str, Any]:
    op = AGENTLENS.operation_by_id("getSessionTimeline")
    return op["responses"]["200"]["content"]["application/json"]["examples"][name]["value"]


# --- the hash chain -------------------------------------------------------------------------


def test_the_spec_verified_chain_recomputes_and_passes() -> None:
    body = _timeline_example("verified-chain")
    verdict = verify_chain(body["events"])
    assert verdict.judgeable
    assert verdict.intact
    assert list(hash_chain(_exchange("getSessionTimeline", body), AGENTLENS)) == []


def test_the_spec_tampered_chain_is_broken_and_false_is_the_right_answer() -> None:
    body = _timeline_example("tampered-chain")
    verdict = verify_chain(body["events"])
    assert verdict.judgeable
    assert not verdict.may_be_valid
    assert "event 1" in verdict.hash_problems[0]
    assert list(hash_chain(_exchange("getSessionTimeline", body), AGENTLENS)) == []
    lying = list(
        hash_chain(_exchange("getSessionTimeline", {**body, "chainValid": True}), AGENTLENS)
    )
    assert len(lying) == 1
    assert "chainValid is true, but the chain is broken" in lying[0]


def test_the_document_placeholder_hashes_are_not_judged() -> None:
    body = _timeline_example("documented")
    assert not verify_chain(body["events"]).judgeable
    exchange = _exchange("getSessionTimeline", {**body, "chainValid": False})
    assert judge(hash_chain, exchange, AGENTLENS) is None  # not applicable, not a pass


def test_a_removed_event_breaks_the_links() -> None:
    body = _timeline_example("verified-chain")
    body = {**body, "events": [body["events"][0], body["events"][2]]}
    verdict = verify_chain(body["events"])
    assert not verdict.hash_problems
    assert verdict.link_problems
    assert list(hash_chain(_exchange("getSessionTimeline", body), AGENTLENS))


def test_chained_must_say_whether_any_event_links() -> None:
    body = {**_timeline_example("verified-chain"), "chained": False}
    (problem,) = hash_chain(_exchange("getSessionTimeline", body), AGENTLENS)
    assert problem.startswith("chained is false")


def test_an_unchained_timeline_may_be_valid_by_its_own_hashes() -> None:
    events = [dict(e) for e in _timeline_example("verified-chain")["events"]]
    for event in events:
        event["prevHash"] = None
        event["hash"] = mock_event_hash(event, None)
    verdict = verify_chain(events)
    assert verdict.unchained
    assert verdict.may_be_valid
    assert not verdict.intact
    events[1]["payload"] = {"edited": True}
    assert not verify_chain(events).may_be_valid


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    scalars: list[Callable[[], Any]] = [
        lambda: rng.choice([0, -0.0, 1, -1, 2**53, 2**53 + 1, 2**64, 10**21, 10**22, 123456789]),
        lambda: rng.choice(
            [
                0.1,
                1.5,
                -2.75,
                1e21,
                1e-7,
                1e-6,
                123e-20,
                5e-324,
                1.7976931348623157e308,
                100.0,
                1234.5678,
                2.5e-5,
                0.000001234,
                1e300,
                float(rng.random()),
            ]
        ),
        lambda: rng.uniform(-1e6, 1e6),
        lambda: "".join(
            rng.choice("ab\"\\\n\t\x01\x1f\x7f é€😀\u2028\u2029<>&'/")
            for _ in range(rng.randint(0, 8))
        ),
        lambda: rng.choice([True, False, None]),
    ]
    if depth > 2 or rng.random() < 0.4:
        return rng.choice(scalars)()
    if rng.random() < 0.5:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = [
        "b",
        "a",
        "10",
        "2",
        "01",
        "-1",
        "1.5",
        "4294967294",
        "4294967295",
        "é",
        "",
        "0",
        "__proto_",
    ]
    return {
        rng.choice(keys) + str(i % 2): _random_json(rng, depth + 1)
        for i in range(rng.randint(0, 5))
    }


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_js_stringify_agrees_with_node() -> None:
    rng = random.Random(4)
    values = [_random_json(rng) for _ in range(400)]
    values += [{"b": 1, "a": 2, "10": 3, "2": 4}, "\ud800", [1e21, 1e-7, -0.0, 0.1 + 0.2]]
    text = json.dumps(values, ensure_ascii=True)
    script = (
        "const v = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(v.map(x => JSON.stringify(x))));"
    )
    result = subprocess.run(
        ["node", "-e", script], input=text, capture_output=True, text=True, check=True
    )
    expected = json.loads(result.stdout)
    mine = [js_stringify(value) for value in json.loads(text)]
    wrong = [(m, e) for m, e in zip(mine, expected, strict=True) if m != e]
    assert not wrong, wrong[:3]


# --- counters ---------------------------------------------------------------------------------


def _counters(events: int, tools: int, errors: int) -> dict[str, int]:
    return {"eventCount": events, "toolCallCount": tools, "errorCount": errors}


@pytest.mark.parametrize(
    ("counters", "whole", "wrong"),
    [
        pytest.param(_counters(10, 3, 1), True, False, id="whole-equal"),
        pytest.param(_counters(11, 3, 1), True, True, id="whole-one-event-too-many"),
        pytest.param(_counters(47, 15, 1), False, False, id="partial-documented-47-of-10"),
        pytest.param(_counters(9, 3, 1), False, True, id="partial-fewer-events-than-shown"),
        pytest.param(_counters(10, 3, 2), True, False, id="whole-error-by-severity-or-type"),
        pytest.param(_counters(10, 3, 3), True, True, id="whole-errors-beyond-any-reading"),
        pytest.param(_counters(10, 3, 0), True, True, id="whole-errors-below-every-reading"),
        pytest.param(_counters(10, 11, 0), False, True, id="tool-calls-exceed-events"),
    ],
)
def test_counters_against_the_timeline(counters: dict[str, int], whole: bool, wrong: bool) -> None:
    # A timeline of 10 events: 3 tool_call; one tool_error of severity error (an error by every
    # reading) and one warn-level tool_error (an error by type only): errors 1 surely, 2 at most.
    counts = _Counts(events=10, tool_calls=3, errors_surely=1, errors_maybe=2)
    assert bool(_judge_counters(counters, counts, whole=whole)) is wrong


# --- filters ------------------------------------------------------------------------------------


def _session(**fields: Any) -> dict[str, Any]:
    return {
        "id": "s1",
        "agentId": "a",
        "status": "completed",
        "tags": ["eu"],
        "startedAt": "2026-02-05T10:00:00.000Z",
        "endedAt": "2026-02-05T11:00:00.000Z",
    } | fields


@pytest.mark.parametrize(
    ("query", "record", "wrong"),
    [
        pytest.param({"status": "completed,error"}, _session(), False, id="status-in-list"),
        pytest.param(
            {"status": "active, error"}, _session(status="error"), False, id="status-trimmed"
        ),
        pytest.param({"status": "active"}, _session(), True, id="status-not-in-list"),
        pytest.param({"status": ""}, _session(), None, id="empty-status-is-no-filter"),
        pytest.param({"tags": "us,eu"}, _session(), False, id="tags-any"),
        pytest.param({"tags": "us"}, _session(), True, id="tags-none"),
        pytest.param({"agentId": "b"}, _session(), True, id="agent"),
        pytest.param({"from": "2026-02-05T10:30:00Z"}, _session(), False, id="from-overlapping"),
        pytest.param({"from": "2026-02-06T00:00:00Z"}, _session(), True, id="from-ended-before"),
        pytest.param(
            {"from": "2026-02-06T00:00:00Z"},
            _session(endedAt=None, status="active"),
            False,
            id="from-still-running",
        ),
        pytest.param({"to": "2026-02-05T09:00:00+00:00"}, _session(), True, id="to-started-after"),
        pytest.param(
            {"to": "2026-02-05T10:00:00.0000001Z"}, _session(), False, id="to-nanoseconds"
        ),
        pytest.param({"to": "yesterday"}, _session(), None, id="to-not-a-date"),
    ],
)
def test_agentlens_filters(
    query: dict[str, Any], record: dict[str, Any], wrong: bool | None
) -> None:
    """``wrong`` None: no filter to judge by (not applicable, neither passed nor failed)."""
    body = {"sessions": [record], "total": 1, "hasMore": False}
    problems = judge(filter_match, _exchange("listSessions", body, query), AGENTLENS)
    assert (problems if problems is None else bool(problems)) is wrong, problems


@pytest.mark.parametrize(
    ("operation", "query", "record", "wrong"),
    [
        pytest.param(
            "listSessions",
            {"project_id": "123"},
            {"session_id": "x", "project_id": "123"},
            False,
            id="sessions-project",
        ),
        pytest.param(
            "listSessions",
            {"machine_id": "m1"},
            {"session_id": "x", "machine_id": "m2"},
            True,
            id="sessions-machine",
        ),
        pytest.param(
            "listSessions",
            {"status": "active"},
            {"session_id": "x"},
            False,
            id="field-absent-not-judged",
        ),
        pytest.param(
            "listTasks",
            {"session_id": "s"},
            {"task_id": "t", "session_id": "other"},
            True,
            id="tasks-session",
        ),
        pytest.param(
            "listTasks",
            {"status": "pending"},
            {"task_id": "t", "status": "pending"},
            False,
            id="tasks-status",
        ),
        pytest.param(
            "listMachines",
            {"hostname": "MacBook"},
            {"machine_id": "m", "hostname": "dev-macbook-1"},
            False,
            id="hostname-partial",
        ),
        pytest.param(
            "listMachines",
            {"status": "online"},
            {"machine_id": "m", "status": "offline"},
            True,
            id="machines-status",
        ),
        pytest.param(
            "findActiveSessions",
            {"project_id": "9"},
            {"session_id": "x", "project_id": "1"},
            True,
            id="active-project",
        ),
    ],
)
def test_state_tracking_filters(
    operation: str, query: dict[str, Any], record: dict[str, Any], wrong: bool
) -> None:
    problems = list(filter_match(_exchange(operation, [record], query), STATE))
    assert bool(problems) is wrong, problems


# --- probes against fake state-tracking servers (bare arrays, offset paging) -------------------

RECORDS = [{"session_id": f"s{i:03}", "status": "active"} for i in range(23)]


def _fake_state_tracking(
    *, out_of_range: str, ignore_offset: bool = False, auth: bool = True
) -> httpx.Client:
    """A tiny state-tracking `GET /sessions`: clamps or rejects (NestJS) out-of-range paging."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/sessions":
            return httpx.Response(404, json={"statusCode": 404})
        if (
            auth
            and request.headers.get("authorization") != "Bearer key"
            and request.headers.get("x-api-key") != "key"
        ):
            return httpx.Response(
                401,
                json={
                    "statusCode": 401,
                    "error": "unauthorized",
                    "message": "Invalid API key",
                    "request_id": "r",
                    "timestamp": "2026-01-19T12:00:00.000Z",
                    "path": "/sessions",
                },
            )
        values = {}
        for name, default, low, high in (("limit", 20, 1, 100), ("offset", 0, 0, None)):
            raw = request.url.params.get(name)
            if raw is None:
                values[name] = default
                continue
            try:
                number = int(raw)
            except ValueError:
                return httpx.Response(400, json={"statusCode": 400, "error": "validation_error"})
            if number < low or (high is not None and number > high):
                if out_of_range == "reject":
                    return httpx.Response(
                        400, json={"statusCode": 400, "error": "validation_error"}
                    )
                number = max(low, number if high is None else min(number, high))
            values[name] = number
        start = 0 if ignore_offset else values["offset"]
        return httpx.Response(200, json=RECORDS[start : start + values["limit"]])

    return httpx.Client(transport=httpx.MockTransport(handle), base_url="http://fake")


def _probe(probe: Callable[[ProbeSession], Any], client: httpx.Client) -> list[Any]:
    session = ProbeSession(STATE, client, credentials=("key",))
    return [f for f in probe(session) if f.operation in ("listSessions", "-")]


@pytest.mark.parametrize("behaviour", ["clamp", "reject"], ids=["clamps", "rejects"])
def test_clamping_and_rejecting_servers_both_pass_paging_probes(behaviour: str) -> None:
    client = _fake_state_tracking(out_of_range=behaviour)
    assert _probe(paging_clamp, client) == []
    assert _probe(page_walk, client) == []


def test_a_server_ignoring_offset_repeats_records_across_pages() -> None:
    findings = _probe(page_walk, _fake_state_tracking(out_of_range="reject", ignore_offset=True))
    assert any("appears on page 1 and again on page 2" in f.message for f in findings), findings


def test_a_state_tracking_server_without_auth_is_caught_with_both_schemes() -> None:
    findings = _probe(auth_required, _fake_state_tracking(out_of_range="reject", auth=False))
    labels = {f.message.split(",")[0] for f in findings}
    assert {
        "called without a credential",
        "called with a wrong bearerAuth credential",
        "called with a wrong apiKeyAuth credential",
    } <= labels
