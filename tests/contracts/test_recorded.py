"""Checking a recorded exchange against a spec: ``assert_conforms`` as the README shows it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockgate.contracts.recorded import ContractViolation, assert_conforms, exchange_errors
from mockgate.openapi.catalog import get_api

pytest_plugins = ["pytester"]

README = Path(__file__).parents[2] / "README.md"
AUTH = {"Authorization": "Bearer als_mockgate_dev_key"}
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
GET_SESSION = {"method": "GET", "url": "/api/sessions/sess_1", "status": 200}
NO_CREDENTIAL = (
    "request: no credential for security scheme bearerAuth (Authorization: Bearer …): "
    "pass request_headers=… or security=False"
)


def _readme_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README.read_text(), re.M | re.S)


def _readme_example() -> str:
    (block,) = [b for b in _readme_blocks("python") if "assert_conforms(" in b]
    return block


def test_the_readme_example_runs_as_written():
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(_readme_example(), "README.md", "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_")]
    assert tests, "the README's assert_conforms example defines no test"
    for test in tests:
        test()


def test_the_readme_example_passes_in_a_consumer_project(pytester):
    pytester.makeini("[pytest]\naddopts = -ra\n")
    pytester.makepyfile(test_recorded=_readme_example())
    broken = _readme_example().replace('["prod"]', '"prod"')
    pytester.makepyfile(test_broken=broken)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["E *- response body at tags: 'prod' is not of type 'array'"])
    # The failure points at the test's own call, not into mockgate.
    assert "mockgate/contracts/recorded.py" not in result.stdout.str()


def test_the_readme_failure_message_is_the_real_one():
    (shown,) = [b for b in _readme_blocks("text") if "does not conform" in b]
    namespace: dict[str, Any] = {}
    exec(compile(_readme_example(), "README.md", "exec"), namespace)
    with pytest.raises(ContractViolation) as caught:
        assert_conforms(
            "agentlens",
            **GET_SESSION,
            response_body={**namespace["SESSION"], "tags": "prod"},
            security=True,
        )
    assert str(caught.value) == shown.strip()


@pytest.mark.parametrize(
    "request_headers",
    [
        pytest.param(None, id="none"),
        pytest.param({"Accept": "application/json"}, id="no-credential-among-them"),
        pytest.param(AUTH, id="dict"),
        pytest.param(list(AUTH.items()), id="pairs"),
        pytest.param(httpx.Headers({"authorization": "bearer k"}), id="httpx-headers"),
    ],
)
def test_a_conforming_pair_passes_with_or_without_request_headers(request_headers):
    assert_conforms(
        "agentlens",
        method="get",
        url="http://localhost:61234/api/sessions/sess_1",
        status=200,
        response_body=SESSION,
        request_headers=request_headers,
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"sessions": [], "total": 0, "hasMore": false}', id="bytes"),
        pytest.param('{"sessions": [], "total": 0, "hasMore": false}', id="json-text"),
        pytest.param({"sessions": [], "total": 0, "hasMore": False}, id="parsed"),
    ],
)
def test_a_body_is_taken_as_bytes_text_or_parsed_json(body):
    url = "/api/sessions?limit=1&agentId=a"
    assert exchange_errors("agentlens", method="GET", url=url, status=200, response_body=body) == []


def test_security_true_without_a_credential_fails_with_one_clear_message():
    with pytest.raises(ContractViolation) as caught:
        assert_conforms("agentlens", **GET_SESSION, response_body=SESSION, security=True)
    message = str(caught.value)
    assert message == (
        "GET /api/sessions/sess_1 -> 200 (getSession, GET /api/sessions/{id}) "
        f"does not conform to the agentlens spec:\n  - {NO_CREDENTIAL}"
    )
    assert "Security not found" not in message


@pytest.mark.parametrize(
    ("request_headers", "security", "expected"),
    [
        pytest.param({"Authorization": "Basic dTpw"}, "auto", [NO_CREDENTIAL], id="wrong-form"),
        pytest.param({"Authorization": "Bearer "}, "auto", [NO_CREDENTIAL], id="empty-token"),
        pytest.param({"Authorization": "Basic dTpw"}, False, [], id="never-judged"),
        pytest.param({"Accept": "*/*"}, "auto", [], id="auto-nothing-to-judge"),
        pytest.param({"Accept": "*/*"}, True, [NO_CREDENTIAL], id="always-judged"),
    ],
)
def test_security_is_judged_as_asked(request_headers, security, expected):
    errors = exchange_errors(
        "agentlens",
        **GET_SESSION,
        response_body=SESSION,
        request_headers=request_headers,
        security=security,
    )
    assert errors == expected


@pytest.mark.parametrize(
    ("api", "url", "request_headers"),
    [
        pytest.param("state-tracking", "/sessions", {"X-API-Key": "k"}, id="api-key-header"),
        pytest.param("state-tracking", "/sessions", {"Authorization": "Bearer k"}, id="bearer"),
        pytest.param(
            "fasting",
            "/api/sessions",
            {"Cookie": "theme=dark; authjs.session-token=t"},
            id="cookie",
        ),
        pytest.param(
            "fasting", "/api/sessions", [("cookie", "__Secure-authjs.session-token=t")], id="https"
        ),
    ],
)
def test_any_of_the_operations_alternatives_is_a_credential(api, url, request_headers):
    errors = exchange_errors(
        api, method="GET", url=url, status=200, request_headers=request_headers, security=True
    )
    assert not [e for e in errors if e.startswith("request")], errors


def test_every_alternative_is_named_when_none_is_met():
    errors = exchange_errors(
        "fasting", method="GET", url="/api/sessions", status=200, response_body={}, security=True
    )
    assert errors[0] == (
        "request: no credential for security scheme sessionCookie (cookie authjs.session-token) "
        "or bearerAuth (Authorization: Bearer …): pass request_headers=… or security=False"
    )


def test_a_non_conforming_body_fails_naming_each_field_once():
    body = {**SESSION, "eventCount": "many"}
    del body["agentId"]
    with pytest.raises(ContractViolation) as caught:
        assert_conforms("agentlens", **GET_SESSION, response_body=body, request_headers=AUTH)
    lines = str(caught.value).splitlines()
    assert lines[1:] == [
        "  - response body: 'agentId' is a required property",
        "  - response body at eventCount: 'many' is not of type 'integer'",
    ]


@pytest.mark.parametrize(
    ("exchange", "expected"),
    [
        pytest.param(
            {"url": "/api/sessions?limit=abc", "response_body": {"sessions": [], "total": 0}},
            [
                "request query parameter limit: Failed to cast value to integer type: abc",
                "response body: 'hasMore' is a required property",
            ],
            id="request-and-response-sides",
        ),
        pytest.param(
            {"url": "/api/sessions/sess_1", "status": 418, "response_body": {}},
            [
                "response: status 418 is not declared for getSession "
                "(declared: 200, 401, 404, 431, 500)"
            ],
            id="undeclared-status",
        ),
        pytest.param(
            {"url": "/api/sesions/sess_1"},
            [
                "request: no path of the spec matches /api/sesions/sess_1 "
                "(closest: /api/sessions/{id}, /api/sessions/{id}/timeline, /api/sessions)"
            ],
            id="unknown-path",
        ),
        pytest.param(
            {"method": "DELETE", "url": "/api/sessions"},
            ["request: /api/sessions has no DELETE operation (it allows GET)"],
            id="unknown-method",
        ),
        pytest.param(
            {"url": "/api/sessions/sess_1", "response_body": "<html>"},
            ["response body: Failed to deserialize value with application/json mimetype: <html>"],
            id="not-json",
        ),
    ],
)
def test_each_departure_is_named_once_by_its_side(exchange, expected):
    exchange = {"method": "GET", "status": 200, "request_headers": AUTH, **exchange}
    assert exchange_errors("agentlens", **exchange) == expected
    with pytest.raises(ContractViolation) as caught:
        assert_conforms("agentlens", **exchange)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith(f"{exchange['method']} {exchange['url']} -> {exchange['status']}")
    assert lines[1:] == [f"  - {e}" for e in expected]


def _documented(api: str, method: str, path: str, status: str) -> Any:
    """The spec's own example of a response (so it conforms)."""
    response = get_api(api).operation(method, path)["responses"][status]
    return response["content"]["application/json"]["examples"]["documented"]["value"]


def test_the_request_body_is_judged_only_when_given():
    exchange: dict[str, Any] = {"method": "POST", "url": "/sessions", "status": 400}
    exchange["response_body"] = _documented("state-tracking", "post", "/sessions", "400")
    assert exchange_errors("state-tracking", **exchange) == []
    assert exchange_errors("state-tracking", **exchange, request_body=b'{"project_id": 1}') == [
        "request body: 'machine_id' is a required property",
        "request body at project_id: 1 is not of type 'string'",
    ]


def test_the_response_headers_are_judged_only_when_given():
    exchange: dict[str, Any] = {"method": "GET", "url": "/sessions", "status": 429}
    exchange["response_body"] = _documented("state-tracking", "get", "/sessions", "429")
    assert exchange_errors("state-tracking", **exchange) == []
    headers = {"Content-Type": "application/json"}
    assert exchange_errors("state-tracking", **exchange, response_headers=headers) == [
        "response header Retry-After: required, missing"
    ]
    headers["Retry-After"] = "23"
    assert exchange_errors("state-tracking", **exchange, response_headers=headers) == []


@pytest.mark.parametrize("with_credential", [True, False], ids=["with-credential", "without"])
def test_exchanges_recorded_from_a_mock_conform(mock_client, with_credential):
    client = mock_client("state-tracking")
    auth = {"Authorization": "Bearer st_mockgate_dev_key"}
    client.post(
        "/machines", json={"machine_id": "m", "hostname": "m", "docker_slots": [1]}, headers=auth
    )
    created = client.post("/sessions", json={"project_id": "123", "machine_id": "m"}, headers=auth)
    listed = client.get("/sessions?limit=5", headers=auth)
    for response in (created, listed):
        request = response.request
        headers = request.headers if with_credential else {"Content-Type": "application/json"}
        assert_conforms(
            "state-tracking",
            method=request.method,
            url=str(request.url),
            status=response.status_code,
            request_headers=headers,
            request_body=request.content or None,
            response_headers=response.headers,
            response_body=response.content,
            security=with_credential,
        )
