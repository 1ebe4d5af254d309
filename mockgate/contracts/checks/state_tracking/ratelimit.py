"""`rate_limit_headers`: the `X-RateLimit-*` headers of the rate-limited operations, and what
every 429 carries."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from mockgate.contracts.checks.state_tracking.answers import API
from mockgate.contracts.registry import response_check
from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.exchange import Exchange

__all__ = ["rate_limit_headers"]

_RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
_HOUR = 3600  # seconds: the longest documented window
_CLOCK_SLACK = 5  # seconds a Reset may lie before the response's Date (clock granularity)
_UNIX_SECONDS = (10**9, 10**11)  # a plausible Unix time in seconds (2001 .. year 5138)
_INTEGER = re.compile(r"\d+")


@response_check("rate_limit_headers", apis=API)
def rate_limit_headers(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """On the rate-limited operations (`x-mockgate-rate-limit`), the `X-RateLimit-*` headers
    come all three or none (a deployment may switch limits off): `Limit` a positive integer,
    `Remaining` an integer from 0 to `Limit`, `Reset` a Unix time in seconds that is not in
    the past (at most 5 s before the response's `Date`, when it has one) and at most an hour
    ahead (the longest documented window). Every 429 carries `Retry-After`, an integer number
    of seconds >= 0, and the error envelope with `error: rate_limit_exceeded`.

    `Limit` is not compared with the documented 60 (120 on the heartbeat routes): the document
    itself provides for keys with increased limits ("request increased limits") and a
    deployment may be configured stricter; neither is a departure from the contract. A `Reset`
    that counts seconds instead of giving a Unix time (some throttlers do) is reported: the
    document says Unix timestamp.
    """
    headers = exchange.response_headers
    if exchange.status == 429:
        yield from _too_many_requests(exchange)
    try:
        limited = api.operation_by_id(exchange.operation_id).get("x-mockgate-rate-limit")
    except KeyError:
        return
    present = [name for name in _RATE_HEADERS if name in headers]
    if not limited or not present:
        return
    if len(present) < len(_RATE_HEADERS):
        absent = [_title(n) for n in _RATE_HEADERS if n not in present]
        yield (
            f"{', '.join(_title(n) for n in present)} sent without {', '.join(absent)}: the "
            "rate-limit headers come all three or none"
        )
        return
    values = {name: _integer(headers[name]) for name in _RATE_HEADERS}
    for name, value in values.items():
        if value is None:
            yield f"{_title(name)} is {headers[name]!r}, not an integer"
    limit, remaining, reset = (values[name] for name in _RATE_HEADERS)
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
