"""The same seed gives the same ids on every start, whatever the clock (issue 17, item 4).

Two mocks of each API with one seed and running clocks started a day (and a few odd seconds)
apart must hold the same ids and answer every deep link identically, timestamps (and what is
computed from them: AgentLens' hashes, PiOrchestrator's object keys and drawn images) aside.
The clocks run (they are not frozen), but the test holds their real time still, so both mocks are
read at the same elapsed time and live data cannot fire in one and not the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockgate.apis.agentlens.ulid import ULID_PATTERN, decode
from mockgate.apis.base import load_api
from mockgate.core.clock import ID_ANCHOR, Clock
from mockgate.core.timestamps import parse_timestamp, to_millis
from tests.core.test_clock import FakeMonotonic
from tests.reliability.served import serve

FIRST = datetime(2026, 3, 5, 9, 17, 3, 123456, tzinfo=UTC)
SECOND = FIRST + timedelta(days=1, minutes=7, seconds=13, microseconds=877_001)
JSON = {"Content-Type": "application/json"}
AUTH = {
    "agentlens": {"Authorization": "Bearer als_mockgate_dev_key"},
    "piorchestrator": {},
    "state-tracking": {"X-API-Key": "st_mockgate_dev_key"},
}
# What follows the clock besides timestamps: derived from them (images show their time).
DERIVED = {"hash", "prevHash", "object_key", "image_data", "image_size_bytes"}
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def untimed(value: Any) -> Any:
    """``value`` with every timestamp, and what is derived from one, blanked."""
    if isinstance(value, dict):
        return {k: "<derived>" if k in DERIVED else untimed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    if isinstance(value, str) and _TIMESTAMP.fullmatch(value):
        return "<time>"
    return value


def deep_links(api: str, state: dict[str, dict[str, Any]]) -> Iterator[tuple[str, dict[str, str]]]:
    """A few of each API's links to one record, built from the ids it holds: (path, headers)."""
    if api == "agentlens":
        for sid in sorted(state["sessions"])[:6]:
            yield f"/api/sessions/{sid}", AUTH[api]
            yield f"/api/sessions/{sid}/timeline", AUTH[api]
    elif api == "fasting":
        for user in state["users"].values():
            cookie = {"Cookie": f"authjs.session-token={user['token']}"}
            mine = sorted(s["id"] for s in state["sessions"].values() if s["userId"] == user["id"])
            yield "/api/sessions?pageSize=5", cookie
            for sid in mine[:4]:
                yield f"/api/sessions?pageSize=5&cursor={sid}", cookie
    elif api == "piorchestrator":
        yield "/api/v1/diagnostics/sessions", AUTH[api]
        for sid in sorted(state["sessions"])[:8]:
            yield f"/api/v1/sessions/{sid}/evidence", AUTH[api]
            yield f"/api/v1/sessions/{sid}/evidence/pair", AUTH[api]
    else:
        for collection in ("sessions", "tasks", "machines"):
            for key in sorted(state[collection])[:5]:
                yield f"/{collection}/{key}", AUTH[api]


def started(mock_client, api: str, at: datetime):
    return mock_client(api, seed=11, rate_limit="off", clock=Clock(at, monotonic=FakeMonotonic()))


def test_two_starts_a_day_apart_hold_the_same_ids_and_answer_the_same(mock_client, api):
    first, second = (started(mock_client, api.name, at) for at in (FIRST, SECOND))
    states = [client.get("/__mockgate/state").json() for client in (first, second)]
    assert untimed(states[0]) == untimed(states[1])
    assert {c: list(r) for c, r in states[0].items()} == {c: list(r) for c, r in states[1].items()}
    links = list(deep_links(api.name, states[0]))
    assert links
    for path, headers in links:
        answers = [client.get(path, headers=headers) for client in (first, second)]
        assert [a.status_code for a in answers] == [200, 200], path
        assert untimed(answers[0].json()) == untimed(answers[1].json()), path


def test_timestamps_still_follow_the_clock(mock_client):
    first, second = (started(mock_client, "agentlens", at) for at in (FIRST, SECOND))
    newest = [
        client.get("/api/sessions?limit=1", headers=AUTH["agentlens"]).json()["sessions"][0]
        for client in (first, second)
    ]
    assert newest[0]["id"] == newest[1]["id"]
    assert newest[0]["startedAt"] != newest[1]["startedAt"]


@pytest.mark.parametrize("at", [FIRST, ID_ANCHOR], ids=["another-instant", "the-anchor"])
def test_agentlens_ids_keep_their_format_and_their_creation_order(at):
    snapshot = load_api("agentlens").seed("demo", 3, at)
    for record in snapshot["timelines"].values():
        events = record["events"]
        assert all(ULID_PATTERN.fullmatch(e["id"]) for e in events)
        # Minted in the timeline's order: sorting by id sorts by time, as with the real server.
        assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    for sid in snapshot["sessions"]:
        assert sid.startswith("sess_")
        assert ULID_PATTERN.fullmatch(sid.removeprefix("sess_"))


def test_ids_tell_the_records_own_times_at_the_anchor():
    """At ``ID_ANCHOR`` (the frozen clock's default start) a ULID's time part is its event's."""
    snapshot = load_api("agentlens").seed("demo", 3, ID_ANCHOR)
    for record in snapshot["timelines"].values():
        for event in record["events"]:
            assert decode(event["id"])[0] == to_millis(parse_timestamp(event["timestamp"]))


@pytest.mark.slow
def test_two_serve_processes_on_the_real_clock_give_the_same_ids(tmp_path: Path):
    """The issue's reproduction: `mockgate serve` started twice, real clock, no --start."""
    apis = ("agentlens", "fasting", "piorchestrator")
    seen = []
    for run in range(2):
        with serve(apis, "--seed", "5", log=tmp_path / f"serve{run}.log") as urls:
            states = {api: httpx.get(f"{url}/__mockgate/state").json() for api, url in urls.items()}
            seen.append(
                (
                    {api: {c: sorted(r) for c, r in s.items()} for api, s in states.items()},
                    httpx.get(f"{urls['agentlens']}/__mockgate/clock").json()["now"],
                )
            )
    (ids_first, now_first), (ids_second, now_second) = seen
    assert now_first != now_second  # two real instants
    assert ids_first == ids_second
