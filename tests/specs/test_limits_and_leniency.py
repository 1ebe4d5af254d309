"""What the specs say a conforming server may do beyond the mock: refuse a request over a size
limit of its own (413/414/431, declared where they can happen) and accept values the documents
never promise to refuse (``x-mockgate-lenient``, a paging ``invalid`` other than ``reject``)."""

from __future__ import annotations

from typing import Any

import pytest

from mockgate.contracts.leniency import is_lenient, limit_refusal
from mockgate.openapi.catalog import ApiSpec, bundled_apis
from mockgate.openapi.jsonlimits import MAX_DEPTH, MAX_NUMBER

METHODS = ("get", "put", "post", "delete", "patch")


def _operations(api: ApiSpec) -> list[tuple[str, str, dict[str, Any], list[dict[str, Any]]]]:
    return [
        (
            path,
            method,
            item[method],
            [*item.get("parameters", []), *item[method].get("parameters", [])],
        )
        for path, item in api.resolved["paths"].items()
        for method in METHODS
        if method in item
    ]


def test_every_spec_states_the_mocks_size_limits(api: ApiSpec) -> None:
    limits = api.document["x-mockgate-limits"]
    assert (limits["body_bytes"], limits["query_bytes"]) == (10 * 1024 * 1024, 8 * 1024)
    assert (limits["head_bytes"], limits["head_lines"]) == (64 * 1024, 200)


def test_every_spec_states_the_json_the_mock_stores_as_the_code_does(api: ApiSpec) -> None:
    limits = api.document["x-mockgate-limits"]
    assert (limits["json_depth"], limits["json_number_max"]) == (MAX_DEPTH, MAX_NUMBER)


def test_size_limits_are_declared_where_they_can_happen(api: ApiSpec) -> None:
    error = api.resolved["components"]["schemas"]["Error"]
    for path, method, op, params in _operations(api):
        expected = {"431"}
        if "requestBody" in op:
            expected.add("413")
        if any(p["in"] == "query" for p in params):
            expected.add("414")
        declared = {s for s in op["responses"] if s in ("413", "414", "431")}
        assert declared == expected, f"{method.upper()} {path}"
        for status in declared:
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema == error, f"{method.upper()} {path} {status}"
            assert limit_refusal(op, int(status))
    assert not limit_refusal({"responses": {"400": {}}}, 400)


LENIENT = {
    ("agentlens", "listSessions"): {"from", "to", "offset", "limit"},
    ("piorchestrator", "listDiagnosticSessions"): {"limit"},
    ("piorchestrator", "listSessions"): {"limit"},
    ("fasting", "listSessions"): {"pageSize"},
}


@pytest.mark.parametrize(
    ("api_name", "operation_id"),
    [pytest.param(*key, id=f"{key[0]}-{key[1]}") for key in LENIENT]
    + [pytest.param("state-tracking", "listSessions", id="state-tracking-listSessions")],
)
def test_the_query_values_a_document_never_promises_to_refuse_are_lenient(
    api_name: str, operation_id: str
) -> None:
    operation = bundled_apis()[api_name].operation_by_id(operation_id)
    lenient = {p["name"] for p in operation["parameters"] if is_lenient(p)}
    # state-tracking's document promises "400 Bad Request: Invalid query parameters".
    assert lenient == LENIENT.get((api_name, operation_id), set())


def test_state_tracking_body_values_its_document_never_promises_to_refuse_are_lenient() -> None:
    api = bundled_apis()["state-tracking"]

    def lenient(operation_id: str) -> set[str]:
        body = api.operation_by_id(operation_id)["requestBody"]["content"]["application/json"]
        properties = body["schema"]["properties"]
        return {name for name, prop in properties.items() if prop.get("x-mockgate-lenient")}

    assert lenient("createSession") == {"machine_id", "docker_slot"}
    assert lenient("createMachine") == {"machine_id", "hostname", "docker_slots"}
    assert lenient("markSessionStalled") == {"reason"}
    # The document's own validation example: "project_id should not be empty".
    assert lenient("createTask") == set()
