"""POST /__mockgate/clock over HTTP: a change that would take the clock out of its range is a
400 naming the range and changes nothing; the mock keeps answering, however long it runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mockgate.core.clock import RANGE_TEXT, RUNWAY, Clock
from tests.core.test_clock import FakeMonotonic  # real time moved by the test

START = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
AGENTLENS = {"Authorization": "Bearer als_mockgate_dev_key"}
JSON = {"Content-Type": "application/json"}  # what a write to the admin API carries
YEAR = RUNWAY.total_seconds()


@pytest.fixture
def real() -> FakeMonotonic:
    return FakeMonotonic()


def answers(client) -> None:
    """Every kind of route still answers: the API's, the admin API's."""
    assert client.get("/__mockgate/health").status_code == 200
    assert client.get("/__mockgate/clock").status_code == 200
    assert client.get("/api/sessions", headers=AGENTLENS).status_code == 200


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        pytest.param(
            {"set": "9999-12-31T23:59:58Z"},
            "9999-12-31T23:59:58.000Z is outside the clock's range",
            id="set-year-9999",
        ),
        pytest.param(
            {"speed": 1e15}, "clock speed 1e+15 would take the clock past", id="speed-1e15"
        ),
        pytest.param(
            {"set": "9899-12-01T00:00:00Z", "advance": "31d"},
            "9900-01-01T00:00:00.000Z is outside the clock's range",
            id="advance-past-the-end",
        ),
        pytest.param(
            {"set": "1970-01-01T00:00:00Z"}, "1970-01-01T00:00:00.000Z is outside", id="set-1970"
        ),
    ],
)
def test_the_issue_reproductions_are_a_400_naming_the_range(mock_client, real, body, problem):
    client = mock_client("agentlens", clock=Clock(START, monotonic=real))
    response = client.post("/__mockgate/clock", json=body)
    assert response.status_code == 400
    error = response.json()
    assert error["status"] == 400
    assert problem in error["error"]
    assert RANGE_TEXT in error["error"]
    real.now += 2 * YEAR  # long after the two seconds that used to brick every port
    answers(client)
    assert client.get("/__mockgate/clock").json()["speed"] == 1.0


def test_the_parts_of_a_change_are_checked_together(mock_client, real):
    client = mock_client("agentlens", clock=Clock(START, monotonic=real))
    body = {"set": "9000-01-01T00:00:00Z", "freeze": True, "speed": 7000}
    response = client.post("/__mockgate/clock", json=body)
    assert response.status_code == 400
    assert "from 9000-01-01T00:00:00.000Z (at most 900x from there" in response.json()["error"]
    assert client.get("/__mockgate/clock").json() == {
        "now": "2026-01-19T12:00:00.000Z",
        "frozen": False,
        "speed": 1.0,
    }


def test_a_legitimate_speed_runs_until_the_end_of_the_range_and_stops_there(mock_client, real):
    client = mock_client("agentlens", clock=Clock(START, monotonic=real))
    response = client.post("/__mockgate/clock", json={"speed": 7000})
    assert response.status_code == 200
    real.now += YEAR  # 7,000 years of 365 days later
    answers(client)
    assert client.get("/__mockgate/clock").json()["now"].startswith("9021-")
    real.now += 10 * YEAR
    answers(client)
    assert client.get("/__mockgate/clock").json()["now"] == "9899-12-31T23:59:59.000Z"
    assert client.post("/__mockgate/reset", headers=JSON).status_code == 204
    answers(client)


def test_the_first_instant_of_the_range_can_be_seeded(mock_client):
    # AgentLens' demo reaches weeks back from now, and its ULIDs hold milliseconds since 1970.
    client = mock_client("agentlens", seed=1)
    assert client.post("/__mockgate/clock", json={"set": "1971-01-01T00:00:00Z"}).status_code == 200
    assert client.post("/__mockgate/reset", headers=JSON).status_code == 204
    answers(client)
