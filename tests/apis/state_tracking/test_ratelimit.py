"""Rate-limit windows on numbers (the clock is a float here), and each route's limits from the
spec: one bucket per API key and route."""

from __future__ import annotations

import pytest

from mockgate.apis.state_tracking.ratelimit import Limits, RateLimiter, limits_from_spec
from mockgate.openapi.catalog import get_api

T0 = 1_768_824_000.0  # 2026-01-19T12:00:00Z
MOST = Limits(60, 1000, "listSessions")
HEARTBEAT = Limits(120, 3000, "sessionHeartbeat")


def burst(limiter: RateLimiter, n: int, now: float = T0, key: str = "k", limits=MOST):
    return [limiter.hit(key, limits, now) for _ in range(n)]


def test_sixty_a_minute_then_refused_until_the_window_ends():
    limiter = RateLimiter()
    allowed = burst(limiter, 60)
    assert all(d.allowed for d in allowed)
    assert [d.remaining for d in allowed[:2]] == [59, 58]
    assert allowed[-1].remaining == 0
    assert {d.reset for d in allowed} == {int(T0) + 60}
    refused = limiter.hit("k", MOST, T0 + 37)
    assert refused.headers() == {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(T0) + 60),
        "Retry-After": "23",
    }
    assert limiter.hit("k", MOST, T0 + 59.5).retry_after == 1
    again = limiter.hit("k", MOST, T0 + 60)
    assert (again.allowed, again.remaining, again.reset) == (True, 59, int(T0) + 120)


def test_a_window_starts_with_its_first_request():
    limiter = RateLimiter()
    limiter.hit("k", MOST, T0 + 10.2)
    assert limiter.hit("k", MOST, T0 + 30).reset == int(T0) + 71  # 70.2 rounded up


def test_refused_requests_do_not_count():
    limiter = RateLimiter()
    burst(limiter, 60)
    burst(limiter, 500, T0 + 1)
    assert limiter.hit("k", MOST, T0 + 60).allowed


def test_routes_and_keys_have_their_own_buckets():
    limiter = RateLimiter()
    burst(limiter, 60)
    assert not limiter.hit("k", MOST, T0).allowed
    heartbeats = burst(limiter, 120, limits=HEARTBEAT)
    assert all(d.allowed for d in heartbeats)
    assert heartbeats[0].limit == 120
    assert not limiter.hit("k", HEARTBEAT, T0).allowed
    assert limiter.hit("other-key", MOST, T0).allowed


def test_two_routes_of_the_same_tier_do_not_share_a_bucket():
    limiter = RateLimiter()
    tasks = Limits(60, 1000, "listTasks")
    burst(limiter, 60)
    assert not limiter.hit("k", MOST, T0).allowed
    fresh = limiter.hit("k", tasks, T0)
    assert (fresh.allowed, fresh.remaining) == (True, 59)


def test_the_hourly_limit_holds_across_minutes():
    limiter = RateLimiter()
    for minute in range(16):
        assert all(d.allowed for d in burst(limiter, 60, T0 + minute * 60))
    last = burst(limiter, 40, T0 + 16 * 60)  # the 1000th request of the hour
    assert last[-1].allowed
    assert (last[-1].remaining, last[-1].reset) == (0, int(T0) + 3600)
    refused = limiter.hit("k", MOST, T0 + 17 * 60)
    assert not refused.allowed
    assert (refused.reset, refused.retry_after) == (int(T0) + 3600, 3600 - 17 * 60)
    assert limiter.hit("k", MOST, T0 + 3600).allowed


def test_a_clock_set_back_opens_a_fresh_window():
    limiter = RateLimiter()
    burst(limiter, 60)
    assert limiter.hit("k", MOST, T0 - 3600).allowed


def test_no_hourly_limit_and_zero_per_minute():
    limiter = RateLimiter()
    assert all(d.allowed for d in burst(limiter, 5, limits=Limits(5, None)))
    assert not limiter.hit("k", Limits(5, None), T0).allowed
    nothing = limiter.hit("z", Limits(0, None, "none"), T0)
    assert (nothing.allowed, nothing.retry_after) == (False, 60)


def test_memory_is_bounded():
    limiter = RateLimiter(max_buckets=3)
    for key in ("a", "b", "c", "d", "e"):
        limiter.hit(key, MOST, T0)
    assert len(limiter) == 3
    burst(limiter, 60, key="e")
    assert not limiter.hit("e", MOST, T0).allowed  # the recent ones are kept
    limiter.clear()
    assert len(limiter) == 0


def test_each_route_has_its_tiers_numbers_from_the_spec():
    routes = limits_from_spec(get_api("state-tracking").document)
    assert routes["listSessions"] == Limits(60, 1000, "listSessions")
    assert routes["createTask"] == Limits(60, 1000, "createTask")
    assert routes["releaseSessionFromMachine"] == Limits(60, 1000, "releaseSessionFromMachine")
    assert routes["sessionHeartbeat"] == Limits(120, 3000, "sessionHeartbeat")
    assert routes["machineHeartbeat"] == Limits(120, 3000, "machineHeartbeat")
    assert all(limits.route == route for route, limits in routes.items())
    unlimited = {"getHealth", "getReadiness", "getLiveness", "getDetailedHealth", "getSystemInfo"}
    assert unlimited | {"getApiDocs", "getOpenApiDocument", "getApiDocsJson"} == {
        op.operation_id for op in get_api("state-tracking").operations
    } - set(routes)


@pytest.mark.parametrize("operation", ["listSessions", "sessionHeartbeat"])
def test_n_per_minute_applies_to_every_route_without_an_hourly_limit(operation):
    routes = limits_from_spec(get_api("state-tracking").document, per_minute=5)
    assert routes[operation] == Limits(5, None, operation)
