"""Seed data for the AgentLens mock: generated sessions, and the document's own examples.

Both return ``{"sessions": [Session, ...], "events": {session_id: [TimelineEvent, ...]}}`` with
sessions and events exactly as the API returns them (``specs/agentlens.yaml``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from faker import Faker

from mockgate.apis.agentlens.hashchain import link
from mockgate.apis.agentlens.sessions import ingest
from mockgate.apis.agentlens.ulid import UlidFactory, encode
from mockgate.core.clock import ID_ANCHOR
from mockgate.core.resources import fixtures_dir
from mockgate.core.timestamps import format_timestamp, parse_timestamp, to_millis

__all__ = [
    "STEP_KINDS",
    "TAMPERED_TAG",
    "Draft",
    "docs_dataset",
    "ended",
    "generate",
    "pick_step",
    "step",
]

TAMPERED_TAG = "integrity-test"
"""Carried by the one generated session whose chain is broken (see ``generate``)."""

_AGENTS = (
    ("support-bot", "Support Bot"),
    ("code-reviewer", "Code Reviewer"),
    ("research-assistant", "Research Assistant"),
    ("billing-agent", "Billing Agent"),
    ("data-pipeline", "Data Pipeline Agent"),
    ("ticket-triage", "Ticket Triage"),
    ("sales-copilot", "Sales Copilot"),
    ("ops-runbook", "Ops Runbook"),
    ("docs-writer", "Docs Writer"),
    ("qa-tester", "QA Tester"),
)
_TAGS = ("production", "staging", "eu", "us", "batch", "interactive", "experiment", "priority")
# (provider, model, USD per million input tokens, per million output tokens)
_MODELS = (
    ("openai", "gpt-4o", 2.5, 10.0),
    ("openai", "gpt-4o-mini", 0.15, 0.6),
    ("anthropic", "claude-sonnet-4", 3.0, 15.0),
    ("anthropic", "claude-3-5-haiku", 0.8, 4.0),
    ("google", "gemini-1.5-pro", 1.25, 5.0),
)
_TOOL_ERRORS = (
    ("Timeout after 30000ms", "ETIMEDOUT"),
    ("Rate limit exceeded", "RATE_LIMITED"),
    ("Permission denied", "EACCES"),
    ("Connection refused", "ECONNREFUSED"),
)
# Steps an agent takes, with how many events each emits and how often agents take it.
_STEP_SIZES = {"tool": 2, "llm": 3, "approval": 2, "custom": 1, "alert": 1}
_STEP_WEIGHTS = {"tool": 45, "llm": 35, "approval": 4, "custom": 11, "alert": 5}
_MAX_EVENTS = 60
_STATUSES = ("active", "completed", "error")

Draft = tuple[str, str, dict[str, Any], int]
"""An event before it is placed in time: eventType, severity, payload, ms since the previous one."""

STEP_KINDS = tuple(_STEP_SIZES)
"""The steps an agent takes (see ``step``)."""


def generate(seed: int, now: datetime, *, sessions: int = 40) -> dict[str, Any]:
    """``sessions`` realistic sessions with their timelines, fully determined by ``(seed, now)``.

    Randomness comes from one ``random.Random(seed)`` and one ``Faker`` seeded with ``seed``,
    never from the global generators. What comes out:

    - 5-8 agents, one of which never sends an ``agentName`` (the field is optional);
    - statuses ``completed`` (most), ``error`` and ``active`` (last event at most 90 s before
      ``now``); the first sessions drawn give every agent and every status a turn;
    - 3-60 events per session, starting with ``session_started`` and, once ended, finishing with
      ``session_ended`` (``reason: "error"`` for ``error`` sessions, whose last tool call fails);
    - ``tool_call`` answered by ``tool_response`` or (sometimes) ``tool_error`` with the same
      ``callId``; ``llm_call`` / ``llm_response`` (with ``usage`` tokens) / ``cost_tracked``;
      now and then an approval, an alert or a custom checkpoint;
    - timestamps strictly increasing within a session, in whole milliseconds, never after ``now``;
    - ids (``sess_`` + ULID, event ULIDs) that depend on ``seed`` alone: their time parts are
      the records' offsets from ``now`` added to ``ID_ANCHOR``, so a restart at another instant
      gives the same ids (and, at ``ID_ANCHOR``, ids telling the records' own times).

    The events are put through ``sessions.ingest`` (one batch per session), so hashes, counters,
    status and tags follow exactly the rules the mock applies to ingested events.

    Exactly one session is tampered with, for ``chainValid: false``: the one tagged
    ``TAMPERED_TAG`` (``integrity-test``, chosen by the seed), whose first ``tool_call`` had its
    first ``payload.arguments`` value edited after hashing (the spec's ``tampered-chain``
    scenario). Its counters are untouched: the edit changes no counted field.
    """
    if sessions < 1:
        raise ValueError(f"sessions must be at least 1, not {sessions}")
    if now.tzinfo is None:
        raise ValueError("now is a naive datetime: pass an aware one (e.g. UTC)")
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    end = now - timedelta(microseconds=now.microsecond % 1000)  # whole milliseconds, <= now
    agents = _pick_agents(rng)
    tampered = rng.randrange(sessions)

    found: list[dict[str, Any]] = []
    timelines: dict[str, list[dict[str, Any]]] = {}
    for index in range(sessions):
        # The first sessions give every agent and every status a turn, so any dataset of a few
        # sessions exercises them all; the rest are drawn at random.
        agent_id, agent_name = agents[index] if index < len(agents) else rng.choice(agents)
        status = (
            _STATUSES[index]
            if index < len(_STATUSES)
            else rng.choices(_STATUSES, weights=(15, 65, 20))[0]
        )
        tags = sorted(rng.sample(_TAGS, rng.randint(0, 3)))
        if index == tampered:
            tags.append(TAMPERED_TAG)
        drafts = _timeline(rng, fake, status=status, agent_name=agent_name, tags=tags)
        last = (
            end - timedelta(milliseconds=rng.randint(0, 90_000))
            if status == "active"
            else end - timedelta(milliseconds=rng.randint(5 * 60_000, 21 * 86_400_000))
        )
        session, timeline = _record(rng, drafts, agent_id=agent_id, last=last, now=end)
        if index == tampered:
            _tamper(fake, timeline)
        found.append(session)
        timelines[session["id"]] = timeline

    found.sort(key=lambda s: (parse_timestamp(s["startedAt"]), s["id"]), reverse=True)
    return {"sessions": found, "events": {s["id"]: timelines[s["id"]] for s in found}}


def docs_dataset() -> dict[str, Any]:
    """The document's example records: session ``sess_01HXYZ`` and its two-event timeline.

    Read from ``fixtures/doc-examples/agentlens.json`` (the document's examples, transcribed
    verbatim), so there is one copy of them. Everything is kept as written, placeholder event ids
    (``01H001...``) and the session's counters included, except ``hash``/``prevHash``: the
    document's ``abc123...`` placeholders are replaced by the real chain's hashes, so that
    ``chainValid`` is ``true`` as the document says. The counters describe 47 events while the
    document shows 2; they stay as written (the document is the contract's reference), so these
    records do not satisfy ``counters == session_counters(timeline)``.
    """
    path = fixtures_dir() / "doc-examples" / "agentlens.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    examples = {example["id"]: example["body"] for example in document["examples"]}
    session = examples["get-session-200"]
    events = link(examples["get-session-timeline-200"]["events"])
    return {"sessions": [session], "events": {session["id"]: events}}


def _pick_agents(rng: random.Random) -> list[tuple[str, str | None]]:
    chosen = rng.sample(_AGENTS, rng.randint(5, 8))
    # One agent never names itself: agentName is optional in the contract, so show it.
    agents: list[tuple[str, str | None]] = list(chosen[:-1])
    agents.append((chosen[-1][0], None))
    return agents


def _timeline(
    rng: random.Random, fake: Faker, *, status: str, agent_name: str | None, tags: list[str]
) -> list[Draft]:
    """The session's events as drafts: everything but ids, timestamps and hashes."""
    finishes = status != "active"
    budget = rng.randint(4 if finishes else 3, _MAX_EVENTS) - 1 - finishes  # minus start, end
    steps = _steps(rng, budget)
    failing = max(i for i, kind in enumerate(steps) if kind == "tool") if status == "error" else -1

    started: dict[str, Any] = {}
    if agent_name is not None:
        started["agentName"] = agent_name
    started["agentVersion"] = f"{rng.randint(0, 3)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}"
    started["tags"] = tags
    drafts: list[Draft] = [("session_started", "info", started, 0)]
    for i, kind in enumerate(steps):
        fails = kind == "tool" and (i == failing or (status != "error" and rng.random() < 0.06))
        drafts += step(rng, fake, kind, fails=fails)
    if finishes:
        tool_calls = sum(d[0] == "tool_call" for d in drafts)
        elapsed_ms = sum(d[3] for d in drafts[1:])
        drafts.append(ended(rng, fake, status=status, tool_calls=tool_calls, elapsed_ms=elapsed_ms))
    return drafts


def step(rng: random.Random, fake: Faker, kind: str, *, fails: bool = False) -> list[Draft]:
    """The events of one step of ``kind`` (one of ``STEP_KINDS``); ``fails``: a tool call fails.

    Randomness comes from ``rng`` and ``fake`` only, so a step is reproducible from their seeds.
    """
    if kind == "tool":
        return _tool_step(rng, fake, fails=fails)
    if kind == "llm":
        return _llm_step(rng, fake)
    if kind == "approval":
        return _approval_step(rng, fake)
    if kind == "alert":
        return [_alert(rng)]
    if kind == "custom":
        return [_custom(rng, fake)]
    raise ValueError(f"unknown step {kind!r}; expected one of {', '.join(STEP_KINDS)}")


def pick_step(rng: random.Random) -> str:
    """A step kind, drawn with the weights seeded sessions use."""
    return rng.choices(STEP_KINDS, weights=[_STEP_WEIGHTS[k] for k in STEP_KINDS])[0]


def _steps(rng: random.Random, budget: int) -> list[str]:
    """Step kinds filling ``budget`` events exactly, with at least one tool call."""
    steps: list[str] = []
    size = 0
    while options := [k for k, n in _STEP_SIZES.items() if size + n <= budget]:
        kind = rng.choices(options, weights=[_STEP_WEIGHTS[k] for k in options])[0]
        steps.append(kind)
        size += _STEP_SIZES[kind]
    if "tool" not in steps:
        # Every session calls a tool: swap the first step for one, then refit the budget.
        size += _STEP_SIZES["tool"] - _STEP_SIZES[steps[0]]
        steps[0] = "tool"
        while size > budget:
            size -= _STEP_SIZES[steps.pop()]
        steps += ["custom"] * (budget - size)
    return steps


def _tool_step(rng: random.Random, fake: Faker, *, fails: bool) -> list[Draft]:
    tool, arguments, result = _tool_use(rng, fake)
    call_id = f"call_{rng.getrandbits(48):012x}"
    duration = rng.randint(15, 4_500)
    call = {"toolName": tool, "callId": call_id, "arguments": arguments}
    severity = rng.choice(("info", "info", "debug"))
    first: Draft = ("tool_call", severity, call, rng.randint(80, 2_500))
    if fails:
        message, code = rng.choice(_TOOL_ERRORS)
        payload = {
            "callId": call_id,
            "toolName": tool,
            "error": message,
            "errorCode": code,
            "durationMs": duration,
        }
        # A refused permission is a security event, hence critical rather than error.
        error_severity = "critical" if code == "EACCES" else "error"
        return [first, ("tool_error", error_severity, payload, duration)]
    payload = {"callId": call_id, "toolName": tool, "result": result, "durationMs": duration}
    # A slow tool is worth a warning on the dashboard.
    return [first, ("tool_response", "warn" if duration > 4_000 else "info", payload, duration)]


def _tool_use(rng: random.Random, fake: Faker) -> tuple[str, dict[str, Any], Any]:
    tool = rng.choice(
        ("search_database", "fetch_url", "send_email", "read_file", "create_ticket", "lookup")
    )
    if tool == "search_database":
        return tool, {"query": fake.word(), "limit": 20}, {"rows": rng.randint(0, 20)}
    if tool == "fetch_url":
        return tool, {"url": fake.url()}, {"status": 200, "bytes": rng.randint(200, 90_000)}
    if tool == "send_email":
        arguments = {"to": fake.email(), "subject": fake.sentence(nb_words=5)}
        return tool, arguments, {"messageId": fake.uuid4()}
    if tool == "read_file":
        return tool, {"path": fake.file_path(depth=2)}, {"bytes": rng.randint(0, 40_000)}
    if tool == "create_ticket":
        arguments = {"title": fake.sentence(nb_words=6), "priority": rng.choice(("low", "high"))}
        return tool, arguments, {"ticketId": f"TCK-{rng.randint(1000, 9999)}"}
    return tool, {"email": fake.email()}, {"customerId": fake.uuid4(), "plan": "pro"}


def _llm_step(rng: random.Random, fake: Faker) -> list[Draft]:
    provider, model, per_input, per_output = rng.choice(_MODELS)
    call_id = f"llm_{rng.getrandbits(48):012x}"
    inputs, outputs = rng.randint(150, 12_000), rng.randint(20, 1_800)
    cost = round((inputs * per_input + outputs * per_output) / 1_000_000, 6)
    latency = rng.randint(300, 18_000)
    usage = {"inputTokens": inputs, "outputTokens": outputs, "totalTokens": inputs + outputs}
    call = {
        "callId": call_id,
        "provider": provider,
        "model": model,
        "messages": [{"role": "user", "content": fake.sentence(nb_words=12)}],
        "parameters": {"temperature": rng.choice((0, 0.2, 0.7)), "maxTokens": 2048},
    }
    response = {
        "callId": call_id,
        "provider": provider,
        "model": model,
        "completion": fake.paragraph(nb_sentences=2),
        "finishReason": rng.choice(("stop", "stop", "stop", "length", "tool_use")),
        "usage": usage,
        "costUsd": cost,
        "latencyMs": latency,
    }
    tracked = {"provider": provider, "model": model, **usage, "costUsd": cost}
    tracked["trigger"] = "llm_response"
    return [
        ("llm_call", "debug", call, rng.randint(20, 1_500)),
        ("llm_response", "info", response, latency),
        ("cost_tracked", "info", tracked, rng.randint(1, 25)),
    ]


def _approval_step(rng: random.Random, fake: Faker) -> list[Draft]:
    request_id = f"apr_{rng.getrandbits(40):010x}"
    action = rng.choice(("refund_payment", "delete_records", "deploy_release"))
    asked = {
        "requestId": request_id,
        "action": action,
        "params": {"amount": rng.randint(5, 500)} if action == "refund_payment" else {},
        "urgency": rng.choice(("low", "normal", "high")),
    }
    granted = {"requestId": request_id, "action": action, "decidedBy": fake.user_name()}
    return [
        ("approval_requested", "info", asked, rng.randint(50, 1_500)),
        ("approval_granted", "info", granted, rng.randint(4_000, 180_000)),
    ]


def _alert(rng: random.Random) -> Draft:
    threshold = rng.choice((0.5, 1.0, 2.0))
    payload = {
        "alertRuleId": f"rule_{rng.getrandbits(32):08x}",
        "alertName": "Session cost spike",
        "condition": "cost_above",
        "currentValue": round(threshold * rng.uniform(1.05, 2.0), 4),
        "threshold": threshold,
        "message": f"Session cost exceeded ${threshold:.2f}",
    }
    return ("alert_triggered", "warn", payload, rng.randint(5, 400))


def _custom(rng: random.Random, fake: Faker) -> Draft:
    payload = {"type": "checkpoint", "data": {"step": fake.word(), "progress": rng.randint(1, 99)}}
    return ("custom", rng.choice(("debug", "info")), payload, rng.randint(10, 3_000))


def ended(
    rng: random.Random, fake: Faker, *, status: str, tool_calls: int, elapsed_ms: int
) -> Draft:
    """The ``session_ended`` event of a session ending in ``status`` (``error`` or not).

    ``tool_calls`` and ``elapsed_ms`` (since ``session_started``, up to the previous event) go
    into its summary payload.
    """
    if status == "error":
        reason, severity = "error", "error"
    else:
        reason = rng.choices(("completed", "timeout", "manual"), weights=(85, 10, 5))[0]
        severity = "warn" if reason == "timeout" else "info"
    gap = rng.randint(20, 1_200)
    payload = {
        "reason": reason,
        "summary": fake.sentence(nb_words=8),
        "totalToolCalls": tool_calls,
        "totalDurationMs": elapsed_ms + gap,
    }
    return ("session_ended", severity, payload, gap)


def _record(
    rng: random.Random, drafts: list[Draft], *, agent_id: str, last: datetime, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Place ``drafts`` so the final one happens at ``last``, and ingest them as one batch.

    Ids are minted as if ``now`` were ``ID_ANCHOR`` (``now`` is in whole milliseconds)."""
    offsets = [sum(d[3] for d in drafts[1 : i + 1]) for i in range(len(drafts))]
    start = last - timedelta(milliseconds=offsets[-1])
    moments = [start + timedelta(milliseconds=ms) for ms in offsets]
    to_anchor = ID_ANCHOR - now
    session_id = "sess_" + encode(to_millis(start + to_anchor), rng.getrandbits(79))
    metadata = {} if rng.random() < 0.5 else {"host": f"worker-{rng.randint(1, 9)}"}
    batch = [
        {
            "sessionId": session_id,
            "agentId": agent_id,
            "eventType": kind,
            "severity": severity,
            "payload": payload,
            "metadata": metadata,
            "timestamp": format_timestamp(moment),
        }
        for (kind, severity, payload, _), moment in zip(drafts, moments, strict=True)
    ]
    id_moments = [moment + to_anchor for moment in moments]
    result = ingest({}, {}, batch, now=now, id_factory=_minting_at(UlidFactory(rng), id_moments))
    return result.sessions[session_id], result.timelines[session_id]


def _minting_at(ids: UlidFactory, moments: list[datetime]) -> Callable[[datetime], str]:
    """An id factory that stamps each event's id with its own moment, not ingest time.

    Seeded history was "ingested" as it happened, so its ULIDs carry the events' moments (as
    seen from ``ID_ANCHOR``).
    """
    pending = iter(moments)

    def mint(_now: datetime) -> str:
        return ids(next(pending))

    return mint


def _tamper(fake: Faker, timeline: list[dict[str, Any]]) -> None:
    """Edit the first ``tool_call``'s first argument in place, after hashing (no re-link)."""
    event = next(e for e in timeline if e["eventType"] == "tool_call")
    arguments = dict(event["payload"]["arguments"])
    key = next(iter(arguments))
    arguments[key] = f"{arguments[key]} {fake.word()}"  # Appending always changes the value.
    event["payload"] = {**event["payload"], "arguments": arguments}
