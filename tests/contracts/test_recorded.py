"""Checking a recorded exchange against a spec (openapi-core)."""

from __future__ import annotations

import pytest

from mockgate.contracts.recorded import ContractViolation, assert_conforms, exchange_errors

AUTH = {"Authorization": "Bearer k"}
SESSION = {
    "id": "sess_1",
    "agentId": "a",
    "startedAt": "2026-02-08T10:00:00.000Z",
    "endedAt": None,
    "status": "active",
    "eventCount": 1,
    "toolCallCount": 0,
    "errorCount": 0,
    "totalCostUsd": 0,
    "tags": [],
}


def test_a_conforming_exchange_has_no_errors():
    assert_conforms(
        "agentlens",
        method="GET",
        url="http://localhost:3400/api/sessions/sess_1",
        status=200,
        response_body=SESSION,
        request_headers=AUTH,
    )


@pytest.mark.parametrize(
    ("exchange", "expected"),
    [
        pytest.param(
            {"url": "/api/sessions/sess_1", "status": 200, "response_body": {"id": "x"}},
            "'agentId' is a required property",
            id="missing-field",
        ),
        pytest.param(
            {
                "url": "/api/sessions?limit=abc",
                "status": 200,
                "response_body": {"sessions": [], "total": 0, "hasMore": False},
            },
            "limit",
            id="bad-query",
        ),
        pytest.param(
            {"url": "/api/sessions/sess_1", "status": 418, "response_body": {}},
            "418",
            id="undeclared-status",
        ),
    ],
)
def test_each_departure_is_named(exchange, expected):
    errors = exchange_errors("agentlens", method="GET", request_headers=AUTH, **exchange)
    assert any(expected in e for e in errors), errors
    with pytest.raises(ContractViolation, match="GET"):
        assert_conforms("agentlens", method="GET", request_headers=AUTH, **exchange)
