"""What every mock does, through its HTTP surface: errors in the API's shape, the admin API,
faults, Prefer, CORS, docs, self-validation, determinism."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest

from mockgate.apis.context import MockOptions
from mockgate.apis.datasets import DatasetError
from mockgate.core.replies import Reply
from mockgate.mockserver.app import context_of, create_app

AGENTLENS = {"Authorization": "Bearer als_mockgate_dev_key"}
STATE = {"X-API-Key": "st_mockgate_dev_key"}
LOCAL = "http://localhost"  # a Host the mocks answer
JSON = {"Content-Type": "application/json"}  # what a write to the admin API carries

# Each API's error shape, as its spec's Error schema requires it.
SHAPES = {
    "agentlens": {"error", "status"},
    "fasting": {"error"},
    "piorchestrator": {"success", "error", "code"},
    "state-tracking": {"statusCode", "error", "message", "request_id", "timestamp", "path"},
}


@pytest.mark.parametrize("api", sorted(SHAPES))
def test_unknown_route_is_a_404_in_the_apis_own_shape(mock_client, api):
    response = mock_client(api).get("/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert SHAPES[api] <= response.json().keys()
    assert "problem" not in response.text


@pytest.mark.parametrize(
    ("api", "method", "path", "allow"),
    [
        pytest.param("agentlens", "delete", "/api/sessions", "GET", id="agentlens"),
        pytest.param("state-tracking", "patch", "/sessions", "GET, POST", id="state-tracking"),
        pytest.param(
            "state-tracking", "post", "/sessions/abc", "DELETE, GET, PUT", id="templated-path"
        ),
    ],
)
def test_wrong_method_is_a_405_with_the_complete_allow_header(
    mock_client, api, method, path, allow
):
    response = mock_client(api).request(method, path, headers=AGENTLENS | STATE)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert SHAPES[api] <= response.json().keys()


def test_a_malformed_query_names_the_parameter(mock_client):
    response = mock_client("agentlens").get("/api/sessions?limit=ten", headers=AGENTLENS)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["details"] == [{"path": "limit", "message": "'ten' is not of type 'integer'"}]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b'{"events": ["\xff"]}', "Request body is not valid UTF-8 text", id="utf8"),
        pytest.param(b'{"events": [', "Request body is not valid JSON", id="json"),
        pytest.param(b"", "Request body must not be empty", id="empty"),
        pytest.param(b'{"events": []}', "Invalid body field: body.events", id="schema"),
    ],
)
def test_bad_bodies_are_400s_never_500s(mock_client, content, message):
    response = mock_client("agentlens").post(
        "/api/events", content=content, headers=AGENTLENS | {"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


def test_state_tracking_errors_carry_request_id_in_body_and_header(mock_client):
    response = mock_client("state-tracking").get("/sessions")  # no key
    assert response.status_code == 401
    body = response.json()
    assert body["statusCode"] == 401
    assert body["error"] == "unauthorized"
    assert body["path"] == "/sessions"
    assert body["request_id"] == response.headers["x-request-id"]


def test_a_client_request_id_is_echoed(mock_client):
    response = mock_client("piorchestrator").get(
        "/api/v1/diagnostics/sessions", headers={"X-Request-Id": "trace-42"}
    )
    assert response.headers["x-request-id"] == "trace-42"


def test_a_handler_crash_is_a_500_in_the_apis_shape(mock_client, monkeypatch):
    client = mock_client("agentlens")

    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(client.ctx.api.handlers, "get_session", broken)
    app = create_app("agentlens", clock=client.ctx.clock)
    from starlette.testclient import TestClient

    response = TestClient(app, base_url=LOCAL, raise_server_exceptions=False).get(
        "/api/sessions/x", headers=AGENTLENS
    )
    assert response.status_code == 500
    assert response.json() == {"error": "The mock failed: RuntimeError: boom", "status": 500}


def test_the_journal_records_requests_with_credentials_redacted(mock_client):
    client = mock_client("agentlens")
    client.get("/api/sessions?limit=2&status=active", headers=AGENTLENS)
    client.get("/api/sessions/nope", headers=AGENTLENS)
    entries = client.get("/__mockgate/requests").json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/api/sessions", 200),
        ("GET", "/api/sessions/nope", 404),
    ]
    assert entries[0]["query"] == {"limit": ["2"], "status": ["active"]}
    assert entries[0]["operation_id"] == "listSessions"
    assert "als_mockgate_dev_key" not in json.dumps(entries)
    assert client.delete("/__mockgate/requests", headers=JSON).status_code == 204
    assert client.get("/__mockgate/requests").json() == {"requests": []}


def test_faults_fail_an_operation_a_given_number_of_times(mock_client):
    client = mock_client("state-tracking")
    fault = {"operation": "listSessions", "status": 503, "times": 2}
    created = client.post("/__mockgate/faults", json=fault)
    assert created.status_code == 201
    statuses = [client.get("/sessions", headers=STATE).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert client.get("/__mockgate/faults").json() == {"faults": []}


def test_a_fault_for_an_unknown_operation_is_refused_with_the_known_ones(mock_client):
    response = mock_client("fasting").post(
        "/__mockgate/faults", json={"operation": "listSesions", "status": 500}
    )
    assert response.status_code == 400
    assert "listSessions" in response.json()["error"]


@pytest.mark.parametrize(
    ("prefer", "status", "check"),
    [
        pytest.param("code=404", 404, lambda b: b["error"] == "Session not found", id="code"),
        pytest.param(
            "example=tampered-chain", 200, lambda b: b["chainValid"] is False, id="example"
        ),
        pytest.param("dynamic=true", 200, lambda b: isinstance(b["events"], list), id="dynamic"),
        pytest.param("delay=5", 200, lambda b: "events" in b, id="delay"),
    ],
)
def test_prefer_header_picks_the_response(mock_client, prefer, status, check):
    client = mock_client("agentlens")
    sid = client.get("/api/sessions?limit=1", headers=AGENTLENS).json()["sessions"][0]["id"]
    response = client.get(f"/api/sessions/{sid}/timeline", headers=AGENTLENS | {"Prefer": prefer})
    assert response.status_code == status
    assert check(response.json())


def test_prefer_does_not_bypass_authentication(mock_client):
    response = mock_client("agentlens").get("/api/sessions", headers={"Prefer": "code=200"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("prefer", "message"),
    [
        pytest.param("example=nope", "nope", id="unknown-example"),
        pytest.param("code=abc", "expected an HTTP status", id="bad-code"),
    ],
)
def test_an_impossible_prefer_is_a_400_saying_why(mock_client, prefer, message):
    response = mock_client("agentlens").get("/api/sessions", headers=AGENTLENS | {"Prefer": prefer})
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_the_clock_can_be_read_moved_set_frozen_and_sped_up(mock_client):
    client = mock_client("agentlens")
    assert client.get("/__mockgate/clock").json() == {
        "now": "2026-01-19T12:00:00.000Z",
        "frozen": True,
        "speed": 1.0,
    }
    moved = client.post("/__mockgate/clock", json={"advance": "1h30m"}).json()
    assert moved["now"] == "2026-01-19T13:30:00.000Z"
    moved = client.post("/__mockgate/clock", json={"set": "2026-03-01T00:00:00Z"}).json()
    assert moved["now"] == "2026-03-01T00:00:00.000Z"
    changed = client.post("/__mockgate/clock", json={"freeze": False, "speed": 60}).json()
    assert (changed["frozen"], changed["speed"]) == (False, 60.0)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"advance": "soon"}, id="bad-duration"),
        pytest.param({"set": "yesterday"}, id="bad-instant"),
        pytest.param({"speed": 0}, id="zero-speed"),
        pytest.param({"rewind": "1h"}, id="unknown-field"),
    ],
)
def test_a_bad_clock_change_is_a_400_and_changes_nothing(mock_client, body):
    client = mock_client("agentlens")
    response = client.post("/__mockgate/clock", json=body)
    assert response.status_code == 400
    assert response.json()["status"] == 400
    assert client.ctx.clock.now().isoformat() == "2026-01-19T12:00:00+00:00"


def test_state_export_import_and_reset(mock_client):
    client = mock_client("agentlens")
    state = client.get("/__mockgate/state").json()
    sid = next(iter(state["sessions"]))
    del state["sessions"][sid]
    assert client.put("/__mockgate/state", json=state).status_code == 204
    assert client.get(f"/api/sessions/{sid}", headers=AGENTLENS).status_code == 404
    assert client.post("/__mockgate/reset", headers=JSON).status_code == 204
    assert client.get(f"/api/sessions/{sid}", headers=AGENTLENS).status_code == 200


def test_state_import_refuses_a_malformed_document(mock_client):
    response = mock_client("agentlens").put("/__mockgate/state", json={"sessions": []})
    assert response.status_code == 400


def test_cors_preflight_from_a_browser_app_on_another_port(mock_client):
    response = mock_client("agentlens").options(
        "/api/sessions",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


def test_cors_with_credentials_needs_an_explicit_origin(mock_client):
    client = mock_client("fasting", cors_origins=["http://localhost:5173"])
    response = client.get("/api/sessions", headers={"Origin": "http://localhost:5173"})
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert response.headers["access-control-allow-credentials"] == "true"


def test_no_cors_means_no_cors_headers(mock_client):
    response = mock_client("agentlens", cors=False).get(
        "/api/sessions", headers=AGENTLENS | {"Origin": "http://localhost:5173"}
    )
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("api", "ui", "spec"),
    [
        pytest.param("state-tracking", "/api/docs/", "/api/docs/openapi.json", id="state"),
        pytest.param("agentlens", "/docs/", "/openapi.json", id="agentlens"),
    ],
)
def test_swagger_ui_and_the_json_spec(mock_client, api, ui, spec):
    client = mock_client(api)
    assert "swagger" in client.get(ui).text.lower()
    assert client.get(spec).json()["openapi"] == "3.0.3"
    assert "swagger" in client.get("/__mockgate/ui/").text.lower()


@pytest.mark.parametrize(
    "shape",
    [
        # A value: judged as the handler returned it (JsonResponse carries it to the check).
        pytest.param(lambda body: (body, 200), id="value"),
        # Bytes only: judged by parsing them back.
        pytest.param(
            lambda body: Reply(200, "application/json", json.dumps(body).encode()), id="bytes"
        ),
    ],
)
def test_self_validation_catches_a_response_that_breaks_the_spec(mock_client, monkeypatch, shape):
    client = mock_client("agentlens")

    async def wrong(ctx, id_):
        return shape({"id": id_})  # a Session without its required fields

    monkeypatch.setattr(client.ctx.api.handlers, "get_session", wrong)
    app = create_app("agentlens", MockOptions(validate_responses=True), clock=client.ctx.clock)
    from starlette.testclient import TestClient

    response = TestClient(app, base_url=LOCAL).get("/api/sessions/x", headers=AGENTLENS)
    assert response.status_code == 500
    assert "broke its own spec" in response.json()["error"]
    (violation,) = context_of(app).violations
    assert "GET /api/sessions/x -> 200" in violation


def test_same_seed_and_start_give_the_same_bytes(mock_client):
    first = mock_client("agentlens", seed=7).get("/api/sessions", headers=AGENTLENS)
    second = mock_client("agentlens", seed=7).get("/api/sessions", headers=AGENTLENS)
    other = mock_client("agentlens", seed=8).get("/api/sessions", headers=AGENTLENS)
    assert first.content == second.content
    assert first.content != other.content


def test_an_operation_without_a_handler_answers_with_its_example(mock_client, monkeypatch):
    from mockgate.apis.base import load_api

    monkeypatch.setattr(load_api("agentlens"), "handlers", SimpleNamespace())
    response = mock_client("agentlens").get("/api/sessions/anything", headers=AGENTLENS)
    assert response.status_code == 200
    assert response.json()["id"] == "sess_01HXYZ"  # the spec's documented example


def test_a_dataset_file_is_loaded(tmp_path, mock_client):
    client = mock_client("agentlens", dataset="docs")
    state = client.get("/__mockgate/state").json()
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    loaded = mock_client("agentlens", dataset=str(path))
    response = loaded.get("/api/sessions/sess_01HXYZ", headers=AGENTLENS)
    assert response.json()["eventCount"] == 47


def test_a_bad_dataset_file_names_each_problem_with_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "sessions:\n  s1:\n    id: s1\n    status: paused\nwidgets: {}\n", encoding="utf-8"
    )
    with pytest.raises(DatasetError) as caught:
        create_app("agentlens", MockOptions(dataset=str(path)))
    text = str(caught.value)
    assert "bad.yaml:2:3: at sessions.s1: not a valid Session:" in text
    assert (
        "bad.yaml:4:5: at sessions.s1.status: not a valid Session: 'paused' is not one of" in text
    )
    assert "bad.yaml:5:1: at widgets: unknown collection; agentlens has sessions, timelines" in text


def test_an_unknown_dataset_name_is_refused():
    with pytest.raises(DatasetError, match="not one of demo, docs, empty and not a file"):
        create_app("fasting", MockOptions(dataset="big"))


def test_the_clock_drives_time_in_responses(mock_client):
    client = mock_client("agentlens")
    client.ctx.clock.advance(timedelta(hours=2))
    assert client.get("/__mockgate/health").json()["now"] == "2026-01-19T14:00:00.000Z"
