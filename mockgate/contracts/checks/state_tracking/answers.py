"""How the state-tracking checks read the API's answers: the API they concern, an answer's JSON
object, its records and its `by_status` groups, and the limits the probes keep to. No check is
registered here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockgate.reports.exchange import Exchange

__all__ = ["API", "LIST_LIMIT", "MAX_REPORTED", "SAMPLED", "body_of", "groups_of", "items_of"]

API = ("state-tracking",)

LIST_LIMIT = 100  # the documented maximum page size
MAX_REPORTED = 3  # problems one finding names at most
SAMPLED = 5  # records a read-only probe looks at closely


def body_of(exchange: Exchange) -> dict[str, Any]:
    """The answer's JSON object; empty when the body is not one."""
    return exchange.json if isinstance(exchange.json, dict) else {}


def items_of(exchange: Exchange) -> list[dict[str, Any]]:
    """The objects of a 200 list answer; empty for any other answer."""
    body = exchange.json if exchange.status == 200 else None
    return [r for r in body if isinstance(r, dict)] if isinstance(body, list) else []


def groups_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """The `by_status` groups of a grouped answer (by project, task progress); empty when the
    answer has none."""
    groups = body.get("by_status")
    return groups if isinstance(groups, dict) else {}
