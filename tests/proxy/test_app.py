"""The proxy through HTTP: a non-conformant upstream is reported, a conformant one is not, bytes
pass through untouched, and the proxy's own answers come in the API's error shape."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import httpx
import pytest
from openapi_schema_validator import OAS30Validator
from starlette.middleware.gzip import GZipMiddleware
from starlette.testclient import TestClient

from mockgate.apis.context import MockOptions
from mockgate.core.clock import Clock
from mockgate.mockserver.app import context_of, create_app
from mockgate.openapi.catalog import get_api
from mockgate.proxy.report import to_json, write_report
from tests.proxy.conftest import UPSTREAM as UPSTREAM_URL
from tests.proxy.upstreams import AGENTLENS_AUTH, broken_upstream, refusing_upstream

START = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
DOCS_NOW = datetime(2026, 2, 20, 10, 10, tzinfo=UTC)  # the piorchestrator documents' moment
IMAGE = "/api/v1/evidence/image"
BEFORE_OPEN_KEY = "evidence/ctr-001/sess-abc123/BEFORE_OPEN_20260220T100005_01234567.jpg"


def assert_error_shape(api: str, response: httpx.Response, status: int) -> dict:
    """The proxy's own answer: ``status``, JSON in ``api``'s documented Error schema."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    schema = get_api(api).resolved["components"]["schemas"]["Error"]
    OAS30Validator(schema).validate(body)
    return body


# The mocks are served as UPSTREAM's host, which they answer only when told.
AS_UPSTREAM = (urlsplit(UPSTREAM_URL).hostname or "",)


def agentlens_mock():
    return create_app(
        "agentlens", MockOptions(allowed_hosts=AS_UPSTREAM), clock=Clock(START, frozen=True)
    )


def test_a_non_conformant_response_is_recorded_with_its_exchange(through_proxy):
    client = through_proxy("agentlens", broken_upstream())
    response = client.get("/api/sessions?limit=5", headers=AGENTLENS_AUTH)
    # Recorded, not replaced: without --strict the client sees what the upstream sent.
    assert response.status_code == 200
    assert response.json()["sessions"][0]["id"] == 7

    listed = client.get("/__mockgate/violations").json()
    assert (listed["exchanges"], listed["dropped"]) == (1, 0)
    (violation,) = listed["violations"]
    assert violation["operation"] == "listSessions"
    assert violation["request"] == []
    assert violation["response"] == ["body at sessions/0/id: 7 is not of type 'string'"]
    exchange = violation["exchange"]
    assert (exchange["method"], exchange["path"], exchange["query"]) == (
        "GET",
        "/api/sessions",
        "limit=5",
    )
    assert exchange["status"] == 200
    assert exchange["response_body"].startswith('{"sessions":[{"id":7,"agentId":"agent"')
    assert exchange["request_headers"]["authorization"] == "[redacted]"
    assert violation["replaced"] is False


@pytest.mark.parametrize(
    ("api", "path", "headers", "expected"),
    [
        pytest.param(
            "agentlens",
            "/api/sessions",
            AGENTLENS_AUTH,
            "body at sessions/0/id: 7 is not of type 'string'",
            id="agentlens-body",
        ),
        pytest.param(
            "piorchestrator",
            f"{IMAGE}?key={BEFORE_OPEN_KEY}",
            {},
            "Content-Type image/png is not declared for 200 (declared: image/jpeg)",
            id="piorchestrator-image-type",
        ),
    ],
)
def test_strict_answers_a_violating_response_with_a_502_that_says_why(
    through_proxy, api, path, headers, expected
):
    client = through_proxy(api, broken_upstream(), strict=True)
    response = client.get(path, headers=headers)
    body = assert_error_shape(api, response, 502)
    message = body["error"]
    assert f"breaks the {api} spec" in message
    assert expected in message
    assert "GET /__mockgate/violations" in message
    (violation,) = client.get("/__mockgate/violations").json()["violations"]
    assert violation["replaced"] is True
    assert response.headers["x-mockgate-violation"] == str(violation["id"])


def test_a_violating_request_is_still_forwarded_and_blamed_on_the_client(through_proxy):
    client = through_proxy("agentlens", agentlens_mock(), strict=True)
    response = client.get("/api/sessions?limit=abc", headers=AGENTLENS_AUTH)
    # The upstream refused it as the spec says it must: nothing to replace.
    assert response.status_code == 400
    (violation,) = client.proxy.violations
    assert violation.request == (
        "query parameter limit: Failed to cast value to integer type: abc",
    )
    assert violation.response == ()
    assert not violation.replaced


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("application/json", b"\xff\xfe{", id="not-utf-8"),
        pytest.param("application/json", b"[" * 100_000, id="nested-too-deep"),
        pytest.param("text/plain;;;==", b"hi", id="garbled-content-type"),
    ],
)
def test_a_malformed_request_is_forwarded_and_recorded_never_a_proxy_failure(
    through_proxy, content_type, body
):
    client = through_proxy("agentlens", agentlens_mock())
    headers = {**AGENTLENS_AUTH, "Content-Type": content_type}
    response = client.post("/api/events", content=body, headers=headers)
    assert response.status_code == 400  # the upstream's refusal, passed on
    (violation,) = client.proxy.violations
    assert violation.operation == "ingestEvents"
    assert violation.request
    assert violation.response == ()


def test_malformed_requests_the_upstream_refuses_are_the_clients_not_the_upstreams(
    through_proxy, tmp_path
):
    """A request the spec does not allow (answered 400, as it must be) and a path the spec does
    not have (404): the client's, counted apart; the upstream conforms, in every report."""
    client = through_proxy("agentlens", agentlens_mock(), strict=True)
    statuses = [
        client.get("/api/sessions?limit=abc", headers=AGENTLENS_AUTH).status_code,
        client.get("/api/nope", headers=AGENTLENS_AUTH).status_code,
        client.get("/api/sessions?limit=abc", headers=AGENTLENS_AUTH).status_code,
        client.get("/api/sessions", params={"limit": 2}, headers=AGENTLENS_AUTH).status_code,
    ]
    assert statuses == [400, 404, 400, 200]
    listed = client.get("/__mockgate/violations").json()
    counts = ("exchanges", "upstream_violations", "client_requests_outside_contract")
    assert tuple(listed[name] for name in counts) == (4, 0, 3)
    assert [v["response"] for v in listed["violations"]] == [[], [], []]

    store = client.proxy.violations
    report = to_json(store, api="agentlens", upstream=UPSTREAM_URL, strict=True)
    assert (report["verdict"], report["findings"]) == ("conforms", [])
    assert set(report["operations"]["listSessions"]) == {"response_conforms"}
    apart = report["skipped"]
    assert apart[0].startswith("3 client request(s) outside the contract")
    assert (
        "client request outside the contract · listSessions: query parameter limit: Failed to "
        "cast value to integer type: abc (2 request(s), e.g. GET /api/sessions?limit=abc -> 400)"
    ) in apart
    junit = tmp_path / "proxy.xml"
    write_report(store, junit, api="agentlens", upstream=UPSTREAM_URL, strict=True, elapsed=1)
    suite = ET.parse(junit).getroot().find("testsuite")
    assert (suite.get("failures"), suite.get("errors")) == ("0", "0")
    assert any("(not in spec)" in (s.get("message") or "") for s in suite.iter("skipped"))


@pytest.mark.parametrize("strict", [False, True], ids=["recording", "strict"])
def test_an_undeclared_refusal_of_a_malformed_request_is_not_held_against_the_upstream(
    through_proxy, strict
):
    """The spec declares what answers a request in the contract: a 422 (no agentlens operation
    declares it) for one outside it is the upstream's to choose; for one inside, a violation."""
    client = through_proxy("agentlens", refusing_upstream(422), strict=strict)
    malformed = client.get("/api/sessions?limit=abc", headers=AGENTLENS_AUTH)
    assert malformed.status_code == 422  # passed on, --strict or not
    (violation,) = client.proxy.violations
    assert (violation.request != (), violation.response) == (True, ())

    wellformed = client.get("/api/sessions?limit=5", headers=AGENTLENS_AUTH)
    assert wellformed.status_code == (502 if strict else 422)
    _, upstreams = client.proxy.violations
    assert upstreams.request == ()
    assert upstreams.response
    assert client.proxy.violations.upstream_violations == 1


def test_a_request_without_credentials_is_the_clients_violation(through_proxy):
    client = through_proxy("agentlens", agentlens_mock())
    assert client.get("/api/sessions").status_code == 401
    (violation,) = client.proxy.violations
    assert violation.request[0].startswith("credentials: Security not found")
    assert violation.response == ()  # the upstream's 401 is what the spec declares


@pytest.mark.parametrize(
    ("method", "path", "reason"),
    [
        pytest.param("GET", "/api/nope", "no such path", id="unknown-path"),
        pytest.param("DELETE", "/api/sessions", "/api/sessions allows GET", id="unknown-method"),
    ],
)
def test_a_request_the_spec_does_not_have_is_forwarded_and_recorded(
    through_proxy, method, path, reason
):
    seen = []
    client = through_proxy("agentlens", broken_upstream(seen), strict=True)
    response = client.request(method, path, headers=AGENTLENS_AUTH)
    assert response.status_code == 404  # the upstream's answer, never replaced: nothing to judge
    assert response.json() == {"error": "not found", "status": 404}
    assert [(r["method"], r["path"]) for r in seen] == [(method, path)]
    (violation,) = client.proxy.violations
    assert violation.operation == "(not in spec)"
    assert violation.request == (f"{method} {path} is not in the agentlens spec: {reason}",)


def test_a_conformant_upstream_gives_no_violations(through_proxy):
    client = through_proxy("agentlens", agentlens_mock(), strict=True)
    listed = client.get("/api/sessions", params={"limit": 3}, headers=AGENTLENS_AUTH)
    assert listed.status_code == 200
    session_id = listed.json()["sessions"][0]["id"]
    requests = [
        client.get(f"/api/sessions/{session_id}", headers=AGENTLENS_AUTH),
        client.get(f"/api/sessions/{session_id}/timeline", headers=AGENTLENS_AUTH),
        client.get(
            "/api/sessions", params={"status": "error", "offset": 2}, headers=AGENTLENS_AUTH
        ),
        client.get("/api/sessions/sess_missing", headers=AGENTLENS_AUTH),
    ]
    assert [r.status_code for r in requests] == [200, 200, 200, 404]
    assert client.get("/__mockgate/violations").json() == {
        "exchanges": 5,
        "upstream_violations": 0,
        "client_requests_outside_contract": 0,
        "violations": [],
        "dropped": 0,
        "not_judged": [],
    }


@pytest.mark.parametrize(
    ("api", "paths"),
    [
        pytest.param(
            "state-tracking",
            ["/sessions", "/tasks", "/machines", "/health/detailed", "/api/docs", "/sessions/x"],
            id="state-tracking",
        ),
        pytest.param(
            "piorchestrator",
            ["/api/v1/diagnostics/sessions", "/api/v1/sessions?limit=2", f"{IMAGE}?key=a.jpg"],
            id="piorchestrator",
        ),
        pytest.param("fasting", ["/api/sessions", "/api/sessions?pageSize=5"], id="fasting"),
    ],
)
def test_every_mock_passes_its_own_proxy(through_proxy, api, paths):
    options = MockOptions(api_keys=["key"], allowed_hosts=AS_UPSTREAM)
    mock = create_app(api, options, clock=Clock(START, frozen=True))
    users = context_of(mock).store.values("users") if api == "fasting" else []
    token = users[0]["token"] if users else "key"
    client = through_proxy(api, mock, strict=True)
    for path in paths:
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (200, 404), (path, response.text)
    assert list(client.proxy.violations) == []
    assert client.proxy.violations.exchanges == len(paths)


def test_an_image_passes_through_byte_identical_with_its_headers(through_proxy):
    options = MockOptions(dataset="docs", allowed_hosts=AS_UPSTREAM)
    mock = create_app("piorchestrator", options, clock=Clock(DOCS_NOW, frozen=True))
    client = through_proxy("piorchestrator", mock)
    with TestClient(mock, base_url="http://localhost") as upstream:
        expected = upstream.get(IMAGE, params={"key": BEFORE_OPEN_KEY})
    response = client.get(IMAGE, params={"key": BEFORE_OPEN_KEY})
    assert response.status_code == 200
    assert response.content == expected.content
    assert len(response.content) == 245_760
    for name in ("content-type", "content-length", "etag", "cache-control"):
        assert response.headers[name] == expected.headers[name]
    assert list(client.proxy.violations) == []
    assert client.proxy.violations.exchanges == 1


def test_a_compressed_body_reaches_the_client_as_sent_and_is_judged_decoded(through_proxy):
    client = through_proxy("agentlens", GZipMiddleware(agentlens_mock(), minimum_size=0))
    response = client.get("/api/sessions", headers={**AGENTLENS_AUTH, "Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["sessions"]
    assert list(client.proxy.violations) == []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_upstream_is_a_502_naming_it(through_proxy):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = through_proxy("agentlens", httpx.AsyncHTTPTransport(), url=url)
    response = client.get("/api/sessions", headers=AGENTLENS_AUTH)
    body = assert_error_shape("agentlens", response, 502)
    assert body["error"].startswith(f"The upstream {url} could not be reached")
    assert list(client.proxy.violations) == []


def test_an_upstream_that_does_not_answer_in_time_is_a_504(through_proxy):
    def never(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = through_proxy("state-tracking", httpx.MockTransport(never), timeout=2)
    response = client.get("/sessions", headers={"X-API-Key": "k"})
    body = assert_error_shape("state-tracking", response, 504)
    assert body["message"] == "The upstream http://upstream.test did not answer within 2 s"


def test_a_request_body_over_the_bound_is_refused_with_413_and_not_forwarded(through_proxy):
    seen = []
    client = through_proxy("agentlens", broken_upstream(seen), max_request_bytes=100)
    response = client.post("/api/events", content=b"x" * 101, headers=AGENTLENS_AUTH)
    body = assert_error_shape("agentlens", response, 413)
    assert "100 bytes" in body["error"]
    assert seen == []


def test_a_text_response_over_the_validation_cap_passes_unjudged(through_proxy):
    client = through_proxy("agentlens", broken_upstream(), validate_max_bytes=100, strict=True)
    response = client.get("/api/sessions", headers=AGENTLENS_AUTH)
    # Passed on as sent, its violation unseen (not even --strict can replace it).
    assert (response.status_code, response.json()["sessions"][0]["id"]) == (200, 7)
    listed = client.get("/__mockgate/violations").json()
    assert (listed["violations"], listed["upstream_violations"]) == ([], 0)
    assert listed["not_judged"] == [
        {
            "operation": "listSessions",
            "reason": "too large",
            "count": 1,
            "exchange": "GET /api/sessions -> 200",
            "detail": f"too large ({len(response.content)} bytes, cap 100)",
        }
    ]


def test_a_compressed_body_over_the_validation_cap_once_decoded_passes_unjudged(through_proxy):
    upstream = GZipMiddleware(agentlens_mock(), minimum_size=0)
    client = through_proxy("agentlens", upstream, validate_max_bytes=4000)
    response = client.get("/api/sessions", headers={**AGENTLENS_AUTH, "Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) < 4000 < len(response.content)
    (entry,) = client.get("/__mockgate/violations").json()["not_judged"]
    assert entry["detail"] == "too large (more than 4000 bytes decoded)"


def test_headers_are_forwarded_as_a_reverse_proxy_should(through_proxy):
    seen = []
    client = through_proxy("agentlens", broken_upstream(seen))
    client.get(
        "/echo",
        headers={
            **AGENTLENS_AUTH,
            "Connection": "keep-alive, X-Hop",
            "X-Hop": "private to this hop",
            "X-Forwarded-For": "10.0.0.1",
            "X-Custom": "kept",
        },
    )
    (received,) = seen
    headers = received["headers"]
    assert headers["host"] == "upstream.test"
    assert headers["authorization"] == AGENTLENS_AUTH["Authorization"]  # the client's credential
    assert headers["x-custom"] == "kept"
    assert headers["x-forwarded-for"] == "10.0.0.1, testclient"
    assert headers["x-forwarded-host"] == "localhost"
    assert "x-hop" not in headers
    assert "connection" not in headers


def test_redirects_reach_the_client_unfollowed(through_proxy):
    seen = []
    client = through_proxy("agentlens", broken_upstream(seen))
    response = client.get("/redirect", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/api/sessions"
    assert len(seen) == 1


def test_the_violations_endpoint_is_the_proxys_own(through_proxy):
    seen = []
    client = through_proxy("agentlens", broken_upstream(seen))
    client.get("/api/sessions", headers=AGENTLENS_AUTH)
    assert len(client.get("/__mockgate/violations").json()["violations"]) == 1
    assert client.get("/__mockgate/state").status_code == 404
    refused = client.post("/__mockgate/violations")
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET, DELETE")
    assert client.delete("/__mockgate/violations").status_code == 204
    assert client.get("/__mockgate/violations").json() == {
        "exchanges": 0,
        "upstream_violations": 0,
        "client_requests_outside_contract": 0,
        "violations": [],
        "dropped": 0,
        "not_judged": [],
    }
    assert [r["path"] for r in seen] == ["/api/sessions"]  # nothing under /__mockgate forwarded


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example:4010"},
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
    ids=["rebound-host", "foreign-origin", "cross-site-fetch"],
)
def test_the_violations_endpoint_refuses_other_pages(through_proxy, headers):
    client = through_proxy("agentlens", broken_upstream([]))
    client.get("/api/sessions", headers=AGENTLENS_AUTH)
    for method in ("GET", "DELETE"):
        refused = client.request(method, "/__mockgate/violations", headers=headers)
        assert refused.status_code == 403, method
        assert "access-control-allow-origin" not in refused.headers
    assert len(client.get("/__mockgate/violations").json()["violations"]) == 1  # kept


def test_a_cors_preflight_is_passed_on_and_not_judged(through_proxy):
    client = through_proxy("agentlens", agentlens_mock())
    response = client.options(
        "/api/sessions",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200  # the mock's CORS answer, passed on
    assert response.headers["access-control-allow-origin"] == "*"
    assert list(client.proxy.violations) == []
    assert client.proxy.violations.exchanges == 0


def test_head_where_the_spec_has_get_is_passed_on_and_not_judged(through_proxy):
    seen = []
    client = through_proxy("agentlens", broken_upstream(seen))
    response = client.head("/api/sessions", headers=AGENTLENS_AUTH)
    assert response.status_code == 200
    assert [r["method"] for r in seen] == ["HEAD"]
    assert list(client.proxy.violations) == []  # its GET twin would be one
