"""`list_total`: a list's `total` (and `hasMore`) agree with the records the page holds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mockgate.contracts.checks.support import records, size_param
from mockgate.contracts.registry import NotApplicable, response_check
from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.exchange import Exchange

__all__ = ["list_total"]

_INT32 = 2**31 - 1  # beyond it, what offset a server applied is anyone's guess


@response_check("list_total", apis=("agentlens", "piorchestrator"))
def list_total(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """A list's `total` counts the records it lists: agentlens `total` ("number of sessions
    matching the filters, regardless of `limit` and `offset`") and the PiOrchestrator
    diagnostics list's `data.total` (whether before or after `limit` is not documented).
    Under every reading, `total` is at least `offset` + the records on a non-empty page; a
    page shorter than the page size asked for ends the list, so `total` is exactly `offset` +
    its records (0 for an empty first page); and `hasMore`, where the list has it, is
    `offset + records < total`. Filtered lists are judged alike: a `total` that ignores the
    filters is caught on their short pages.

    Only explicit page sizes within the documented range make a page "short" (a default or a
    clamped size is the server's to choose within the rules `paging_clamp` holds). A page
    at an `offset` that is not a whole number from 0 to 2^31-1, or a non-empty page at an
    `offset` at or beyond `total` (a server may ignore an offset beyond the end), is not
    judged: which offset the server applied is unknown.
    """
    body = exchange.json
    found = records(body) if exchange.status == 200 else None
    holder = _holder(body, found[0]) if found is not None else None
    total = holder.get("total") if holder is not None else None
    if found is None or holder is None or not isinstance(total, int) or isinstance(total, bool):
        raise NotApplicable  # no list with a total (a mistyped total is the schema's to report)
    query = parse_qs(urlsplit(exchange.url).query, keep_blank_values=True)
    offset = _offset(api, exchange.operation_id, query)
    count = len(found[1])
    if offset is None or (count and offset and offset >= total):
        raise NotApplicable
    where = f"{found[0]} at offset {offset}" if offset else found[0]
    if count and total < offset + count:
        yield (
            f"total is {total}, but {where} holds {count} record(s): at least {offset + count} "
            "match"
        )
    asked = _asked_size(api, exchange.operation_id, query)
    if asked is not None and count < asked and total > offset + count:
        yield (
            f"total is {total}, but {where} holds {count} record(s), fewer than the "
            f"{asked} asked for: the list ends there, so total is {offset + count}"
        )
    more = holder.get("hasMore")
    if isinstance(more, bool) and more != (offset + count < total):
        yield (
            f"hasMore is {str(more).lower()} with total {total} and {count} record(s) at offset "
            f"{offset}; it is offset + records < total ({str(not more).lower()})"
        )


def _holder(body: Any, path: str) -> Mapping[str, Any] | None:
    """The object that holds the record list at ``path`` (and its `total`)."""
    if not path or not isinstance(body, Mapping):
        return None
    parent: Any = body
    for key in path.split(".")[:-1]:
        parent = parent.get(key) if isinstance(parent, Mapping) else None
    return parent if isinstance(parent, Mapping) else None


def _single(query: Mapping[str, list[str]], name: str) -> int | str | None:
    """The parameter as an integer; None when absent; ``"?"`` when it is not one integer."""
    values = query.get(name)
    if values is None:
        return None
    if len(values) != 1:
        return "?"
    text = values[0].strip()
    digits = text[1:] if text[:1] in "+-" else text
    return int(text) if digits.isdigit() else "?"


def _offset(api: ApiSpec, operation_id: str, query: Mapping[str, list[str]]) -> int | None:
    """The offset the server applied (0 for a list without one); None when unknown."""
    names = {p.get("name") for p in api.operation_by_id(operation_id).get("parameters", [])}
    raw = _single(query, "offset") if "offset" in names else None
    if raw is None:
        return 0
    if raw == "?" or not isinstance(raw, int) or raw > _INT32:
        return None
    return max(raw, 0)  # a negative offset is clamped to 0, or refused


def _asked_size(api: ApiSpec, operation_id: str, query: Mapping[str, list[str]]) -> int | None:
    """The page size the request asked for, when explicit and within the documented range."""
    size = size_param(api, operation_id)
    if size is None:
        return None
    raw = _single(query, size["name"])
    limit = size["x-mockgate-limit"]
    if not isinstance(raw, int) or not int(limit.get("minimum", 1)) <= raw <= int(limit["maximum"]):
        return None
    return raw
