"""Helpers the checks share: where a response keeps its records, what a paging parameter allows,
timestamps as instants. No check is registered here."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from mockgate.openapi.catalog import ApiSpec

__all__ = [
    "RECORD_KEYS",
    "effective_limit",
    "fillable",
    "paging_params",
    "parse_instant",
    "record_id",
    "record_lists",
    "records",
    "size_param",
]

# Array properties that hold the records of a list response, in the order they are looked for.
RECORD_KEYS = ("sessions", "data", "events", "tasks")

_FRACTION = re.compile(r"(\.\d+)")


def record_lists(body: Any) -> Iterator[tuple[str, list[Any]]]:
    """The record lists of a list response: the body itself, or an array property (also one
    level down, under ``data``), each with its path (``""`` for the body)."""
    if isinstance(body, list):
        yield "", body
    elif isinstance(body, dict):
        for key in RECORD_KEYS:
            if isinstance(body.get(key), list):
                yield key, body[key]
        inner = body.get("data")
        if isinstance(inner, dict):
            for key, value in inner.items():
                if isinstance(value, list):
                    yield f"data.{key}", value


def records(body: Any) -> tuple[str, list[Any]] | None:
    """The main record list of a list response (the first of ``record_lists``), or None."""
    return next(record_lists(body), None)


def record_id(record: Any) -> str | None:
    """A record's identity: ``id``, or the first ``*_id`` field naming the record itself."""
    if not isinstance(record, Mapping):
        return None
    for key in ("id", "task_id", "session_id", "machine_id"):
        value = record.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return None


def paging_params(api: ApiSpec, operation_id: str) -> list[dict[str, Any]]:
    """The query parameters of the operation that carry ``x-mockgate-limit``."""
    op = api.operation_by_id(operation_id)
    return [
        p
        for p in op.get("parameters", [])
        if p.get("in") == "query" and isinstance(p.get("x-mockgate-limit"), dict)
    ]


def size_param(api: ApiSpec, operation_id: str) -> dict[str, Any] | None:
    """The page-size parameter (``limit``, ``pageSize``...): the paging parameter with a
    documented maximum that is not the offset."""
    for param in paging_params(api, operation_id):
        if param["name"] != "offset" and "maximum" in param["x-mockgate-limit"]:
            return param
    return None


def effective_limit(raw: Any, limit: Mapping[str, Any]) -> int:
    """The most records a conforming server may return when the page size is ``raw`` (None when
    absent), given the parameter's ``x-mockgate-limit``: clamped or defaulted as documented."""
    maximum = int(limit["maximum"])
    default = min(int(limit.get("default", maximum)), maximum)
    if raw is None:
        return default
    try:
        asked = int(str(raw).strip())
    except ValueError:
        return default
    if asked < int(limit.get("minimum", 1)):
        # Clamped up (to the minimum or the default) or rejected: never more than the default.
        return max(default, int(limit.get("minimum", 1)))
    return min(asked, maximum)


def fillable(api: ApiSpec, operation_id: str) -> bool:
    """Whether the operation can be called without inventing path parameters or required query
    parameters (the probes that page or filter only call such operations)."""
    op = api.operation_by_id(operation_id)
    return not any(
        p.get("required") and p.get("in") in ("path", "query") for p in op.get("parameters", [])
    )


def parse_instant(text: Any, *, round_up: bool = False) -> datetime | None:
    """An RFC 3339 date-time as an aware ``datetime``; None when it is not one (or has no offset).

    Python keeps microseconds; digits beyond them are dropped, or (``round_up``) rounded up to
    the next microsecond, so an upper bound never becomes stricter than the one asked for.
    """
    if not isinstance(text, str) or len(text) < 20:
        return None
    value = text.strip().upper().replace(" ", "T", 1)
    extra = False
    match = _FRACTION.search(value)
    if match and len(match.group(1)) > 7:
        extra = any(d != "0" for d in match.group(1)[7:])
        value = value[: match.start()] + match.group(1)[:7] + value[match.end() :]
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    if extra and round_up:
        parsed += timedelta(microseconds=1)
    return parsed
