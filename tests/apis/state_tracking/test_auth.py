"""Authentication on every operation of the spec: the protected ones refuse requests without a
valid key (401), accept either header, and read-only keys may only read."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from mockgate.apis.state_tracking import API
from mockgate.openapi.catalog import get_api
from tests.apis.state_tracking.factory import KEY

SPEC = get_api("state-tracking")
PUBLIC = {"getHealth", "getReadiness", "getLiveness", "getDetailedHealth", "getSystemInfo"}
DOCS = {"getApiDocs", "getOpenApiDocument", "getApiDocsJson"}
PROTECTED = [op for op in SPEC.operations if op.operation_id not in PUBLIC | DOCS]
WRITES = [op for op in PROTECTED if op.method != "GET"]


def call(client, op, headers: dict[str, str]):
    """``op`` on ids that match nothing, with an empty body where it takes one: nothing changes,
    whatever the credentials."""
    path = re.sub(r"\{[^}]+\}", "nope", op.path)
    body = {} if "requestBody" in SPEC.operation_by_id(op.operation_id) else None
    return client.request(op.method, path, headers=headers, json=body)


def test_the_spec_protects_all_but_health_and_docs():
    assert len(PROTECTED) == 35
    assert {op.operation_id for op in SPEC.operations} - {o.operation_id for o in PROTECTED} == (
        PUBLIC | DOCS
    )


@pytest.mark.parametrize("op", PROTECTED, ids=lambda op: op.operation_id)
def test_a_protected_operation_refuses_missing_and_wrong_keys(shared_demo, op):
    for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}):
        response = call(shared_demo, op, headers)
        assert response.status_code == 401, (headers, response.text)
        body = response.json()
        assert (body["statusCode"], body["error"]) == (401, "unauthorized")
        assert body["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("op", PROTECTED, ids=lambda op: op.operation_id)
def test_a_protected_operation_accepts_either_header(shared_demo, op):
    for headers in ({"X-API-Key": KEY}, {"Authorization": f"Bearer {KEY}"}):
        assert call(shared_demo, op, headers).status_code not in (401, 403)


@pytest.mark.parametrize(
    "path",
    [
        "/health",
        "/health/ready",
        "/health/live",
        "/health/detailed",
        "/health/system",
        "/api/docs",
        "/api/docs/openapi.json",
        "/api/docs-json",
    ],
)
def test_health_and_docs_are_public(shared_demo, path):
    assert shared_demo.get(path).status_code == 200


def test_a_read_only_key_reads(shared_demo):
    for op in PROTECTED:
        if op.method == "GET":
            response = call(shared_demo, op, {"Authorization": "Bearer ro_key"})
            assert response.status_code not in (401, 403), op.operation_id


def test_a_read_only_key_gets_403_on_every_write(shared_demo):
    for op in WRITES:
        response = call(shared_demo, op, {"X-API-Key": "ro_key"})
        assert response.status_code == 403, op.operation_id
        assert response.json()["error"] == "forbidden"


def test_read_only_keys_are_configured_with_a_prefix():
    ctx = SimpleNamespace(api_keys=("main", "readonly:viewer"))
    assert API.authenticate(ctx, "main").read_only is False
    assert API.authenticate(ctx, "viewer").read_only is True
    assert API.authenticate(ctx, "readonly:viewer") is None
    assert API.authenticate(ctx, "") is None
    assert API.credentials_help(ctx) == [
        "Authorization: Bearer main  or  X-API-Key: main",
        "Authorization: Bearer viewer  or  X-API-Key: viewer  (read-only)",
    ]
