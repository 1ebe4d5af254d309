"""Degradation: scenarios under which routes are not registered (like an older PiOrchestrator),
switched at start-up or through the admin API, and 503/500 through the fault controls."""

from __future__ import annotations

import pytest

from mockgate.apis.piorchestrator.degradation import SCENARIOS
from mockgate.core.clock import Clock
from tests.apis.piorchestrator.expect import DOCS_NOW, IMAGE, LIST, error, ok

KEY = "evidence/ctr-001/sess-abc123/BEFORE_OPEN_20260220T100005_01234567.jpg"
ROUTES = {
    "listDiagnosticSessions": LIST,
    "listSessions": "/api/v1/sessions",
    "getSessionEvidence": "/api/v1/sessions/sess-abc123/evidence",
    "getSessionEvidencePair": "/api/v1/sessions/sess-abc123/evidence/pair",
    "getEvidenceImage": f"{IMAGE}?key={KEY}",
}


def _docs(pi, **options):
    """The docs dataset at the documents' ``queried_at`` (the documented images are uploaded)."""
    return pi(dataset="docs", clock=Clock(DOCS_NOW, frozen=True), **options)


def _statuses(client):
    return {operation: client.get(path).status_code for operation, path in ROUTES.items()}


def test_the_scenarios_are_declared_with_what_they_do(demo):
    body = demo.get("/__mockgate/scenario").json()
    assert body == {"name": None, "available": SCENARIOS}
    assert set(SCENARIOS) == {
        "v1-unregistered",
        "sessions-unregistered",
        "image-proxy-unregistered",
    }


def test_v1_unregistered_answers_404_on_every_v1_route(pi):
    client = _docs(pi, scenario="v1-unregistered")
    for path in ROUTES.values():
        body = error(client.get(path), 404)
        assert (body["error"], body["code"]) == ("route not found", "NOT_FOUND")


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(LIST + "?limit=abc", id="bad-limit"),
        pytest.param(IMAGE + "?key=../etc/passwd", id="bad-key"),
        pytest.param(IMAGE, id="no-key"),
    ],
)
def test_an_unregistered_route_is_a_404_even_for_invalid_requests(pi, path):
    error(pi(scenario="v1-unregistered").get(path), 404)


def test_the_scenario_is_switched_through_the_admin_api(pi):
    client = _docs(pi)
    assert set(_statuses(client).values()) == {200}
    switched = client.put("/__mockgate/scenario", json={"name": "v1-unregistered"})
    assert switched.status_code == 200
    assert switched.json()["name"] == "v1-unregistered"
    assert set(_statuses(client).values()) == {404}
    assert client.put("/__mockgate/scenario", json={"name": None}).status_code == 200
    assert set(_statuses(client).values()) == {200}


def test_without_the_inferred_route_the_dashboard_falls_back_to_diagnostics(pi):
    client = _docs(pi, scenario="sessions-unregistered")
    statuses = _statuses(client)
    assert statuses.pop("listSessions") == 404
    assert set(statuses.values()) == {200}


def test_before_the_image_proxy_handoff_only_inline_images_show(pi):
    client = _docs(pi, scenario="image-proxy-unregistered")
    statuses = _statuses(client)
    assert statuses.pop("getEvidenceImage") == 404
    assert set(statuses.values()) == {200}


@pytest.mark.parametrize(
    ("operation", "status", "code"),
    [
        pytest.param("listDiagnosticSessions", 503, "SERVICE_UNAVAILABLE", id="list-503"),
        pytest.param("listDiagnosticSessions", 500, "INTERNAL_ERROR", id="list-500"),
        pytest.param("getSessionEvidence", 503, "SERVICE_UNAVAILABLE", id="evidence-503"),
        pytest.param("getSessionEvidencePair", 500, "INTERNAL_ERROR", id="pair-500"),
        pytest.param("getEvidenceImage", 503, "SERVICE_UNAVAILABLE", id="image-503"),
    ],
)
def test_faults_give_503_and_500_in_the_envelope_once(pi, operation, status, code):
    client = _docs(pi)
    fault = {"operation": operation, "status": status, "times": 1}
    assert client.post("/__mockgate/faults", json=fault).status_code == 201
    body = error(client.get(ROUTES[operation]), status)
    assert body["code"] == code
    assert client.get(ROUTES[operation]).status_code == 200


def test_the_dashboards_fallback_sees_the_same_sessions(pi):
    client = pi(scenario="sessions-unregistered")
    error(client.get("/api/v1/sessions"), 404)
    assert ok(client.get(LIST))["total"] == 26
