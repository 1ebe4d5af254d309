"""``POST /__mockgate/reset`` (with ``{"clock": true}``) and ``POST /__mockgate/clock {"set":
"now"}`` over HTTP: after a reset, data and clock agree (issue 17, item 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockgate.core.clock import MAX_INSTANT, MIN_INSTANT, Clock
from mockgate.core.timestamps import format_timestamp, parse_timestamp
from mockgate.mockserver.handles import MockFactory
from tests.core.test_clock import FakeMonotonic

START = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
JSON = {"Content-Type": "application/json"}
AGENTLENS = {"Authorization": "Bearer als_mockgate_dev_key"}


def clock_now(client) -> datetime:
    return parse_timestamp(client.get("/__mockgate/clock").json()["now"])


def session_starts(client) -> list[datetime]:
    body = client.get("/api/sessions?limit=100", headers=AGENTLENS).json()
    return [parse_timestamp(s["startedAt"]) for s in body["sessions"]]


def state_ids(client) -> dict[str, list[str]]:
    return {c: sorted(r) for c, r in client.get("/__mockgate/state").json().items()}


@pytest.fixture
def real() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.mark.parametrize(
    "move",
    [
        pytest.param({"advance": "30d"}, id="advanced-30-days"),
        pytest.param({"advance": "-30d"}, id="set-back-30-days"),
        pytest.param({"set": "2031-06-01T08:00:00Z", "freeze": True}, id="set-and-frozen"),
    ],
)
def test_a_reset_after_the_clock_moved_seeds_the_data_at_the_clock(mock_client, real, move):
    client = mock_client("agentlens", clock=Clock(START, monotonic=real))
    ids = state_ids(client)
    assert client.post("/__mockgate/clock", json=move).status_code == 200
    now = clock_now(client)
    assert client.post("/__mockgate/reset", headers=JSON).status_code == 204
    starts = session_starts(client)
    assert max(starts) <= now  # the issue: sessions dated in the future
    assert now - max(starts) < timedelta(hours=1)  # and as fresh as at the start
    assert clock_now(client) == now  # the clock kept its time
    assert state_ids(client) == ids  # the same records, moved in time


def test_a_reset_while_the_clock_only_ran_restores_the_seeded_data(mock_client, real):
    client = mock_client("state-tracking", clock=Clock(START, monotonic=real), rate_limit="off")
    seeded = client.get("/__mockgate/state").json()
    real.now += 3600
    assert client.put("/__mockgate/state", json={"sessions": {}}).status_code == 204
    assert client.post("/__mockgate/reset", json={}).status_code == 204
    assert client.get("/__mockgate/state").json() == seeded
    assert clock_now(client) == START + timedelta(hours=1)


def test_reset_with_clock_puts_clock_and_data_back_to_the_start(mock_client, real):
    client = mock_client("agentlens", clock=Clock(START, monotonic=real))
    seeded = client.get("/__mockgate/state").json()
    body = {"advance": "30d", "freeze": True, "speed": 60}
    assert client.post("/__mockgate/clock", json=body).status_code == 200
    real.now += 120
    assert client.post("/__mockgate/reset", json={"clock": True}).status_code == 204
    assert client.get("/__mockgate/clock").json() == {
        "now": "2026-01-19T12:00:00.000Z",
        "frozen": False,
        "speed": 1.0,
    }
    assert client.get("/__mockgate/state").json() == seeded


def test_reset_with_clock_on_a_clock_without_start_goes_to_the_real_now(mock_client):
    client = mock_client("fasting", clock=Clock.from_option("frozen"))
    assert client.post("/__mockgate/clock", json={"set": "2031-01-01T00:00:00Z"}).status_code == 200
    before = datetime.now(UTC)
    assert client.post("/__mockgate/reset", json={"clock": True}).status_code == 204
    state = client.get("/__mockgate/clock").json()
    assert before <= parse_timestamp(state["now"]) <= datetime.now(UTC)
    assert state["frozen"] is True
    ended = [
        parse_timestamp(s["endedAt"])
        for s in client.get("/__mockgate/state").json()["sessions"].values()
        if s["endedAt"]
    ]
    assert max(ended) <= parse_timestamp(state["now"])


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        pytest.param({"headers": JSON}, 204, id="no-body"),
        pytest.param({"json": {}}, 204, id="empty-object"),
        pytest.param({"json": {"clock": False}}, 204, id="clock-false"),
        pytest.param({"json": {"clok": True}}, 400, id="unknown-field"),
        pytest.param({"json": {"clock": "yes"}}, 400, id="not-a-boolean"),
    ],
)
def test_the_reset_body_is_optional_and_checked(mock_client, kwargs, status):
    client = mock_client("piorchestrator")
    response = client.post("/__mockgate/reset", **kwargs)
    assert response.status_code == status
    if status == 400:
        assert response.json()["status"] == 400


def test_set_now_moves_only_the_instant_to_the_real_now(mock_client):
    client = mock_client("agentlens")  # frozen at START
    assert client.post("/__mockgate/clock", json={"speed": 3}).status_code == 200
    assert client.post("/__mockgate/clock", json={"freeze": True}).status_code == 200
    before = datetime.now(UTC)
    state = client.post("/__mockgate/clock", json={"set": "now"}).json()
    assert before <= parse_timestamp(state["now"]) <= datetime.now(UTC)
    assert (state["frozen"], state["speed"]) == (True, 3.0)


def test_set_now_combines_with_advance_and_real_time(mock_client):
    client = mock_client("agentlens")
    body = {"set": "now", "advance": "1h", "freeze": False, "speed": 1}
    before = datetime.now(UTC)
    state = client.post("/__mockgate/clock", json=body).json()
    hour = timedelta(hours=1)
    assert before + hour <= parse_timestamp(state["now"]) <= datetime.now(UTC) + hour
    assert (state["frozen"], state["speed"]) == (False, 1.0)


def test_a_set_that_is_neither_an_instant_nor_now_is_refused(mock_client):
    client = mock_client("agentlens")
    response = client.post("/__mockgate/clock", json={"set": "tomorrow"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid clock change")
    assert clock_now(client) == START


def a_list(client, api: str):
    """One list of the API's records, as a client reads it (checked against the spec)."""
    if api == "fasting":
        token = next(iter(client.get("/__mockgate/state").json()["users"].values()))["token"]
        return client.get("/api/sessions", headers={"Cookie": f"authjs.session-token={token}"})
    path, headers = {
        "agentlens": ("/api/sessions", AGENTLENS),
        "piorchestrator": ("/api/v1/diagnostics/sessions", {}),
        "state-tracking": ("/sessions", {"X-API-Key": "st_mockgate_dev_key"}),
    }[api]
    return client.get(path, headers=headers)


@pytest.mark.parametrize("instant", [MIN_INSTANT, MAX_INSTANT], ids=["first", "last"])
def test_every_api_reseeds_at_the_ends_of_the_clocks_range(mock_client, api, instant):
    client = mock_client(api.name, rate_limit="off")
    when = format_timestamp(instant)
    assert client.post("/__mockgate/clock", json={"set": when}).status_code == 200
    assert client.post("/__mockgate/reset", headers=JSON).status_code == 204
    assert a_list(client, api.name).status_code == 200
    assert client.get("/__mockgate/clock").json()["now"] == when


def test_a_handle_resets_the_clock_when_asked():
    factory = MockFactory()
    try:
        handle = factory.start("fasting")
        handle.clock.set(datetime(2031, 1, 1, tzinfo=UTC))
        handle.reset()
        assert handle.clock.now().year == 2031
        before = datetime.now(UTC)
        handle.reset(clock=True)
        assert before <= handle.clock.now() <= datetime.now(UTC) + timedelta(seconds=5)
    finally:
        factory.close()
