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

from mockgate.contracts.registry import probe, response_check
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
    if exchange.operation_id != "getSessionTimeline" or exchange.status != 200:
        return
    body = exchange.json
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        return
    claimed = body.get("chainValid")
    if not isinstance(claimed, bool):
        return
    verdict = verify_chain(body["events"])
    if not verdict.judgeable:
        return
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


def _count(events: Sequence[Mapping[str, Any]]) -> _Counts:
    tool_calls = sum(e.get("eventType") == "tool_call" for e in events)
    severe = [e.get("severity") in _ERROR_SEVERITIES for e in events]
    tool_error = [e.get("eventType") == "tool_error" for e in events]
    return _Counts(
        events=len(events),
        tool_calls=tool_calls,
        errors_surely=sum(s and t for s, t in zip(severe, tool_error, strict=True)),
        errors_maybe=sum(s or t for s, t in zip(severe, tool_error, strict=True)),
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


@probe("session_counters", apis=("agentlens",))
def session_counters(session: ProbeSession) -> Iterator[Finding]:
    """A session's `eventCount`, `toolCallCount` and `errorCount` agree with its timeline.

    The rule, decided with care: the spec says the timeline holds all events of the session,
    but the document's own example shows a session counting 47 events next to a 2-event
    timeline, and real deployments may lose old events (retention). So the timeline is always a
    lower bound (`eventCount` ≥ its events, `toolCallCount` ≥ its `tool_call` events,
    `errorCount` ≥ its `tool_error` events of severity `error`/`critical`), and the
    counters must equal it only when the timeline is provably whole: it starts with
    `session_started` whose `prevHash` is null, every later `prevHash` links to the event
    before, and a session that is no longer active has its `session_ended`. "Error events" is
    not defined; `errorCount` must then lie between the events that are errors under every
    reading and those under any (severity `error`/`critical` or type `tool_error`). The
    session is read before and after its timeline; a session whose counters moved meanwhile
    (still receiving events) is not judged.
    """
    listing = session.call("listSessions", query={"limit": _COUNTER_SESSIONS})
    found = listing.json.get("sessions") if isinstance(listing.json, dict) else None
    if listing.status != 200 or not isinstance(found, list):
        return
    ids = [s["id"] for s in found if isinstance(s, dict) and isinstance(s.get("id"), str)]
    for sid in ids[:_COUNTER_SESSIONS]:
        before = session.call("getSession", path_params={"id": sid})
        timeline = session.call("getSessionTimeline", path_params={"id": sid})
        after = session.call("getSession", path_params={"id": sid})
        if before.status != 200 or after.status != 200 or timeline.status != 200:
            continue
        record = before.json if isinstance(before.json, dict) else {}
        again = after.json if isinstance(after.json, dict) else {}
        counters = {name: record.get(name) for name in _COUNTERS}
        if counters != {name: again.get(name) for name in _COUNTERS}:
            continue  # still receiving events
        if not _all_integers(counters):
            continue  # the schema checks report a missing or mistyped counter
        events = timeline.json.get("events") if isinstance(timeline.json, dict) else None
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            continue
        problems = _judge_counters(counters, _count(events), whole=_whole(record, events))
        if problems:
            yield Finding.from_exchanges(
                "session_counters",
                f"session {sid!r}: " + "; ".join(problems),
                before,
                timeline,
                operation="getSession",
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
    if tools > events or errors > events:
        problems.append(f"a counter exceeds eventCount {events}")
    return problems
