"""The Host check on every route of a mock: API, docs and admin (DNS rebinding refused)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mockgate.mockserver.app import docs_paths
from tests.conftest import MockClient
from tests.mockserver.test_app import SHAPES

# A list operation of each API (no id to know), with the credential its mock accepts.
READS = {
    "agentlens": ("/api/sessions", {"Authorization": "Bearer als_mockgate_dev_key"}),
    "fasting": ("/api/sessions", {}),
    "piorchestrator": ("/api/v1/sessions", {}),
    "state-tracking": ("/sessions", {"X-API-Key": "st_mockgate_dev_key"}),
}
REBOUND = {"Host": "evil.example:3400"}


def read(client: MockClient, api: str) -> tuple[str, dict[str, str]]:
    path, auth = READS[api]
    if api == "fasting":  # a seeded user's token
        token = client.ctx.store.values("users")[0]["token"]
        auth = {"Authorization": f"Bearer {token}"}
    return path, auth


@pytest.mark.parametrize("api", sorted(READS))
def test_a_rebinding_host_is_refused_on_the_api_in_its_own_shape(mock_client, api):
    client = mock_client(api)
    path, auth = read(client, api)
    assert client.get(path, headers=auth).status_code == 200
    response = client.get(path, headers=auth | REBOUND)
    assert response.status_code == 403
    assert SHAPES[api] <= response.json().keys()
    assert "--allowed-host evil.example" in response.text
    assert response.headers["x-request-id"]
    # Refused before anything else: not even journaled.
    assert [e.headers.get("host") for e in client.ctx.journal.entries()] == ["localhost"]


@pytest.mark.parametrize("api", sorted(READS))
def test_a_rebinding_host_is_refused_on_the_docs_in_the_apis_shape(mock_client, api):
    client = mock_client(api)
    for path in docs_paths(api):
        assert client.get(path).status_code == 200
        response = client.get(path, headers=REBOUND)
        assert response.status_code == 403, path
        assert SHAPES[api] <= response.json().keys()


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/__mockgate/state", id="state"),
        pytest.param("/__mockgate/openapi.json", id="admin-spec"),
        pytest.param("/__mockgate/ui/", id="admin-ui"),
    ],
)
def test_a_rebinding_host_is_refused_on_the_admin_in_the_admins_shape(mock_client, path):
    client = mock_client("fasting")
    assert client.get(path).status_code == 200
    response = client.get(path, headers=REBOUND)
    assert response.status_code == 403
    assert response.json().keys() == {"error", "status"}
    assert "tokens" not in response.text


def test_a_rebinding_host_cannot_write_either(mock_client):
    client = mock_client("agentlens")
    before = client.get("/__mockgate/state").json()
    refused = client.post(
        "/__mockgate/faults", json={"operation": "*", "status": 500}, headers=REBOUND
    )
    assert refused.status_code == 403
    assert client.post("/__mockgate/reset", headers=REBOUND).status_code == 403
    assert len(client.ctx.faults) == 0
    assert client.get("/__mockgate/state").json() == before


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("localhost", id="localhost"),
        pytest.param("localhost:3400", id="localhost-port"),
        pytest.param("127.0.0.1:3400", id="ipv4"),
        pytest.param("[::1]:3400", id="ipv6"),
        pytest.param("app.localhost:3400", id="localhost-subdomain"),
        pytest.param("myapp.test", id="allowed-host"),
        pytest.param("api.example.test:8443", id="allowed-subdomain"),
    ],
)
def test_loopback_names_addresses_and_allowed_hosts_are_served(mock_client, host):
    client = mock_client("agentlens", allowed_hosts=["myapp.test", ".example.test"])
    path, auth = READS["agentlens"]
    assert client.get(path, headers=auth | {"Host": host}).status_code == 200
    assert client.get("/__mockgate/health", headers={"Host": host}).status_code == 200


def call_without_host(app: Any, path: str, http_version: str) -> int:
    """The status of a GET of ``path`` carrying no Host header (no client library sends one)."""
    scope = {
        "type": "http",
        "http_version": http_version,
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [],
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=10))
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


@pytest.mark.parametrize(
    ("version", "status"),
    [pytest.param("1.1", 403, id="http-1.1"), pytest.param("1.0", 200, id="http-1.0")],
)
def test_a_request_without_host_is_refused_on_http_1_1(mock_client, version, status):
    client = mock_client("piorchestrator")
    assert call_without_host(client.app, "/api/v1/sessions", version) == status
