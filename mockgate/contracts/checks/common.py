"""Checks that concern every API."""

from __future__ import annotations

from collections.abc import Iterator

from mockgate.contracts.checks.support import effective_limit, record_lists
from mockgate.contracts.registry import NotApplicable, response_check
from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.exchange import Exchange

ALL_APIS = ("agentlens", "fasting", "piorchestrator", "state-tracking")


@response_check("page_size_bound", apis=ALL_APIS)
def page_size_bound(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """A list never holds more records than the page size asked for (after the documented
    clamping) nor more than the documented maximum."""
    op = api.operation_by_id(exchange.operation_id)
    sizes = [
        param
        for param in op.get("parameters", [])
        if "maximum" in param.get("x-mockgate-limit", {}) and param["name"] != "offset"
    ]
    if not sizes or exchange.status != 200 or exchange.json is None:
        raise NotApplicable
    for param in sizes:
        limit = param["x-mockgate-limit"]
        allowed = effective_limit(exchange.query.get(param["name"]), limit)
        for path, items in record_lists(exchange.json):
            if len(items) > allowed:
                yield (
                    f"{path or 'body'} has {len(items)} records; {param['name']}="
                    f"{exchange.query.get(param['name'], '(default)')} allows at most {allowed}"
                )
