"""Pacing by the target's rate-limit answers: wait for an empty bucket's reset, wait Retry-After
after a 429, every wait bounded."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest

from mockgate.contracts.conformance import ConformanceOptions
from mockgate.contracts.pacing import Pacer
from mockgate.contracts.runner import Target, VerifyOptions, verify
from mockgate.contracts.session import ProbeSession, RateLimited
from mockgate.core.clock import Clock
from mockgate.openapi.catalog import get_api
from tests.conftest import START, build_app
from tests.contracts.conftest import SEED, describe

NOW = 1_800_000_000.0  # Fri, 15 Jan 2027 08:00:00 GMT
KEY = "GET /sessions"


class FakeTime:
    def __init__(self) -> None:
        self.now = NOW
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pacer(time: FakeTime, **limits: float) -> Pacer:
    return Pacer(clock=time.clock, sleep=time.sleep, **limits)


def bucket(remaining: int, reset: float) -> dict[str, str]:
    return {"x-ratelimit-remaining": str(remaining), "x-ratelimit-reset": str(int(reset))}


def test_a_bucket_with_room_sends_at_once() -> None:
    time = FakeTime()
    p = pacer(time)
    p.before(KEY)
    assert p.observe(KEY, 200, bucket(3, NOW + 40)) is None
    p.before(KEY)
    assert time.slept == []


def test_an_empty_bucket_waits_for_its_reset_and_only_its_own_operation() -> None:
    time = FakeTime()
    p = pacer(time)
    p.observe(KEY, 200, bucket(0, NOW + 12))
    p.before("GET /tasks")
    assert time.slept == []
    p.before(KEY)
    assert time.slept == [12.0]
    p.before(KEY)  # the reset has come: no second wait
    assert time.slept == [12.0]


def test_an_answer_without_rate_limit_headers_forgets_nothing() -> None:
    time = FakeTime()
    p = pacer(time)
    p.observe(KEY, 200, bucket(0, NOW + 5))
    p.observe(KEY, 401, {})  # e.g. a request without a credential, outside the key's bucket
    p.before(KEY)
    assert time.slept == [5.0]


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after": "7"} | bucket(0, NOW + 30), 7.0),
        ({"retry-after": "Tue, 15 Jan 2027 08:00:09 GMT"}, 9.0),
        (bucket(0, NOW + 4), 4.0),
        ({}, 1.0),
        (bucket(0, NOW - 100), 0.5),  # the server's clock is not ours: still a pause
    ],
    ids=["retry-after-seconds", "retry-after-date", "reset-only", "no-hint", "reset-in-the-past"],
)
def test_a_429_is_waited_out_before_it_is_resent(headers: dict[str, str], wait: float) -> None:
    time = FakeTime()
    p = pacer(time)
    assert p.observe(KEY, 429, headers) == pytest.approx(wait)
    p.before(KEY)  # the caller sleeps the returned delay: before() does not add to it
    assert time.slept == []


def test_every_wait_is_bounded_and_the_budget_ends_waiting() -> None:
    time = FakeTime()
    p = pacer(time, max_wait=60.0, budget=100.0)
    assert p.observe(KEY, 429, {"retry-after": "3600"}) == 60.0
    assert p.observe(KEY, 429, {"retry-after": "3600"}) == 40.0
    assert p.observe(KEY, 429, {"retry-after": "3600"}) is None
    p.observe(KEY, 200, bucket(0, NOW + 30))
    p.before(KEY)
    assert time.slept == []
    assert p.waited == 100.0


def _limited_server(refusals: int) -> tuple[httpx.Client, list[str]]:
    """A server whose GET /sessions answers 429 ``refusals`` times, then 200 with one left."""
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if len(seen) <= refusals:
            return httpx.Response(429, headers={"Retry-After": "2"}, json={"error": "slow down"})
        return httpx.Response(200, headers=bucket(0, NOW + 30), json=[])

    return httpx.Client(transport=httpx.MockTransport(handle), base_url="http://fake"), seen


def test_a_probe_waits_out_429s_and_then_its_bucket_resets() -> None:
    time = FakeTime()
    client, seen = _limited_server(refusals=2)
    session = ProbeSession(get_api("state-tracking"), client, pacer=pacer(time))
    assert session.call("listSessions").status == 200
    assert len(seen) == 3
    assert time.slept == [2.0, 2.0]
    session.call("listSessions")  # the last answer said the bucket was empty until NOW + 30
    assert time.slept == [2.0, 2.0, 30.0 - 4.0]


def test_a_probe_the_server_keeps_refusing_is_rate_limited() -> None:
    time = FakeTime()
    client, _ = _limited_server(refusals=100)
    session = ProbeSession(get_api("state-tracking"), client, pacer=pacer(time, budget=5.0))
    with pytest.raises(RateLimited):
        session.call("listSessions")
    assert sum(time.slept) == 5.0


class _Statuses:
    """An ASGI app's answers, counted by status."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: Counter[int] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counting(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.seen[message["status"]] += 1
            await send(message)

        await self.app(scope, receive, counting)


def _run_rate_limited(budget: float) -> tuple[Counter[int], float]:
    """A run against the state-tracking mock at 30 requests a minute per route, the pacer waiting
    on the mock's own clock (its limiter's), so no test sleeps."""
    clock = Clock(START, frozen=True)
    app = _Statuses(build_app("state-tracking", rate_limit="30", clock=clock))
    paced = Pacer(
        clock=clock.timestamp,
        sleep=lambda seconds: clock.advance(timedelta(seconds=seconds)),
        budget=budget,
    )
    options = ConformanceOptions(max_examples=2, seed=SEED, stateful=False)
    target = Target("state-tracking", app=app, credentials=("st_mockgate_dev_key",))
    report = verify(target, VerifyOptions(options), pacer=paced)
    assert report.ok, describe(report.findings)
    return app.seen, paced.waited


def test_a_paced_run_stays_within_the_targets_limits() -> None:
    seen, waited = _run_rate_limited(budget=3600.0)
    assert seen[429] == 0, seen
    assert waited >= 60.0  # the limit was reached, and waited out
    unpaced, _ = _run_rate_limited(budget=0.0)
    assert unpaced[429] > 100, unpaced
