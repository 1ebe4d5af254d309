"""AgentLens checks: the timeline's hash chain, and session counters against the timeline.

The hash algorithm is implemented here from the spec (`TimelineEvent.hash` in
`specs/agentlens.yaml`), independently of the mock's own implementation, so that a mistake in
one is caught by the other.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeGuard

from mockgate.contracts.registry import NotApplicable, probe, response_check
from mockgate.contracts.session import ProbeSession
from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding

__all__ = [
    "HASHED_FIELDS",
    "ChainVerdict",
    "event_hash",
    "hash_chain",
    "js_stringify",
    "session_counters",
    "verify_chain",
]

HASH_VERSION = 2
# The fields an event's hash covers, in the order JSON.stringify writes them (after `v`).
HASHED_FIELDS = (
    "id",
    "timestamp",
    "sessionId",
    "agentId",
    "eventType",
    "severity",
    "payload",
    "metadata",
    "prevHash",
)
_REAL_HASH = re.compile(r"[0-9a-f]{64}")
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_MAX_INDEX = 2**32 - 2  # the largest array index: such keys come first, in numeric order
_ERROR_SEVERITIES = frozenset({"error", "critical"})
_COUNTER_SESSIONS = 20  # sessions whose counters one run compares with their timelines
_MAX_COUNTER_PROBLEMS = 4  # problems one finding about a listed session names


# --- JSON.stringify, independently -----------------------------------------------------------


def js_stringify(value: Any) -> str:
    """`JSON.stringify(value)` of the JavaScript value that `JSON.parse` makes of the JSON
    that Python's `json.loads` turned into `value`.

    No whitespace; object keys that are array indices (canonical integers up to 2**32-2) first in
    ascending numeric order, then the others in insertion order (the order they came in); strings
    escaped as JSON.stringify does (`"`, `\\`, `\\b\\f\\n\\r\\t`, other control characters
    and lone surrogates as lower-case `\\uXXXX`; everything else, non-ASCII included, as is);
    numbers as JavaScript's `Number.prototype.toString` writes the double (so `1.0` is `1`,
    `1e21` is `1e+21`, integers beyond 2**53 lose precision, `-0` is `0`).
    """
    parts: list[str] = []
    _stringify(value, parts)
    return "".join(parts)


def _stringify(value: Any, out: list[str]) -> None:
    if value is None or value is True or value is False:
        out.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, str):
        out.append(_js_string(value))
    elif isinstance(value, int | float):
        out.append(_js_number(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _stringify(item, out)
        out.append("]")
    elif isinstance(value, Mapping):
        keys = [str(k) for k in value]
        indices = sorted(
            (k for k in keys if _ARRAY_INDEX.fullmatch(k) and int(k) <= _MAX_INDEX), key=int
        )
        index_set = set(indices)
        ordered = indices + [k for k in keys if k not in index_set]
        by_name = {str(k): v for k, v in value.items()}
        out.append("{")
        for position, key in enumerate(ordered):
            if position:
                out.append(",")
            out.append(_js_string(key))
            out.append(":")
            _stringify(by_name[key], out)
        out.append("}")
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
_SHORT_ESCAPES["\t"] = "\\t"


def _js_string(text: str) -> str:
    out = ['"']
    index, size = 0, len(text)
    while index < size:
        char = text[index]
        code = ord(char)
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif 0xD800 <= code <= 0xDBFF and index + 1 < size and _low(text[index + 1]):
            # A surrogate pair held as two code points: one character to JavaScript.
            low = ord(text[index + 1])
            out.append(chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)))
            index += 1
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
        index += 1
    out.append('"')
    return "".join(out)


def _low(char: str) -> bool:
    return 0xDC00 <= ord(char) <= 0xDFFF


def _js_number(number: int | float) -> str:
    try:
        value = float(number)
    except OverflowError:  # an integer beyond the doubles: JSON.parse makes it Infinity
        return "null"
    if not math.isfinite(value):
        return "null"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digits that round-trip, as ECMAScript's Number::toString does.
    digits_tuple = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digits_tuple.digits))
    exponent = int(digits_tuple.exponent)
    k = len(digits)
    n = exponent + k  # the decimal point sits after n digits
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + text


def event_hash(event: Mapping[str, Any]) -> str:
    """The spec's hash of a stored event: SHA-256 (lower-case hex) of the UTF-8 of
    `JSON.stringify({v: 2, id, timestamp, sessionId, agentId, eventType, severity, payload,
    metadata, prevHash})`."""
    canonical = {"v": HASH_VERSION, **{name: event[name] for name in HASHED_FIELDS}}
    return hashlib.sha256(js_stringify(canonical).encode("utf-8")).hexdigest()


# --- chain verification ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChainVerdict:
    """What an independent verification of a timeline found."""

    judgeable: bool  # False: placeholder hashes or incomplete events, nothing to say
    hash_problems: tuple[str, ...] = ()  # events whose hash does not recompute
    link_problems: tuple[str, ...] = ()  # prevHash not the previous hash (the first not null)
    unchained: bool = False  # every prevHash is null (OTLP telemetry)

    @property
    def intact(self) -> bool:
        """Every hash recomputes and every link holds: `chainValid` must be true."""
        return not self.hash_problems and not self.link_problems

    @property
    def may_be_valid(self) -> bool:
        """Whether `chainValid: true` is allowed: an intact chain, or an unchained timeline
        whose own hashes recompute (the real server verifies only those there)."""
        return self.intact or (self.unchained and not self.hash_problems)

    @property
    def problems(self) -> tuple[str, ...]:
        return self.hash_problems + (() if self.unchained else self.link_problems)


def verify_chain(events: Sequence[Any]) -> ChainVerdict:
    """Verify `events` (in the order served) as the spec describes `chainValid`."""
    if not events:
        return ChainVerdict(judgeable=True)
    for event in events:
        if not isinstance(event, Mapping) or any(name not in event for name in HASHED_FIELDS):
            return ChainVerdict(judgeable=False)
        prev = event["prevHash"]
        if not _is_real(event["hash"]) or (prev is not None and not _is_real(prev)):
            return ChainVerdict(judgeable=False)
    hash_problems: list[str] = []
    for index, event in enumerate(events):
        try:
            expected = event_hash(event)
        except (TypeError, ValueError):
            return ChainVerdict(judgeable=False)
        if expected != event["hash"]:
            hash_problems.append(
                f"event {index} ({event['id']!r}) has hash {event['hash']}, but its fields hash "
                f"to {expected}"
            )
    link_problems: list[str] = []
    if events[0]["prevHash"] is not None:
        link_problems.append(f"the first event's prevHash is {events[0]['prevHash']}, not null")
    for index in range(1, len(events)):
        if events[index]["prevHash"] != events[index - 1]["hash"]:
            link_problems.append(
                f"event {index} ({events[index]['id']!r}) has prevHash "
                f"{events[index]['prevHash']}, not the previous event's hash "
                f"{events[index - 1]['hash']}"
            )
    return ChainVerdict(
        judgeable=True,
        hash_problems=tuple(hash_problems),
        link_problems=tuple(link_problems),
        unchained=all(e["prevHash"] is None for e in events),
    )


def _is_real(value: Any) -> bool:
    return isinstance(value, str) and _REAL_HASH.fullmatch(value) is not None


@response_check("hash_chain", apis=("agentlens",))
def hash_chain(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """A timeline's `chainValid` is the truth about its hash chain: every event's `hash`
    recomputed here (SHA-256 of the spec's canonical JSON, version 2) and every `prevHash`
    linked to the previous event's `hash`, the first `null`.

    `chainValid: false` for a broken chain is correct (a tampered session); `true` for a
    broken chain or `false` for an intact one is wrong. When every `prevHash` is `null`
    (OTLP telemetry, `chained: false`) the real server verifies only each event's own hash, a
    strict one the links too: either answer is accepted there, but `true` needs every own hash
    to recompute. `chained`, when present, is false exactly when every `prevHash` is null
    (not judged for an empty timeline, where servers differ). Timelines with
    placeholder hashes (not 64 lower-case hex digits, like the document's `abc123...`) are not
    judged.
    """
    body = exchange.json if exchange.operation_id == "getSessionTimeline" else None
    if exchange.status != 200 or not isinstance(body, dict):
        raise NotApplicable
    claimed = body.get("chainValid")
    if not isinstance(body.get("events"), list) or not isinstance(claimed, bool):
        return  # the schema checks report a timeline without them
    verdict = verify_chain(body["events"])
    if not verdict.judgeable:
        raise NotApplicable  # placeholder hashes
    if claimed and not verdict.may_be_valid:
        shown = "; ".join(verdict.problems[:3])
        more = len(verdict.problems) - 3
        yield (
            f"chainValid is true, but the chain is broken: {shown}"
            + (f" (and {more} more)" if more > 0 else "")
        )
    elif not claimed and verdict.intact:
        yield (
            f"chainValid is false, but all {len(body['events'])} events' hashes recompute and "
            "every prevHash links to the event before (the first is null)"
        )
    chained = body.get("chained")
    if isinstance(chained, bool) and body["events"] and chained == verdict.unchained:
        yield (
            f"chained is {str(chained).lower()}, but "
            + ("every" if verdict.unchained else "not every")
            + " event has prevHash null"
        )


# --- counters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Counts:
    events: int
    tool_calls: int
    errors_surely: int  # errors under every reading of "error events"
    errors_maybe: int  # errors under some reading
    # LLM calls: the spec counts `llm_call` events, the real server `llm_response` ones (the two
    # agree once every call is answered); the fewer and the more of the two.
    llm_calls: tuple[int, int] = (0, 0)


def _count(events: Sequence[Mapping[str, Any]]) -> _Counts:
    tool_calls = sum(e.get("eventType") == "tool_call" for e in events)
    severe = [e.get("severity") in _ERROR_SEVERITIES for e in events]
    tool_error = [e.get("eventType") == "tool_error" for e in events]
    calls = sum(e.get("eventType") == "llm_call" for e in events)
    answers = sum(e.get("eventType") == "llm_response" for e in events)
    return _Counts(
        events=len(events),
        tool_calls=tool_calls,
        errors_surely=sum(s and t for s, t in zip(severe, tool_error, strict=True)),
        errors_maybe=sum(s or t for s, t in zip(severe, tool_error, strict=True)),
        llm_calls=(min(calls, answers), max(calls, answers)),
    )


def _whole(session: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the timeline provably holds every event of the session: it starts the chain
    (`session_started`, `prevHash` null), every later event links to the one before, and an
    ended session's `session_ended` is there."""
    if not events or events[0].get("eventType") != "session_started":
        return False
    if events[0].get("prevHash") is not None:
        return False
    for before, after in itertools.pairwise(events):
        if after.get("prevHash") is None or after.get("prevHash") != before.get("hash"):
            return False
    if session.get("status") != "active":
        return any(e.get("eventType") == "session_ended" for e in events)
    return True


_COUNTERS = ("eventCount", "toolCallCount", "errorCount")
_LLM_CALLS = "llmCallCount"  # optional in the spec: judged where a server sends it


@dataclass(frozen=True)
class _Timeline:
    """A session's timeline as read between two reads of the session, and the session's own
    counters when both reads agreed on them (None when they moved or are unusable)."""

    exchange: Exchange
    events: list[dict[str, Any]]
    counts: _Counts
    own: dict[str, int] | None


@probe("session_counters", apis=("agentlens",))
def session_counters(session: ProbeSession) -> Iterator[Finding]:
    """A session's `eventCount`, `toolCallCount`, `errorCount` and (when sent)
    `llmCallCount` agree with its timeline, in `GET /api/sessions/{id}` and in the list alike.

    The rule, decided with care: the spec says the timeline holds all events of the session,
    but the document's own example shows a session counting 47 events next to a 2-event
    timeline, and real deployments may lose old events (retention). So the timeline is always a
    lower bound (`eventCount` ≥ its events, `toolCallCount` ≥ its `tool_call` events,
    `errorCount` ≥ its `tool_error` events of severity `error`/`critical`), and the
    counters must equal it only when the timeline is provably whole: it starts with
    `session_started` whose `prevHash` is null, every later `prevHash` links to the event
    before, and a session that is no longer active has its `session_ended`. "Error events" is
    not defined; `errorCount` must then lie between the events that are errors under every
    reading and those under any (severity `error`/`critical` or type `tool_error`).
    `llmCallCount` counts `llm_call` events; the real server counts `llm_response` ones (they
    come in pairs), so anything between the two counts is accepted. The session is read before
    and after its timeline; a session whose counters moved meanwhile (still receiving events)
    is not judged.

    The list (`GET /api/sessions?limit=20`) is read before and after the sessions: a listed
    session whose counters are the same in both lists, and whose own counters held around its
    timeline, shows the session's own counters (and is held to its timeline alike).
    """
    query = {"limit": _COUNTER_SESSIONS}
    listing = session.call("listSessions", query=query)
    listed = _listed(listing)
    if listed is None:
        return
    timelines: dict[str, _Timeline] = {}
    for sid in list(listed)[:_COUNTER_SESSIONS]:
        before = session.call("getSession", path_params={"id": sid})
        timeline = session.call("getSessionTimeline", path_params={"id": sid})
        after = session.call("getSession", path_params={"id": sid})
        events = timeline.json.get("events") if isinstance(timeline.json, dict) else None
        if before.status != 200 or after.status != 200 or timeline.status != 200:
            continue
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            continue
        record = before.json if isinstance(before.json, dict) else {}
        own = _counters_of(record)
        if own != _counters_of(after.json):
            own = None  # still receiving events
        read = timelines[sid] = _Timeline(timeline, events, _count(events), own)
        if own is None:
            continue
        problems = _judge_counters(own, read.counts, whole=_whole(record, events))
        if problems:
            yield Finding.from_exchanges(
                "session_counters",
                f"session {sid!r}: " + "; ".join(problems),
                before,
                timeline,
                operation="getSession",
            )
    session.not_judged("getSessionTimeline")  # the evidence, not judged itself
    relisting = session.call("listSessions", query=query)
    yield from _list_counters(listing, relisting, listed, _listed(relisting) or {}, timelines)


def _listed(exchange: Exchange) -> dict[str, dict[str, Any]] | None:
    """The sessions of a 200 list answer by id; None for any other answer."""
    found = exchange.json.get("sessions") if isinstance(exchange.json, dict) else None
    if exchange.status != 200 or not isinstance(found, list):
        return None
    return {s["id"]: s for s in found if isinstance(s, dict) and isinstance(s.get("id"), str)}


def _counters_of(record: Any) -> dict[str, int] | None:
    """The counters ``record`` carries: the three required ones (None when one is missing or
    not an integer: the schema checks report that) and `llmCallCount` when it is sent."""
    if not isinstance(record, Mapping):
        return None
    found = {name: record.get(name) for name in _COUNTERS}
    if not _all_integers(found):
        return None
    counters = dict(found)
    llm = record.get(_LLM_CALLS)
    if isinstance(llm, int) and not isinstance(llm, bool):
        counters[_LLM_CALLS] = llm
    return counters


def _list_counters(
    listing: Exchange,
    relisting: Exchange,
    first: Mapping[str, Mapping[str, Any]],
    second: Mapping[str, Mapping[str, Any]],
    timelines: Mapping[str, _Timeline],
) -> Iterator[Finding]:
    """The listed counters of the sessions whose own counters held around their timeline,
    where both lists agree too (counters only grow, so nothing moved in between)."""
    for sid, read in timelines.items():
        counters = _counters_of(first[sid])
        if read.own is None or counters is None or counters != _counters_of(second.get(sid)):
            continue  # still receiving events, moved between the two lists, or gone
        if counters == read.own:
            continue  # the session's own counters, judged as such
        problems = _judge_counters(counters, read.counts, whole=_whole(first[sid], read.events))
        problems += [
            f"the list gives {name} {counters[name]}, the session itself {read.own[name]}"
            for name in counters
            if name in read.own and counters[name] != read.own[name]
        ]
        if problems:
            yield Finding.from_exchanges(
                "session_counters",
                f"session {sid!r} as listed: " + "; ".join(problems[:_MAX_COUNTER_PROBLEMS]),
                listing,
                read.exchange,
                relisting,
                operation="listSessions",
            )


def _all_integers(counters: Mapping[str, object]) -> TypeGuard[Mapping[str, int]]:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in counters.values())


def _judge_counters(counters: Mapping[str, int], counts: _Counts, *, whole: bool) -> list[str]:
    problems = []
    events, tools, errors = (counters[name] for name in _COUNTERS)
    scope = "its whole timeline" if whole else "its timeline"
    if events < counts.events or (whole and events != counts.events):
        problems.append(f"eventCount is {events}, but {scope} holds {counts.events} events")
    if tools < counts.tool_calls or (whole and tools != counts.tool_calls):
        problems.append(
            f"toolCallCount is {tools}, but {scope} holds {counts.tool_calls} tool_call events"
        )
    if errors < counts.errors_surely:
        problems.append(
            f"errorCount is {errors}, but {scope} holds {counts.errors_surely} tool_error events "
            "of severity error/critical"
        )
    elif whole and errors > counts.errors_maybe:
        problems.append(
            f"errorCount is {errors}, but {scope} holds only {counts.errors_maybe} events that "
            "are errors by type (tool_error) or severity (error/critical)"
        )
    llm = counters.get(_LLM_CALLS)
    low, high = counts.llm_calls
    if llm is not None and (llm < low or (whole and llm > high)):
        allowed = f"from {low} to {high}" if whole else f"at least {low}"
        problems.append(
            f"llmCallCount is {llm}, but {scope} makes it {allowed} (its llm_call and "
            "llm_response events)"
        )
    if tools > events or errors > events or (llm is not None and llm > events):
        problems.append(f"a counter exceeds eventCount {events}")
    return problems
