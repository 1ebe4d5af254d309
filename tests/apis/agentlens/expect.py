"""What the AgentLens tests expect of the mock, worked out without mockgate's own code.

The HTTP, SDK and growth tests check the mock's answers against these re-statements of the rules
(the spec's and the document's) rather than against the functions that produced them, so a bug
shared by the mock and its helpers cannot hide. Hashes are recomputed by Node.js (the ``node``
fixture), never by ``mockgate.apis.agentlens.hashchain``.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

START = datetime(2026, 1, 19, 12, tzinfo=UTC)
"""Where the mocks' frozen clocks stand (the ``mock_client`` fixture's, and ours)."""
AUTH = {"Authorization": "Bearer als_mockgate_dev_key"}
TAMPERED_TAG = "integrity-test"
SDK_COUNTERS = ("llmCallCount", "totalInputTokens", "totalOutputTokens")


def instant(timestamp: str) -> datetime:
    """An ISO 8601 timestamp as an aware datetime (``Z`` or an offset)."""
    moment = datetime.fromisoformat(timestamp)
    assert moment.tzinfo is not None, f"{timestamp} has no zone"
    return moment


def recount(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The session counters the spec describes, counted from a timeline."""
    responses = [e["payload"] for e in events if e["eventType"] == "llm_response"]
    costs = [e["payload"]["costUsd"] for e in events if e["eventType"] == "cost_tracked"]
    return {
        "eventCount": len(events),
        "toolCallCount": sum(e["eventType"] == "tool_call" for e in events),
        "errorCount": sum(
            e["severity"] in ("error", "critical") or e["eventType"] == "tool_error" for e in events
        ),
        "llmCallCount": sum(e["eventType"] == "llm_call" for e in events),
        "totalInputTokens": sum(p["usage"]["inputTokens"] for p in responses),
        "totalOutputTokens": sum(p["usage"]["outputTokens"] for p in responses),
        "totalCostUsd": round(sum(costs), 6),
    }


def counters_of(session: Mapping[str, Any]) -> dict[str, Any]:
    return {key: session[key] for key in recount([])}


def assert_in_timeline_order(events: Sequence[Mapping[str, Any]]) -> None:
    keys = [(instant(e["timestamp"]), e["id"]) for e in events]
    assert all(a < b for a, b in itertools.pairwise(keys)), "not ascending by (timestamp, id)"


def assert_linked(events: Sequence[Mapping[str, Any]]) -> None:
    """Every event has a ``prevHash`` key: ``None`` first, then the previous event's ``hash``."""
    assert all("prevHash" in e and "hash" in e for e in events)
    previous = [None, *(e["hash"] for e in events[:-1])]
    assert [e["prevHash"] for e in events] == previous


def mismatched_hashes(node: Any, events: Sequence[Mapping[str, Any]]) -> list[int]:
    """Indices of the events whose ``hash`` Node.js does not recompute from their fields."""
    return [i for i, event in enumerate(events) if node.event_hash(dict(event)) != event["hash"]]


def matches(session: Mapping[str, Any], query: Mapping[str, str]) -> bool:
    """Whether ``session`` passes the list filters of ``query`` (the spec's rules)."""
    if "agentId" in query and session["agentId"] != query["agentId"]:
        return False
    if "status" in query and session["status"] not in query["status"].split(","):
        return False
    started = instant(session["startedAt"])
    if "from" in query and started < instant(query["from"]):
        return False
    if "to" in query and started > instant(query["to"]):
        return False
    return "tags" not in query or bool(set(query["tags"].split(",")) & set(session["tags"]))


def _telemetry_event(
    n: int, at: str, event_type: str, payload: dict[str, Any], digest: str
) -> dict[str, Any]:
    return {
        "id": f"01KF3M0000000000000000T0A{n}",
        "timestamp": at,
        "sessionId": "sess_otlp01",
        "agentId": "otel-agent",
        "eventType": event_type,
        "severity": "info",
        "payload": payload,
        "metadata": {"source": "otlp"},
        "prevHash": None,
        "hash": digest,
    }


# An OTLP-ingested session, as the real server stores one: every prevHash null, each hash the
# event's own (computed by Node.js with the real server's formula). Still active: no endedAt key.
TELEMETRY_EVENTS = (
    _telemetry_event(
        1,
        "2026-01-19T11:58:00.000Z",
        "llm_call",
        {
            "callId": "l1",
            "provider": "openai",
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Summarise the alerts"}],
        },
        "a3065b8ee1c3096315b5a24ed67ded1ce078da73c3ca03a440ce02cfd5ca04f4",
    ),
    _telemetry_event(
        2,
        "2026-01-19T11:58:01.250Z",
        "llm_response",
        {
            "callId": "l1",
            "provider": "openai",
            "model": "gpt-4o",
            "completion": "Two alerts fired.",
            "finishReason": "stop",
            "usage": {"inputTokens": 120, "outputTokens": 18, "totalTokens": 138},
            "costUsd": 0.00048,
            "latencyMs": 1250,
        },
        "6bd8231f61d46727ee8868c4f3a97b488f929b99711b8b430692149fac191d76",
    ),
    _telemetry_event(
        3,
        "2026-01-19T11:58:02.000Z",
        "tool_call",
        {"toolName": "page_oncall", "callId": "c1", "arguments": {"team": "sre"}},
        "461e9a0ba10c88e96d94b0544e508dbde2005df829089297bec8639aead587a2",
    ),
)
TELEMETRY_SESSION = {
    "id": "sess_otlp01",
    "agentId": "otel-agent",
    "startedAt": "2026-01-19T11:58:00.000Z",
    "status": "active",
    "eventCount": 3,
    "toolCallCount": 1,
    "errorCount": 0,
    "totalCostUsd": 0,
    "tags": ["otlp"],
    "llmCallCount": 1,
    "totalInputTokens": 120,
    "totalOutputTokens": 18,
}


def telemetry_state() -> dict[str, Any]:
    """A mock state (``PUT /__mockgate/state``, or a dataset file) of the OTLP session alone."""
    sid = TELEMETRY_SESSION["id"]
    return copy.deepcopy(
        {
            "sessions": {sid: TELEMETRY_SESSION},
            "timelines": {sid: {"sessionId": sid, "events": list(TELEMETRY_EVENTS)}},
        }
    )
