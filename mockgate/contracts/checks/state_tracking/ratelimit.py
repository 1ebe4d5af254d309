"""`rate_limit_headers`: the `X-RateLimit-*` headers of the rate-limited operations, and what
every 429 carries; `rate_limit_coverage`: where the server limits, every rate-limited route
sends them, on errors too."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from mockgate.contracts.checks.state_tracking.answers import API
from mockgate.contracts.registry import NotApplicable, probe, response_check
from mockgate.contracts.session import ProbeSession
from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding

__all__ = ["rate_limit_coverage", "rate_limit_headers"]

_RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
_HOUR = 3600  # seconds: the longest documented window
_CLOCK_SLACK = 5  # seconds a Reset may lie before the response's Date (clock granularity)
_UNIX_SECONDS = (10**9, 10**11)  # a plausible Unix time in seconds (2001 .. year 5138)
_INTEGER = re.compile(r"\d+")
_PATH_PARAM = re.compile(r"\{([^}/]+)\}")
_MADE_UP_ID = "00000000-0000-4000-8000-000000000000"  # no record has it: a 404, nothing written
_HEARTBEATS = ("sessionHeartbeat", "machineHeartbeat")  # the heartbeat tier's routes


@response_check("rate_limit_headers", apis=API)
def rate_limit_headers(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """On the rate-limited operations (`x-mockgate-rate-limit`), the `X-RateLimit-*` headers
    come all three or none (a deployment may switch limits off): `Limit` a positive integer,
    `Remaining` an integer from 0 to `Limit`, `Reset` a Unix time in seconds that is not in
    the past (at most 5 s before the response's `Date`, when it has one) and at most an hour
    ahead (the longest documented window). Every 429 carries `Retry-After`, an integer number
    of seconds >= 0, and the error envelope with `error: rate_limit_exceeded`; a 429 of a
    rate-limited operation shows the limiter is on, so it carries `X-RateLimit-Reset` too
    (both documented 429s have it), with `Limit` and `Remaining` or, as the "When Rate
    Limited" example shows it, without both.

    `Limit` is not compared with the documented 60 (120 on the heartbeat routes): the document
    itself provides for keys with increased limits ("request increased limits") and a
    deployment may be configured stricter; neither is a departure from the contract. A `Reset`
    that counts seconds instead of giving a Unix time (some throttlers do) is reported: the
    document says Unix timestamp. Whether the answers that carry no header at all come from a
    server with limits on is `rate_limit_coverage`'s question.
    """
    headers = exchange.response_headers
    try:
        limited = api.operation_by_id(exchange.operation_id).get("x-mockgate-rate-limit")
    except KeyError:
        limited = None
    present = [name for name in _RATE_HEADERS if name in headers]
    throttled = exchange.status == 429
    if not throttled and not (limited and present):
        raise NotApplicable  # not rate-limited, or limits off
    if throttled:
        yield from _too_many_requests(exchange)
    if not limited:
        return
    if throttled and "x-ratelimit-reset" not in present:
        yield (
            "a 429 without X-RateLimit-Reset: the limiter is on, so its headers are due (both "
            "documented 429s carry X-RateLimit-Reset)"
        )
    if len(present) not in (0, len(_RATE_HEADERS)) and not (
        throttled and present == ["x-ratelimit-reset"]
    ):
        absent = [_title(n) for n in _RATE_HEADERS if n not in present]
        yield (
            f"{', '.join(_title(n) for n in present)} sent without {', '.join(absent)}: the "
            "rate-limit headers come all three or none"
        )
        return
    values = {name: _integer(headers[name]) for name in present}
    for name, value in values.items():
        if value is None:
            yield f"{_title(name)} is {headers[name]!r}, not an integer"
    limit, remaining, reset = (values.get(name) for name in _RATE_HEADERS)
    if limit is not None and limit < 1:
        yield f"X-RateLimit-Limit is {limit}: a limit allows at least one request"
    if limit is not None and remaining is not None and remaining > limit:
        yield f"X-RateLimit-Remaining is {remaining}, more than X-RateLimit-Limit {limit}"
    if reset is not None:
        yield from _reset_problems(reset, headers.get("date"))


def _too_many_requests(exchange: Exchange) -> Iterator[str]:
    retry = exchange.response_headers.get("retry-after")
    if retry is None:
        yield "a 429 without Retry-After"
    elif _integer(retry) is None:
        yield f"Retry-After is {retry!r}, not a whole number of seconds"
    body = exchange.json
    if not isinstance(body, Mapping):
        yield "the 429 body is not the error envelope"
    elif body.get("error") != "rate_limit_exceeded":
        yield f"the 429 envelope's error is {body.get('error')!r}, not 'rate_limit_exceeded'"


def _reset_problems(reset: int, date_header: str | None) -> Iterator[str]:
    low, high = _UNIX_SECONDS
    if not low <= reset < high:
        yield (
            f"X-RateLimit-Reset is {reset}: not a Unix time in seconds (the document: 'Unix "
            "timestamp when limit resets')"
        )
        return
    sent = _http_date(date_header)
    if sent is None:
        return
    if reset < sent - _CLOCK_SLACK:
        yield f"X-RateLimit-Reset {reset} is {sent - reset} s before the response's Date"
    elif reset > sent + _HOUR + 60:
        yield (
            f"X-RateLimit-Reset {reset} is {reset - sent} s after the response's Date: beyond "
            "the longest documented window (an hour)"
        )


def _http_date(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return math.floor(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _integer(value: Any) -> int | None:
    text = str(value).strip()
    return int(text) if _INTEGER.fullmatch(text) else None


def _title(name: str) -> str:
    return "-".join("RateLimit" if p == "ratelimit" else p.capitalize() for p in name.split("-"))


# --- rate_limit_coverage -----------------------------------------------------------------------


@probe("rate_limit_coverage", apis=API)
def rate_limit_coverage(session: ProbeSession) -> Iterator[Finding]:
    """Where the server rate-limits at all, every answer of every rate-limited operation
    carries the `X-RateLimit-*` headers, errors included: the document says "Responses
    include these headers", and the spec lets them be absent only "when rate limiting is off".

    The probe reads each documented rate-limited GET operation once (path parameters a made-up
    id, so mostly 404s; not the inferred routes, which a server may lack, answering a bare 404)
    and `GET /sessions?limit=abc` (a 400, or a page), and, unless read-only, sends
    a heartbeat for a made-up session and machine (404s: nothing is written; the heartbeat
    tier). When any of these answers carries one of the headers, limiting is on and every
    operation whose answer carries none is reported; when none does, limits are off and
    nothing is judged. Answers refused for the key (401, 403: whether the limiter runs before
    authentication is the server's choice) and 5xx answers are not judged. A server that sends
    the headers on its 429s only cannot be told from one with limits off without exhausting a
    limit, which the probe does not do (`rate_limit_headers` holds what a 429 carries).
    """
    answers = []
    for op in session.api.operations:
        if op.method != "GET" or not op.operation_id:
            continue
        details = session.api.operation_by_id(op.operation_id)
        if details.get("x-mockgate-rate-limit") and not details.get("x-mockgate-inferred"):
            ids = dict.fromkeys(_PATH_PARAM.findall(op.path), _MADE_UP_ID)
            answers.append(session.call(op.operation_id, path_params=ids))
    answers.append(session.call("listSessions", query={"limit": "abc"}))
    if not session.read_only:
        answers += [session.call(op, path_params={"id": _MADE_UP_ID}) for op in _HEARTBEATS]
    judged = [a for a in answers if a.status not in (401, 403) and a.status < 500]
    sent = [a for a in judged if _carries_any(a)]
    if not sent:
        judged = []  # limits off: nothing to hold the answers to
    for operation in {a.operation_id for a in answers} - {a.operation_id for a in judged}:
        session.not_judged(operation)
    if not sent:
        return
    witness = sent[0]
    reported: set[str] = set()
    for answer in judged:
        if _carries_any(answer) or answer.operation_id in reported:
            continue
        reported.add(answer.operation_id)
        yield Finding.from_exchanges(
            "rate_limit_coverage",
            f"{_shown(answer)} carries no X-RateLimit-* header, while {_shown(witness)} "
            "does: rate limiting is on, and every answer of a rate-limited route carries them",
            witness,
            answer,
        )


def _carries_any(exchange: Exchange) -> bool:
    return any(name in exchange.response_headers for name in _RATE_HEADERS)


def _shown(exchange: Exchange) -> str:
    return f"{exchange.method} {urlsplit(exchange.url).path} ({exchange.status})"
