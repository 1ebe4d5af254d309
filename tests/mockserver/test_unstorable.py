"""Input that cannot be stored or served is refused at the boundary, and a commit that fails
never wedges the mock: through HTTP, with the in-memory store and with a state file.

Each reproduction of issue 15 once answered 500, and with a state file every later request of
the API too (the failed commit stayed pending): now a 400 in the API's shape naming the value's
path, and the mock keeps answering.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockgate.apis.base import load_api
from mockgate.core.clock import Clock
from mockgate.core.store.sqlite import ApiEntry, StateFile
from mockgate.openapi.jsonlimits import MAX_DEPTH, MAX_NUMBER
from tests.conftest import START, MockClient

AGENTLENS = {"Authorization": "Bearer als_mockgate_dev_key", "Content-Type": "application/json"}
TRACKING = {"Authorization": "Bearer st_mockgate_dev_key", "Content-Type": "application/json"}
JSON = {"Content-Type": "application/json"}
HEADERS = {"agentlens": AGENTLENS, "state-tracking": TRACKING}
# Reads of each API that serve what the writes below store (a list, its health when it has
# one: 200), and the timeline of the session they write to (200, or 404 while it has none).
READS = {
    "agentlens": [("/api/sessions", (200,)), ("/api/sessions/s1/timeline", (200, 404))],
    "state-tracking": [("/machines", (200,)), ("/health", (200,))],
}


def assert_serving(client: MockClient, api: str) -> None:
    for path, expected in READS[api]:
        response = client.get(path, headers=HEADERS[api])
        assert response.status_code in expected, (path, response.text)


def event(payload: str) -> bytes:
    """An ingest body whose payload is ``payload``, as raw JSON text."""
    head = '{"events":[{"sessionId":"s1","agentId":"a","eventType":"custom","payload":'
    return f"{head}{payload}}}]}}".encode()


def machine(slots: str = "[1]", machine_id: str = '"m"') -> bytes:
    return f'{{"machine_id":{machine_id},"hostname":"h","docker_slots":{slots}}}'.encode()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture(params=["memory", "sqlite"])
def mock(request, mock_client, tmp_path) -> Iterator[Callable[[str], MockClient]]:
    """``mock(api)``: a client of a mock whose store is in memory, or in a state file."""
    files: list[StateFile] = []

    def make(api: str) -> MockClient:
        clock = Clock(START, frozen=True)
        options: dict[str, Any] = {"clock": clock, "rate_limit": "off"}
        if request.param == "sqlite":
            state = StateFile.open(tmp_path / f"{api}.db", create=True)
            state.track_clock(clock)
            files.append(state)
            seeded = load_api(api).seed("demo", 0, START)
            options["store"] = state.store(api, seeded, ApiEntry(0, "demo"))
        return mock_client(api, **options)

    yield make
    for state in files:
        state.close()


def message(response: Any) -> str:
    body = response.json()
    return body.get("message") or body["error"]


@pytest.mark.parametrize(
    ("api", "path", "body", "where", "says"),
    [
        pytest.param(
            "agentlens",
            "/api/events",
            event('{"x":"a\\ud800"}'),
            "body.events.0.payload.x",
            "unpaired UTF-16 surrogate \\ud800",
            id="agentlens-lone-surrogate",
        ),
        pytest.param(
            "agentlens",
            "/api/events",
            event('{"ok":{"\\udfff":1}}'),
            "body.events.0.payload.ok.\\udfff",
            "unpaired UTF-16 surrogate \\udfff",
            id="agentlens-lone-surrogate-in-a-key",
        ),
        pytest.param(
            "agentlens",
            "/api/events",
            event('{"x":' + "9" * 5000 + "}"),
            "body.events.0.payload.x",
            "5000-digit integer",
            id="agentlens-5000-digit-integer",
        ),
        pytest.param(
            "agentlens",
            "/api/events",
            event('{"x":-1e400}'),
            "body.events.0.payload.x",
            "number out of range",
            id="agentlens-number-beyond-a-double",
        ),
        pytest.param(
            "agentlens",
            "/api/events",
            event(nested(500)),
            "body.events.0.payload" + ".0" * (MAX_DEPTH - 3),  # the payload is level 4
            f"at most {MAX_DEPTH} levels",
            id="agentlens-nested-500-levels",
        ),
        pytest.param(
            "agentlens",
            "/api/events",
            event(nested(5000)),
            "body",
            f"at most {MAX_DEPTH} levels",
            id="agentlens-nested-past-the-parser",
        ),
        pytest.param(
            "state-tracking",
            "/machines",
            machine(machine_id='"m\\ud800"'),
            "body.machine_id",
            "unpaired UTF-16 surrogate \\ud800",
            id="state-tracking-lone-surrogate",
        ),
        pytest.param(
            "state-tracking",
            "/machines",
            machine(slots="[" + "9" * 5000 + "]"),
            "body.docker_slots.0",
            "5000-digit integer",
            id="state-tracking-5000-digit-integer",
        ),
    ],
)
def test_what_cannot_be_stored_is_refused_and_the_mock_keeps_answering(
    mock, api, path, body, where, says
):
    client = mock(api)
    response = client.post(path, content=body, headers=HEADERS[api])
    assert response.status_code == 400, response.text
    assert says in message(response)
    assert f" at {where}: " in message(response)
    assert_serving(client, api)


@pytest.mark.parametrize(
    ("api", "path", "body"),
    [
        pytest.param("agentlens", "/api/events", event('{"x":"\\ud83d\\ude00"}'), id="a-pair"),
        pytest.param(
            "agentlens",
            "/api/events",
            event('{"x":-' + str(int(MAX_NUMBER)) + "}"),
            id="the-largest-double-as-an-integer",
        ),
        pytest.param(
            "agentlens",
            "/api/events",
            event('{"x":' + nested(MAX_DEPTH - 4) + "}"),  # the innermost at level 100
            id="nested-to-the-limit",
        ),
        pytest.param(
            "state-tracking",
            "/machines",
            b'{"machine_id":"m\\ud83d\\ude00","hostname":"h","docker_slots":[1],'
            + b'"metadata":{"n":1.7976931348623157e308}}',
            id="a-pair-and-the-largest-double",
        ),
    ],
)
def test_values_within_the_limits_are_stored_and_served(mock, api, path, body):
    client = mock(api)
    assert client.post(path, content=body, headers=HEADERS[api]).status_code == 201
    assert_serving(client, api)
    assert client.get(READS[api][-1][0], headers=HEADERS[api]).status_code == 200


def test_the_admin_state_is_held_to_the_same_limits(mock):
    client = mock("agentlens")
    before = client.get("/__mockgate/state").json()
    state = json.dumps(before)[:-1] + ', "extra": {"k": {"v": "\\ud800"}}}'
    response = client.put("/__mockgate/state", content=state.encode(), headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json()["error"].endswith(
        "unpaired UTF-16 surrogate \\ud800 at body.extra.k.v: not representable in UTF-8"
    )
    assert client.get("/__mockgate/state").json() == before
    assert client.get("/api/sessions", headers=AGENTLENS).status_code == 200


@contextmanager
def failing_commit(monkeypatch: pytest.MonkeyPatch, *, enabled: bool = True) -> Iterator[bool]:
    """The state file's next transaction fails (as a full disk would), once; true once it
    did, false as long as no transaction ran."""
    transaction = StateFile.transaction
    fired: list[bool] = []

    @contextmanager
    def failing(self: StateFile) -> Iterator[sqlite3.Connection]:
        monkeypatch.setattr(StateFile, "transaction", transaction)
        fired.append(True)
        with transaction(self) as db:
            yield db
            raise sqlite3.OperationalError("database or disk is full")

    if enabled:
        monkeypatch.setattr(StateFile, "transaction", failing)

    class Fired:
        def __bool__(self) -> bool:
            return bool(fired)

    try:
        yield Fired()  # type: ignore[misc]
    finally:
        monkeypatch.setattr(StateFile, "transaction", transaction)


@pytest.mark.parametrize(
    ("api", "path", "body", "shape"),
    [
        pytest.param("agentlens", "/api/events", event('{"x":1}'), "error", id="agentlens"),
        pytest.param("state-tracking", "/machines", machine(), "statusCode", id="state-tracking"),
        pytest.param("agentlens", "/__mockgate/state", b'{"t": {}}', "error", id="admin-state"),
    ],
)
def test_a_failed_commit_answers_an_error_undoes_the_write_and_never_wedges(
    mock_client, tmp_path, monkeypatch, api, path, body, shape
):
    clock = Clock(START, frozen=True)
    with closing(StateFile.open(tmp_path / "state.db", create=True)) as state:
        state.track_clock(clock)
        store = state.store(api, load_api(api).seed("demo", 0, START), ApiEntry(0, "demo"))
        client = mock_client(api, clock=clock, store=store, rate_limit="off")
        before = store.snapshot()
        with failing_commit(monkeypatch):
            method = client.put if path.startswith("/__mockgate") else client.post
            response = method(path, content=body, headers=HEADERS[api])
        assert response.status_code == 500, response.text
        assert response.headers["content-type"] == "application/json"
        assert shape in response.json()
        assert "could not save this request's changes" in response.text
        assert "database or disk is full" in response.text
        assert store.snapshot() == before
        assert state.records(api) == before
        assert_serving(client, api)
        assert client.get("/__mockgate/health").status_code == 200
        method = client.put if path.startswith("/__mockgate") else client.post
        assert method(path, content=body, headers=HEADERS[api]).status_code < 300
        assert state.records(api) == store.snapshot()


# --- the property: no accepted write leaves an API answering 500 -------------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text sent as it is (what ``json.dumps`` cannot write: 5,000 digits, ``1e400``)."""

    text: str


def dump(value: Any) -> str:
    """``value`` as JSON text, lone surrogates as ``\\ud800`` escapes."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(dump, value)) + "]"
    return json.dumps(value)


_text = st.text(st.characters(exclude_categories=()), max_size=8) | st.sampled_from(
    ["\ud800", "a\udfff", "\udc00\ud800", "\ud83d\ude00"]
)
_scalars = st.one_of(
    _text,
    st.integers(),
    st.integers(-(10**320), 10**320),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.sampled_from([Raw("9" * 5000), Raw("1e400"), Raw("-1e999"), Raw("-0")]),
    st.integers(MAX_DEPTH - 5, 3 * MAX_DEPTH).map(lambda depth: Raw(nested(depth))),
)
_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=3),
    max_leaves=8,
)


def _write(api: str, value: Any, name: str, step: int) -> tuple[str, bytes]:
    name = f"n{name}"  # never empty: refused by the schema, it would test nothing here
    if api == "agentlens":
        body = {"events": [{"sessionId": "s1", "agentId": name, "eventType": "custom"}]}
        body["events"][0]["payload"] = {"v": value}
        return "/api/events", dump(body).encode()
    body = {"machine_id": f"m{step}", "hostname": name, "docker_slots": [1]}
    body["metadata"] = {"v": value}
    return "/machines", dump(body).encode()


@pytest.fixture
def served(mock_client, tmp_path) -> Iterator[dict[str, tuple[MockClient, StateFile]]]:
    """A mock of each API storing what it is sent, with a state file (the stricter store)."""
    clock = Clock(START, frozen=True)
    with closing(StateFile.open(tmp_path / "state.db", create=True)) as state:
        state.track_clock(clock)
        mocks = {}
        for api in ("agentlens", "state-tracking"):
            store = state.store(api, {}, ApiEntry(0, "empty"))
            mocks[api] = (mock_client(api, clock=clock, store=store, rate_limit="off"), state)
        yield mocks


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    writes=st.lists(
        st.tuples(st.sampled_from(["agentlens", "state-tracking"]), _values, _text, st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_no_write_leaves_an_api_answering_500_and_a_failed_commit_changes_nothing(
    served, monkeypatch, writes
):
    for client, _ in served.values():
        client.ctx.reset()
    for step, (api, value, name, fail) in enumerate(writes):
        client, state = served[api]
        store = client.ctx.store
        store.commit()  # the reset, so "before" is what the file holds
        before = store.snapshot()
        path, body = _write(api, value, name, step)
        with failing_commit(monkeypatch, enabled=fail) as fired:
            response = client.post(path, content=body, headers=HEADERS[api])
        if fired:
            assert response.status_code == 500, response.text
            assert "could not save" in response.text
            assert store.snapshot() == before
        else:
            assert response.status_code < 500, response.text
        # What the mock holds is what the file holds: nothing pending, nothing unwritable.
        assert json.dumps(state.records(api)) == json.dumps(store.snapshot())
        for other, (reader, _) in served.items():
            assert_serving(reader, other)
