"""Rate limits through HTTP: one budget per API key and route with its tier's numbers, headers,
the 429 envelope, and what does not count; time is moved on the mock's clock, never slept."""

from __future__ import annotations

from datetime import timedelta

from tests.apis.state_tracking.factory import AUTH, KEY

RESET = "1768824060"  # START (2026-01-19T12:00:00Z) + 60 s, in Unix seconds


def limits(response) -> tuple[str | None, str | None, str | None]:
    headers = response.headers
    return (
        headers.get("x-ratelimit-limit"),
        headers.get("x-ratelimit-remaining"),
        headers.get("x-ratelimit-reset"),
    )


def test_sixty_a_minute_then_429_until_the_window_ends(tracking):
    client = tracking(rate_limit=None)
    answers = [client.get("/sessions") for _ in range(60)]
    assert {r.status_code for r in answers} == {200}
    assert [limits(r) for r in answers[:2]] == [("60", "59", RESET), ("60", "58", RESET)]
    assert limits(answers[-1]) == ("60", "0", RESET)

    client.ctx.clock.advance(timedelta(seconds=37))
    refused = client.get("/sessions")
    assert refused.status_code == 429
    assert limits(refused) == ("60", "0", RESET)
    assert refused.headers["retry-after"] == "23"
    body = refused.json()
    assert body == {
        "statusCode": 429,
        "error": "rate_limit_exceeded",
        "message": "Too many requests - rate limit exceeded",
        "request_id": refused.headers["x-request-id"],
        "timestamp": "2026-01-19T12:00:37.000Z",
        "path": "/sessions",
        "retry_after": 23,
    }
    client.ctx.clock.advance(timedelta(seconds=23))
    again = client.get("/sessions")
    assert again.status_code == 200
    assert limits(again) == ("60", "59", "1768824120")


def test_heartbeat_routes_have_the_higher_tier(tracking):
    client = tracking(rate_limit=None)
    beats = [client.post("/machines/nope/heartbeat") for _ in range(120)]
    assert {r.status_code for r in beats} == {404}  # refusals count, and carry the headers
    assert limits(beats[0]) == ("120", "119", RESET)
    assert limits(beats[-1]) == ("120", "0", RESET)
    assert client.post("/machines/nope/heartbeat").status_code == 429


def test_each_route_has_its_own_budget(tracking):
    """Per route, as the real server's throttler counts: an exhausted route leaves the others
    of its tier, and the other tier, untouched."""
    client = tracking(rate_limit=None)
    for _ in range(60):
        client.get("/machines")
    assert client.get("/machines").status_code == 429
    for path in ("/sessions", "/tasks", "/machines/available"):
        fresh = client.get(path)
        assert (fresh.status_code, limits(fresh)) == (200, ("60", "59", RESET)), path
    beat = client.post("/sessions/nope/heartbeat")
    assert (beat.status_code, limits(beat)) == (404, ("120", "119", RESET))
    for _ in range(119):
        client.post("/sessions/nope/heartbeat")
    assert client.post("/sessions/nope/heartbeat").status_code == 429
    assert client.post("/machines/nope/heartbeat").status_code == 404  # the other heartbeat


def test_health_docs_admin_and_unauthenticated_requests_do_not_count(tracking):
    client = tracking(rate_limit=None)
    for _ in range(61):
        assert limits(client.get("/health")) == (None, None, None)
        anonymous = client.get("/sessions", headers={"Authorization": "Bearer wrong"})
        assert anonymous.status_code == 401
        assert limits(anonymous) == (None, None, None)
    for path in ("/__mockgate/health", "/api/docs/openapi.json", "/health/ready"):
        assert limits(client.get(path)) == (None, None, None)
    assert limits(client.get("/sessions", headers=AUTH)) == ("60", "59", RESET)


def test_each_key_has_its_own_budget(tracking):
    client = tracking(rate_limit=None, api_keys=[KEY, "second-key"])
    for _ in range(60):
        client.get("/tasks")
    assert client.get("/tasks").status_code == 429
    other = client.get("/tasks", headers={"Authorization": "", "X-API-Key": "second-key"})
    assert (other.status_code, limits(other)[1]) == (200, "59")


def test_n_per_minute_for_every_limited_route(tracking):
    client = tracking(rate_limit="3")
    assert [client.get("/sessions").status_code for _ in range(4)] == [200, 200, 200, 429]
    beats = [client.post("/sessions/nope/heartbeat").status_code for _ in range(4)]
    assert beats == [404, 404, 404, 429]
    assert limits(client.get("/machines")) == ("3", "2", RESET)  # a route of its own


def test_off_means_no_limits_and_no_headers(tracking):
    client = tracking(rate_limit="off")
    answers = [client.get("/sessions") for _ in range(70)]
    assert {r.status_code for r in answers} == {200}
    assert limits(answers[-1]) == (None, None, None)


def test_a_faulted_request_is_answered_before_it_counts(tracking):
    client = tracking(rate_limit="1")
    client.post("/__mockgate/faults", json={"operation": "listSessions", "status": 500, "times": 2})
    assert [client.get("/sessions").status_code for _ in range(3)] == [500, 500, 200]
    assert client.get("/sessions").status_code == 429
