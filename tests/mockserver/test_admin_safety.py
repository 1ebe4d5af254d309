"""The admin API (``/__mockgate``) against the pages of the browser next to it: no cross-origin
reads, no cross-site writes, a JSON content type on writes, and ``--admin-token``."""

from __future__ import annotations

import json

import httpx
import pytest

from mockgate.apis.context import MockOptions
from mockgate.mockserver.admin import ADMIN
from mockgate.mockserver.app import context_of, create_app
from tests.live import serving

EVIL = {"Origin": "http://evil.example"}
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
AGENTLENS = {"Authorization": "Bearer als_mockgate_dev_key"}
FAULT = json.dumps({"operation": "*", "status": 500})  # a text/plain form can post this


def test_a_foreign_origin_cannot_read_the_state(mock_client):
    client = mock_client("fasting")
    response = client.get("/__mockgate/state", headers=EVIL)
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert response.json() == {
        "error": "The admin API refuses cross-origin requests (Origin: http://evil.example); "
        "to allow this origin, start the mock with --cors-origin http://evil.example",
        "status": 403,
    }


def test_the_api_keeps_answering_any_origin(mock_client):
    response = mock_client("agentlens").get("/api/sessions", headers=AGENTLENS | EVIL)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"


def test_a_foreign_preflight_for_a_state_write_is_refused(mock_client):
    preflight = {**EVIL, "Access-Control-Request-Method": "PUT"}
    response = mock_client("agentlens").options("/__mockgate/state", headers=preflight)
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-methods" not in response.headers


def test_a_cross_site_read_without_origin_is_refused(mock_client):
    response = mock_client("agentlens").get(
        "/__mockgate/state", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("cors", [pytest.param(True, id="cors"), pytest.param(False, id="no-cors")])
@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        pytest.param("/__mockgate/reset", FORM, "x=1", id="form-reset"),
        pytest.param("/__mockgate/faults", {"Content-Type": "text/plain"}, FAULT, id="text-fault"),
        # fetch(url, {method: "POST", mode: "no-cors", body: new Blob([...])}): no type at all.
        pytest.param("/__mockgate/faults", {}, FAULT, id="typeless-fault"),
    ],
)
def test_a_cross_site_form_post_changes_nothing(mock_client, cors, path, content_type, body):
    client = mock_client("agentlens", cors=cors)
    # Something a reset would undo.
    kept = {"operation": "getSession", "status": 503}
    assert client.post("/__mockgate/faults", json=kept).status_code == 201
    before = client.get("/__mockgate/state").json()
    refused = client.post(path, content=body, headers=content_type | EVIL)
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    assert client.get("/__mockgate/faults").json()["faults"][0]["operation"] == "getSession"
    assert len(client.ctx.faults) == 1
    assert client.get("/__mockgate/state").json() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("POST", "/__mockgate/reset", id="reset"),
        pytest.param("DELETE", "/__mockgate/requests", id="clear-journal"),
        pytest.param("DELETE", "/__mockgate/faults", id="clear-faults"),
    ],
)
def test_a_bodyless_write_needs_the_json_content_type(mock_client, method, path):
    client = mock_client("agentlens")
    refused = client.request(method, path)
    assert refused.status_code == 415
    assert refused.json() == {
        "error": f"{method} on the admin API needs the header Content-Type: application/json, "
        "with or without a body",
        "status": 415,
    }
    assert client.request(method, path, headers=JSON).status_code == 204


@pytest.mark.parametrize(
    "content_type",
    [pytest.param({"Content-Type": "text/plain"}, id="text"), pytest.param({}, id="typeless")],
)
def test_a_simple_write_from_a_browser_without_origin_is_refused(mock_client, content_type):
    """A browser that sends no ``Origin`` still cannot send JSON cross-site without asking."""
    client = mock_client("agentlens")
    refused = client.post("/__mockgate/faults", content=FAULT, headers=content_type)
    assert refused.status_code == 415
    assert len(client.ctx.faults) == 0


def test_the_mocks_own_swagger_ui_may_reset_without_a_content_type(mock_client):
    """Its bodyless calls carry no type, and the browser sets its ``Origin``: the mock's own."""
    client = mock_client("agentlens")
    own = {"Origin": "http://localhost"}
    assert client.post("/__mockgate/reset", headers=own).status_code == 204


def test_origins_given_with_cors_origin_may_use_the_admin(mock_client):
    app = "http://app.example:5173"
    client = mock_client("agentlens", cors_origins=[app])
    read = client.get("/__mockgate/state", headers={"Origin": app})
    assert read.status_code == 200
    assert read.headers["access-control-allow-origin"] == app
    assert read.headers["access-control-allow-credentials"] == "true"
    preflight = client.options(
        "/__mockgate/state",
        headers={
            "Origin": app,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == app
    assert client.get("/__mockgate/state", headers=EVIL).status_code == 403


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({}, 401, id="missing"),
        pytest.param({"X-Mockgate-Token": "wrong"}, 401, id="wrong"),
        pytest.param({"X-Mockgate-Token": "s3cret"}, 200, id="right"),
    ],
)
def test_an_admin_token_is_needed_on_every_admin_call(mock_client, headers, status):
    client = mock_client("agentlens", admin_token="s3cret")
    response = client.get("/__mockgate/state", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.json()["status"] == 401
        assert "X-Mockgate-Token" in response.json()["error"]
        assert "--admin-token" in response.json()["error"]


def test_with_a_token_writes_need_it_too_and_the_docs_do_not(mock_client):
    client = mock_client("agentlens", admin_token="s3cret")
    assert client.post("/__mockgate/reset", headers=JSON).status_code == 401
    token = {"X-Mockgate-Token": "s3cret"}
    assert client.post("/__mockgate/reset", headers=JSON | token).status_code == 204
    assert client.get("/__mockgate/openapi.json").status_code == 200
    assert client.get("/__mockgate/ui/").status_code == 200
    assert client.get("/api/sessions", headers=AGENTLENS).status_code == 200


def test_a_trusted_origin_sends_the_token_after_its_preflight(mock_client):
    app = "http://app.example:5173"
    client = mock_client("agentlens", cors_origins=[app], admin_token="s3cret")
    preflight = client.options(
        "/__mockgate/reset",
        headers={
            "Origin": app,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-mockgate-token",
        },
    )
    assert preflight.status_code == 200
    assert "x-mockgate-token" in preflight.headers["access-control-allow-headers"].lower()
    headers = {"Origin": app, "X-Mockgate-Token": "s3cret"} | JSON
    reset = client.post("/__mockgate/reset", headers=headers)
    assert reset.status_code == 204
    assert reset.headers["access-control-allow-origin"] == app


def test_the_admin_spec_declares_the_token_for_swagger_ui():
    document = ADMIN.document
    scheme = document["components"]["securitySchemes"]["adminToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == (
        "apiKey",
        "header",
        "X-Mockgate-Token",
    )
    assert "--admin-token" in scheme["description"]
    assert document["security"] == [{"adminToken": []}, {}]  # required only when set


def test_without_a_token_the_admin_needs_none(mock_client):
    assert mock_client("agentlens").get("/__mockgate/state").status_code == 200


def test_the_reproductions_are_refused_over_a_loopback_socket():
    """As the issue tried them, on a served port: a rebinding Host, a foreign read, a cross-site
    form post (with CORS off too): nothing read, nothing changed."""
    for cors in (True, False):
        app = create_app("fasting", MockOptions(cors=cors))
        with serving(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            state = client.get("/__mockgate/state")
            assert state.status_code == 200
            assert "token" in state.text  # what a page is after
            for refused in (
                client.get("/__mockgate/state", headers={"Host": "evil.example:3001"}),
                client.get("/__mockgate/state", headers=EVIL),
                client.options(
                    "/__mockgate/state", headers={**EVIL, "Access-Control-Request-Method": "PUT"}
                ),
                client.post("/__mockgate/faults", content=FAULT, headers=EVIL),
                client.post("/__mockgate/reset", content="x=1", headers=FORM | EVIL),
            ):
                assert refused.status_code == 403, refused.request
                assert "token" not in refused.text
                assert "access-control-allow-origin" not in refused.headers
            assert len(context_of(app).faults) == 0
            assert client.get("/__mockgate/state").json() == state.json()
