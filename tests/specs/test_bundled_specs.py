"""The four bundled specs are valid, loadable and hold to mockgate's conventions."""

from __future__ import annotations

import re
from typing import Any

import connexion
import pytest

from mockgate.openapi.catalog import HTTP_METHODS, ApiSpec, bundled_apis
from mockgate.openapi.speccheck import check_spec

DOCUMENTED_PORTS = {
    "agentlens": 3400,
    "fasting": 3001,
    "piorchestrator": 8082,
    "state-tracking": 3000,
}
PAGING_PARAMETERS = {"limit", "pageSize"}


def test_exactly_the_four_apis_are_bundled():
    assert tuple(bundled_apis()) == tuple(sorted(DOCUMENTED_PORTS))


def test_spec_passes_every_check(api):
    """openapi-spec-validator, prance resolution, operationIds, 2xx, every example valid."""
    assert [str(p) for p in check_spec(api.path)] == []


def test_spec_bundles_with_prance(api):
    bundled = api.bundle()
    assert bundled["openapi"].startswith("3.0.")
    assert bundled["paths"].keys() == api.document["paths"].keys()


def test_connexion_loads_spec(api):
    app = connexion.AsyncApp(__name__)
    app.add_api(api.path, name=api.name)


def test_servers_give_the_documented_port(api):
    assert api.default_port == DOCUMENTED_PORTS[api.name]


def test_every_operation_is_named_summarised_and_tagged(api):
    ids = [op.operation_id for op in api.operations]
    assert all(ids)
    handlers = [_snake(i) for i in ids]
    assert len(set(handlers)) == len(handlers), "operationIds must map to distinct handlers"
    declared_tags = {t["name"] for t in api.document.get("tags", [])}
    for op in api.operations:
        assert op.summary, f"{op.method} {op.path} has no summary"
        assert op.tags, f"{op.method} {op.path} has no tags"
        assert set(op.tags) <= declared_tags, f"{op.method} {op.path} tags {op.tags}"
        assert any(s.startswith("2") for s in op.statuses), f"{op.method} {op.path} has no 2xx"


def test_every_error_response_has_the_apis_error_shape(api):
    """4xx/5xx JSON bodies use the API's own error schema (or one built on it with ``allOf``, or,
    like a readiness probe's 503, the operation's own success schema), never a bare or missing
    one."""
    error = api.resolved["components"]["schemas"]["Error"]
    for op in api.operations:
        success = api.response_schema(op.method, op.path, _first_2xx(op.statuses))
        for status in op.statuses:
            if status[0] in "45":
                schema = api.response_schema(op.method, op.path, status)
                extends_error = error in (schema or {}).get("allOf", [])
                assert extends_error or schema in (error, success), (
                    f"{op.method} {op.path} {status}"
                )


def test_paging_limits_let_clamping_and_rejecting_servers_pass(api):
    """A max N is stated as x-mockgate-limit, not as a schema bound a clamping server would fail;
    the list it bounds carries maxItems N, so a server returning more than N fails."""
    found = 0
    for path, method, op in _operations(api):
        for param in op.get("parameters", []):
            if param["name"] not in PAGING_PARAMETERS:
                continue
            found += 1
            limit = param.get("x-mockgate-limit")
            assert limit, f"{method} {path} {param['name']} has no x-mockgate-limit"
            assert {"default", "maximum", "out_of_range", "mock"} <= limit.keys()
            assert "maximum" not in param["schema"]
            assert "minimum" not in param["schema"]
            max_items = [s["maxItems"] for s in _arrays(_ok_schema(op)) if "maxItems" in s]
            assert max_items == [limit["maximum"]], f"{method} {path}: maxItems {max_items}"
    assert found, "every bundled API has at least one paged list"


def test_links_point_to_operations_and_parameters_that_exist(api):
    ids = {op["operationId"]: op for _, _, op in _operations(api)}
    links = 0
    for path, method, op in _operations(api):
        for status, response in op.get("responses", {}).items():
            for name, link in response.get("links", {}).items():
                links += 1
                where = f"{method} {path} {status} link {name}"
                assert link.get("operationId") in ids, where
                target_params = {p["name"] for p in ids[link["operationId"]].get("parameters", [])}
                assert set(link.get("parameters", {})) <= target_params, where
                for expression in _link_expressions(link):
                    assert re.fullmatch(r"\$(response\.body#/[\w/~-]*|request\.\S+)", expression)
    assert links, "stateful conformance testing needs links"


@pytest.mark.parametrize(
    ("api_name", "source", "targets"),
    [
        pytest.param(
            "state-tracking",
            "createSession",
            {
                "getSession",
                "updateSession",
                "deleteSession",
                "markSessionFailed",
                "recoverSession",
                "archiveSession",
                "purgeSession",
                "getSessionTasks",
                "createTask",
                "markSessionStalled",
                "assignSessionToMachine",
                "releaseSessionFromMachine",
            },
            id="state-tracking-session",
        ),
        pytest.param(
            "state-tracking",
            "createMachine",
            {
                "machineHeartbeat",
                "assignSessionToMachine",
                "getMachine",
                "updateMachine",
                "deleteMachine",
                "releaseSessionFromMachine",
            },
            id="state-tracking-machine",
        ),
        pytest.param(
            "state-tracking",
            "createTask",
            {"startTask", "completeTask", "failTask", "getTask", "updateTask", "deleteTask"},
            id="state-tracking-task",
        ),
        pytest.param("agentlens", "listSessions", {"getSession"}, id="agentlens"),
        pytest.param("fasting", "listSessions", {"listSessions"}, id="fasting-next-page"),
    ],
)
def test_documented_workflows_are_linked(api_name, source, targets):
    api = bundled_apis()[api_name]
    op = next(op for _, _, op in _operations(api) if op["operationId"] == source)
    linked = {
        link["operationId"]
        for status, response in op["responses"].items()
        if status.startswith("2")
        for link in response.get("links", {}).values()
    }
    assert targets <= linked, f"missing links: {targets - linked}"


def test_state_tracking_auth_applies_everywhere_but_health_and_docs():
    api = bundled_apis()["state-tracking"]
    schemes = api.document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer"} | {
        k: v for k, v in schemes["bearerAuth"].items() if k not in ("type", "scheme")
    }
    assert {"type": "apiKey", "in": "header", "name": "X-API-Key"}.items() <= schemes[
        "apiKeyAuth"
    ].items()
    assert {"bearerAuth": []} in api.document["security"]
    assert {"apiKeyAuth": []} in api.document["security"]
    for path, method, op in _operations(api):
        public = path.startswith(("/health", "/api/docs"))
        assert (op.get("security") == []) == public, f"{method} {path}"
        statuses = set(op["responses"])
        if not public:
            assert {"401", "403", "429"} <= statuses, f"{method} {path}: {statuses}"
            assert "Retry-After" in op["responses"]["429"]["headers"]


def test_inferred_operations_are_marked():
    inferred = {
        (api.name, op.method, op.path)
        for api in bundled_apis().values()
        for op in api.operations
        if op.inferred
    }
    assert ("state-tracking", "POST", "/sessions/{id}/prepare-recovery") in inferred
    for method in ("GET", "PUT", "DELETE"):
        assert ("state-tracking", method, "/tasks/{id}") in inferred
        assert ("state-tracking", method, "/machines/{id}") in inferred
    assert {
        ("state-tracking", "POST", "/machines/{id}/release-session"),
        ("state-tracking", "POST", "/sessions/{id}/mark-stalled"),
        ("state-tracking", "GET", "/api/docs-json"),
    } <= inferred


def test_state_tracking_assign_session_may_answer_200_or_201():
    op = bundled_apis()["state-tracking"].operation("POST", "/machines/{id}/assign-session")
    documented, real = (op["responses"][s]["content"]["application/json"] for s in ("200", "201"))
    assert documented["schema"] == real["schema"]  # either status, the same answer


def test_piorchestrator_image_proxy_serves_jpeg_bytes():
    op = bundled_apis()["piorchestrator"].operation("GET", "/api/v1/evidence/image")
    content = op["responses"]["200"]["content"]
    assert content["image/jpeg"]["schema"] == {"type": "string", "format": "binary"} | {
        k: v for k, v in content["image/jpeg"]["schema"].items() if k not in ("type", "format")
    }
    assert op["parameters"][0]["name"] == "key"
    assert op["parameters"][0]["required"] is True


def _snake(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def _operations(api: ApiSpec) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, item[method])
        for path, item in api.resolved["paths"].items()
        for method in HTTP_METHODS
        if method in item
    ]


def _first_2xx(statuses: Any) -> str:
    return next(s for s in statuses if s.startswith("2"))


def _ok_schema(op: dict[str, Any]) -> dict[str, Any]:
    return op["responses"][_first_2xx(op["responses"])]["content"]["application/json"]["schema"]


def _arrays(schema: Any) -> list[dict[str, Any]]:
    """Every array schema inside ``schema`` (list items of nested objects excluded)."""
    if not isinstance(schema, dict):
        return []
    if schema.get("type") == "array":
        return [schema]
    found = []
    for child in schema.get("properties", {}).values():
        found += _arrays(child)
    for combined in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(combined, []):
            found += _arrays(child)
    return found


def _link_expressions(link: dict[str, Any]) -> list[str]:
    values = list(link.get("parameters", {}).values())
    body = link.get("requestBody")
    values += list(body.values()) if isinstance(body, dict) else [body] if body else []
    return [v for v in values if isinstance(v, str) and v.startswith("$")]
