"""Checks that concern every API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from contracts.exchange import Exchange
from contracts.registry import response_check
from mockserver.catalog import ApiSpec

ALL_APIS = ("agentlens", "fasting", "piorchestrator", "state-tracking")


@response_check("page_size_bound", apis=ALL_APIS)
def page_size_bound(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """A list never holds more records than the page size asked for (after the documented
    clamping) nor more than the documented maximum."""
    if exchange.status != 200 or exchange.json is None:
        return
    op = api.operation_by_id(exchange.operation_id)
    for param in op.get("parameters", []):
        limit = param.get("x-mockgate-limit")
        if not limit or "maximum" not in limit or param["name"] == "offset":
            continue
        allowed = _effective(exchange.query.get(param["name"]), limit)
        for path, items in _lists(exchange.json):
            if len(items) > allowed:
                yield (
                    f"{path or 'body'} has {len(items)} records; {param['name']}="
                    f"{exchange.query.get(param['name'], '(default)')} allows at most {allowed}"
                )


def _effective(raw: Any, limit: dict[str, Any]) -> int:
    """The most records a conforming server may return for ``raw``."""
    maximum = int(limit["maximum"])
    if raw is None:
        return min(int(limit.get("default", maximum)), maximum)
    try:
        asked = int(str(raw))
    except ValueError:
        return min(int(limit.get("default", maximum)), maximum)
    if asked < limit.get("minimum", 1):
        # Clamped up (to the minimum or the default) or rejected: never more than the default.
        return max(int(limit.get("default", maximum)), int(limit.get("minimum", 1)))
    return min(asked, maximum)


def _lists(body: Any) -> Iterator[tuple[str, list[Any]]]:
    """The record lists of a list response: the body itself, or an array property."""
    if isinstance(body, list):
        yield "", body
    elif isinstance(body, dict):
        for key in ("sessions", "data", "events", "tasks"):
            if isinstance(body.get(key), list):
                yield key, body[key]
        inner = body.get("data")
        if isinstance(inner, dict):
            for key, value in inner.items():
                if isinstance(value, list):
                    yield f"data.{key}", value
