"""`list_total` on hand-made answers: what a list's `total` may be, and what it may not."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from mockgate.contracts.checks.totals import list_total
from mockgate.contracts.registry import judge
from mockgate.openapi.catalog import get_api
from mockgate.reports.exchange import Exchange


def _answer(
    api: str, operation: str, body: Any, query: dict[str, str], status: int = 200
) -> Exchange:
    spec = get_api(api)
    op = next(o for o in spec.operations if o.operation_id == operation)
    return Exchange(
        operation_id=operation,
        method=op.method,
        path=op.path,
        url=f"http://server{op.path}" + (f"?{urlencode(query)}" if query else ""),
        status=status,
        response_headers={"content-type": "application/json"},
        content=json.dumps(body).encode(),
        query=query,
    )


def _sessions(count: int, total: int, more: bool | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"sessions": [{"id": f"s{i}"} for i in range(count)], "total": total}
    return body if more is None else {**body, "hasMore": more}


def _diagnostics(count: int, total: int) -> dict[str, Any]:
    sessions = [{"session_id": f"s{i}"} for i in range(count)]
    return {"success": True, "data": {"sessions": sessions, "total": total}}


AGENTLENS = [
    pytest.param(_sessions(3, 3, False), {"limit": "10"}, None, id="whole-list"),
    pytest.param(_sessions(10, 25, True), {"limit": "10"}, None, id="first-of-three-pages"),
    pytest.param(_sessions(5, 25, False), {"limit": "10", "offset": "20"}, None, id="last-page"),
    pytest.param(_sessions(0, 25, False), {"offset": "25"}, None, id="at-the-end"),
    pytest.param(_sessions(0, 25, False), {"offset": "400"}, None, id="beyond-the-end"),
    pytest.param(_sessions(3, 256, True), {}, None, id="default-size-short-page-not-judged"),
    pytest.param(
        _sessions(3, 256, True),
        {"status": "error", "limit": "20"},
        "fewer than the 20 asked for: the list ends there, so total is 3",
        id="total-ignores-the-filter",
    ),
    pytest.param(_sessions(3, 2, False), {}, "at least 3 match", id="total-below-the-page"),
    pytest.param(
        _sessions(0, 7, False), {"limit": "5"}, "the list ends there, so total is 0", id="empty"
    ),
    pytest.param(
        _sessions(10, 256, False),
        {"limit": "10"},
        "hasMore is false with total 256",
        id="has-more-disagrees",
    ),
    pytest.param(_sessions(3, 5, False), {"offset": "10"}, "not judged", id="offset-ignored"),
    pytest.param(_sessions(3, 5, False), {"offset": "x"}, "not judged", id="offset-not-a-number"),
    pytest.param({"sessions": [], "total": "3"}, {}, "not judged", id="total-not-an-integer"),
]


@pytest.mark.parametrize(("body", "query", "problem"), AGENTLENS)
def test_agentlens_total(body: dict[str, Any], query: dict[str, str], problem: str | None) -> None:
    found = judge(
        list_total, _answer("agentlens", "listSessions", body, query), get_api("agentlens")
    )
    _expect(found, problem)


PIORCHESTRATOR = [
    pytest.param(_diagnostics(26, 26), {"limit": "50"}, None, id="all-listed"),
    pytest.param(_diagnostics(50, 80), {"limit": "50"}, None, id="total-before-limit"),
    pytest.param(_diagnostics(50, 50), {"limit": "50"}, None, id="total-after-limit"),
    pytest.param(_diagnostics(26, 80), {}, None, id="default-size-not-judged"),
    pytest.param(
        _diagnostics(26, 33),
        {"limit": "50"},
        "fewer than the 50 asked for: the list ends there, so total is 26",
        id="short-list-total-beyond",
    ),
    pytest.param(_diagnostics(26, 0), {}, "at least 26 match", id="total-zero"),
]


@pytest.mark.parametrize(("body", "query", "problem"), PIORCHESTRATOR)
def test_piorchestrator_total(
    body: dict[str, Any], query: dict[str, str], problem: str | None
) -> None:
    """Whether `data.total` counts before or after `limit` is open: both readings pass."""
    spec = get_api("piorchestrator")
    found = judge(
        list_total, _answer("piorchestrator", "listDiagnosticSessions", body, query), spec
    )
    _expect(found, problem)


def test_an_error_answer_is_not_judged() -> None:
    answer = _answer("agentlens", "listSessions", {"error": "nope", "status": 400}, {}, 400)
    assert judge(list_total, answer, get_api("agentlens")) is None


def _expect(found: list[str] | None, problem: str | None) -> None:
    if problem == "not judged":
        assert found is None
    elif problem is None:
        assert found == []
    else:
        assert found is not None
        assert any(problem in p for p in found), found
