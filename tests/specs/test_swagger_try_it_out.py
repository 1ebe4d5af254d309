"""Swagger UI's "Try it out" works on first click against the demo mock: the request it builds
from the specs' parameter examples (required parameters and examples filled in, as Swagger UI
pre-fills them) answers 2xx from ``mockgate serve``'s default demo data, after clicking
**Authorize** with the credential the banner prints.

An operation with a required parameter Swagger UI cannot pre-fill (no example, no default: the
user types it) is left out; every other GET is tried.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from mockgate.cli.serve import serve
from mockgate.core.clock import Clock
from mockgate.openapi.catalog import get_api
from tests.conftest import START, MockClient

APIS = ["agentlens", "fasting", "piorchestrator", "state-tracking"]
SERVE_SEED = next(param.default for param in serve.params if param.name == "seed")
# Path ids are the same whatever the clock (stable ids): try a start far from the default one.
CLOCKS = [pytest.param(START, id="start"), pytest.param(START + timedelta(days=90), id="later")]
_NOTHING = object()


def prefill(parameter: dict[str, Any]) -> Any:
    """What Swagger UI puts in a parameter's field: its first named example, its example, its
    schema's example, its schema's default; ``_NOTHING`` when it leaves the field empty."""
    if parameter.get("examples"):
        return next(iter(parameter["examples"].values())).get("value", _NOTHING)
    schema = parameter.get("schema", {})
    for holder, key in ((parameter, "example"), (schema, "example"), (schema, "default")):
        if key in holder:
            return holder[key]
    return _NOTHING


def text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def authorized(client: MockClient, document: dict[str, Any], operation: dict[str, Any]) -> dict:
    """Headers and cookies of the first security scheme the operation accepts, holding the
    credential the start-up banner prints (the API's key, or the first demo user's token)."""
    requirements = operation.get("security", document.get("security", []))
    if not requirements or not requirements[0]:
        return {}
    ctx = client.ctx
    credential = ctx.api_keys[0] if ctx.api_keys else next(iter(ctx.store.values("users")))["token"]
    scheme = document["components"]["securitySchemes"][next(iter(requirements[0]))]
    if scheme["type"] == "http":
        return {"headers": {"Authorization": f"Bearer {credential}"}}
    where = "cookies" if scheme["in"] == "cookie" else "headers"
    return {where: {scheme["name"]: credential}}


def swagger_request(path: str, parameters: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The request "Try it out" sends with its pre-filled fields (None: it needs typing)."""
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    for parameter in parameters:
        value = prefill(parameter)
        if value is _NOTHING:
            if parameter.get("required"):
                return None
            continue
        where = parameter["in"]
        if where == "path":
            path = path.replace(f"{{{parameter['name']}}}", text(value))
        elif where == "query":
            query[parameter["name"]] = text(value)
        elif where == "header":
            headers[parameter["name"]] = text(value)
    return {"url": path, "params": query, "headers": headers}


@pytest.mark.parametrize("clock_start", CLOCKS)
@pytest.mark.parametrize("name", APIS, ids=APIS)
def test_every_get_answers_2xx_with_the_fields_swagger_ui_prefills(mock_client, name, clock_start):
    client = mock_client(name, seed=SERVE_SEED, clock=Clock(clock_start, frozen=True))
    document = get_api(name).resolved
    tried, failed = [], []
    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
        request = swagger_request(path, parameters)
        if request is None:
            continue
        auth = authorized(client, document, operation)
        request["headers"] |= auth.get("headers", {})
        client.cookies.clear()
        client.cookies.update(auth.get("cookies", {}))
        response = client.get(**request)
        tried.append(operation["operationId"])
        if not 200 <= response.status_code < 300:
            failed.append(f"{operation['operationId']} {response.request.url}: {response.text}")
    assert failed == []
    assert tried, "no operation was tried"


def test_only_a_parameter_without_a_stable_value_is_left_for_the_user_to_type():
    # Object keys carry the capture's time: no example stays valid as the clock runs.
    untried = [
        (name, operation["operationId"], parameter["name"])
        for name in APIS
        for path, item in get_api(name).resolved["paths"].items()
        if (operation := item.get("get")) is not None
        for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]
        if parameter.get("required") and prefill(parameter) is _NOTHING
    ]
    assert untried == [("piorchestrator", "getEvidenceImage", "key")]
