"""A mock's docs over HTTP: Swagger UI at ``/docs/`` and the JSON spec at ``/openapi.json`` on
every API (state-tracking's documented paths too), the mock's own URL first in the served
``servers``, and pages titled with their API (the admin UI with the mock's)."""

from __future__ import annotations

import re

import pytest

from mockgate.mockserver.docs import DocsApp
from mockgate.openapi.catalog import get_api

APIS = ["agentlens", "fasting", "piorchestrator", "state-tracking"]


def title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page)
    assert found is not None, "the page has no <title>"
    return found.group(1)


@pytest.mark.parametrize("name", APIS, ids=APIS)
def test_every_api_serves_swagger_ui_at_docs_and_its_spec_at_openapi_json(mock_client, name):
    client = mock_client(name)
    spec = get_api(name)
    for path in ("/docs/", "/docs", "/docs/index.html"):
        page = client.get(path, follow_redirects=False)
        assert page.status_code == 200, path
        assert title(page.text) == spec.title
        assert 'url: "/openapi.json"' in page.text
    assert '<base href="/docs/">' in client.get("/docs").text  # its relative links still resolve
    assert client.get("/docs/swagger-ui.css").status_code == 200
    served = client.get("/openapi.json").json()
    assert served["info"] == spec.document["info"]
    assert served["paths"].keys() == spec.document["paths"].keys()


@pytest.mark.parametrize(
    "path", ["/api/docs", "/api/docs/", "/api/docs/index.html"], ids=["bare", "slash", "index"]
)
def test_state_tracking_keeps_its_documented_swagger_ui(mock_client, path):
    client = mock_client("state-tracking")
    page = client.get(path, follow_redirects=False)
    assert page.status_code == 200
    assert title(page.text) == "Claude Projects State Tracking API"
    # The page's assets resolve under the documented path too.
    assert client.get("/api/docs/swagger-ui-bundle.js").status_code == 200


def test_state_tracking_serves_one_json_spec_at_every_path(mock_client):
    client = mock_client("state-tracking")
    bodies = {
        path: client.get(path).content
        for path in ("/openapi.json", "/api/docs/openapi.json", "/api/docs-json")
    }
    assert len(set(bodies.values())) == 1


@pytest.mark.parametrize(
    ("base_url", "own"),
    [
        pytest.param("http://localhost:3400", "http://localhost:3400", id="localhost"),
        pytest.param("http://127.0.0.1:8123", "http://127.0.0.1:8123", id="ip-and-port"),
        pytest.param("https://api.localhost", "https://api.localhost", id="https-no-port"),
    ],
)
def test_the_served_spec_lists_the_mocks_own_url_first(mock_client, base_url, own):
    client = mock_client("state-tracking")
    client.base_url = base_url
    servers = client.get("/openapi.json").json()["servers"]
    assert servers[0]["url"] == own
    # The document's own servers follow, for a client generated from the JSON.
    assert servers[1:] == get_api("state-tracking").document["servers"]


def test_the_documents_own_server_is_not_listed_twice(mock_client):
    client = mock_client("agentlens")
    client.base_url = "http://localhost:3400"  # the document's own server
    servers = client.get("/openapi.json").json()["servers"]
    assert [server["url"] for server in servers] == ["http://localhost:3400"]


def test_a_request_without_host_gets_the_documents_servers():
    spec = get_api("fasting")
    assert DocsApp(spec).served_document(None)["servers"] == spec.document["servers"]


def test_the_served_spec_keeps_its_references_for_client_generators(mock_client):
    served = mock_client("fasting").get("/openapi.json").json()
    assert served["components"] == get_api("fasting").document["components"]
    assert "$ref" in str(served["paths"])


def test_the_admin_ui_is_titled_with_its_mocks_api(mock_client):
    titles = set()
    for name in APIS:
        client = mock_client(name)
        expected = f"mockgate admin — {name}"
        assert title(client.get("/__mockgate/ui/").text) == expected
        assert client.get("/__mockgate/openapi.json").json()["info"]["title"] == expected
        titles.add(expected)
    assert len(titles) == len(APIS)


def test_docs_requests_are_not_journaled(mock_client):
    client = mock_client("agentlens")
    client.get("/docs/")
    client.get("/openapi.json")
    assert client.get("/__mockgate/requests").json()["requests"] == []
