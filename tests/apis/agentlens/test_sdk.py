"""The official AgentLens Python SDK (``agentlensai`` 0.12), unchanged, against the mock.

``AgentLensClient(url, api_key=...)`` builds its own ``httpx.Client`` and takes no transport, and
a synchronous httpx client cannot drive an ASGI app in-process (``httpx.ASGITransport`` is async
only). So, rather than reaching into the SDK's private ``_client``, the mock is served by uvicorn
on a loopback socket bound to a free port, in a thread: the SDK runs exactly as a user runs it.
One server per dataset for the module; the SDK calls here only read, except on ``empty``
(ingest), and only the telemetry file's server has its clock moved.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import uvicorn
from agentlensai import AgentLensClient
from agentlensai.exceptions import AuthenticationError, NotFoundError, ValidationError
from agentlensai.models import (
    LogLlmCallParams,
    Session,
    SessionQuery,
    SessionQueryResult,
    TokenUsage,
)

from mockgate.apis.context import MockContext, MockOptions
from mockgate.core.clock import Clock
from mockgate.mockserver.app import context_of, create_app
from tests.apis.agentlens.expect import (
    AUTH,
    START,
    TAMPERED_TAG,
    TELEMETRY_EVENTS,
    TELEMETRY_SESSION,
    matches,
    telemetry_state,
)

KEY = AUTH["Authorization"].removeprefix("Bearer ")


@dataclass(frozen=True)
class Live:
    url: str
    ctx: MockContext

    def sdk(self, api_key: str | None = KEY) -> AgentLensClient:
        return AgentLensClient(self.url, api_key=api_key)


@pytest.fixture(scope="module")
def serve() -> Iterator[Callable[[str], Live]]:
    """``serve(dataset)``: a live mock of that dataset (seed 1, clock frozen at START)."""
    running: dict[str, tuple[Live, uvicorn.Server, threading.Thread]] = {}

    def start(dataset: str) -> Live:
        if dataset in running:
            return running[dataset][0]
        app = create_app(
            "agentlens",
            MockOptions(seed=1, dataset=dataset, validate_responses=True),
            clock=Clock(START, frozen=True),
        )
        # Bound here, so the port is known before the server starts and nothing can take it.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", access_log=False, ws="none"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped before it started"
            assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
            time.sleep(0.005)
        live = Live(f"http://127.0.0.1:{sock.getsockname()[1]}", context_of(app))
        running[dataset] = (live, server, thread)
        return live

    yield start
    for _, server, _ in running.values():
        server.should_exit = True
    for live, _, thread in running.values():
        thread.join(10)
        assert not thread.is_alive()
        assert live.ctx.violations == [], "the mock broke its own spec"


@pytest.fixture(scope="module")
def demo(serve) -> Live:
    return serve("demo")


@pytest.fixture(scope="module")
def sdk(demo) -> Iterator[AgentLensClient]:
    with demo.sdk() as client:
        yield client


@pytest.fixture(scope="module")
def everything(sdk) -> SessionQueryResult:
    return sdk.get_sessions()


def test_get_sessions_parses_every_demo_session(everything):
    assert (everything.total, len(everything.sessions), everything.has_more) == (40, 40, False)
    assert all(isinstance(s, Session) for s in everything.sessions)
    assert sum(s.llm_call_count for s in everything.sessions) > 0
    assert sum(s.total_input_tokens for s in everything.sessions) > 0


def test_active_sessions_without_ended_at_parse(demo, everything):
    """The mock, like the real server, sends no `endedAt` key on an active session; the SDK
    reads that as `ended_at=None`, and an ended session's `endedAt` as its timestamp."""
    raw = httpx.get(f"{demo.url}/api/sessions", headers=AUTH).json()["sessions"]
    active = {s["id"] for s in raw if s["status"] == "active"}
    assert active
    assert not [s["id"] for s in raw if s["status"] == "active" and "endedAt" in s]
    ended = {s["id"]: s["endedAt"] for s in raw if s["status"] != "active"}
    for session in everything.sessions:
        assert session.ended_at == ended.get(session.id), session.id
        assert (session.ended_at is None) is (session.id in active)


def _raw(session: Session) -> dict:
    """The SDK's session as the API's JSON (to reuse the spec's filter rules)."""
    return session.model_dump(by_alias=True)


# Every SessionQuery field that the spec has (all of them), values taken from the data.
_QUERIES = [
    pytest.param(lambda ss: SessionQuery(agent_id=ss[3].agent_id), id="agent_id"),
    pytest.param(lambda ss: SessionQuery(status="error"), id="status"),
    pytest.param(lambda ss: SessionQuery(status=["active", "error"]), id="status-list"),
    pytest.param(lambda ss: SessionQuery(from_time=ss[10].started_at), id="from_time"),
    pytest.param(lambda ss: SessionQuery(to=ss[10].started_at), id="to"),
    pytest.param(lambda ss: SessionQuery(tags=["eu", "batch"]), id="tags"),
    pytest.param(
        lambda ss: SessionQuery(
            agent_id=ss[3].agent_id,
            status=["completed", "error"],
            from_time=ss[39].started_at,
            to=ss[0].started_at,
            tags=["eu", "us", "staging"],
        ),
        id="all-filters",
    ),
]


@pytest.mark.parametrize("make_query", _QUERIES)
def test_get_sessions_filters(sdk, everything, make_query):
    query = make_query(everything.sessions)
    params = {"agentId": query.agent_id, "from": query.from_time, "to": query.to}
    params = {k: v for k, v in params.items() if v is not None}
    if query.status is not None:
        params["status"] = query.status if isinstance(query.status, str) else ",".join(query.status)
    if query.tags is not None:
        params["tags"] = ",".join(query.tags)
    expected = [s for s in everything.sessions if matches(_raw(s), params)]
    assert 0 < len(expected) < 40
    result = sdk.get_sessions(query)
    assert result.sessions == expected
    assert (result.total, result.has_more) == (len(expected), False)


@pytest.mark.parametrize(
    ("limit", "offset", "window", "has_more"),
    [
        pytest.param(10, None, slice(0, 10), True, id="limit"),
        pytest.param(10, 35, slice(35, 40), False, id="limit-and-offset"),
        pytest.param(None, 38, slice(38, 40), False, id="offset"),
    ],
)
def test_get_sessions_pages(sdk, everything, limit, offset, window, has_more):
    result = sdk.get_sessions(SessionQuery(limit=limit, offset=offset))
    assert result.sessions == everything.sessions[window]
    assert (result.total, result.has_more) == (40, has_more)


def test_get_session_matches_the_list(sdk, everything):
    for session in everything.sessions[:10]:
        assert sdk.get_session(session.id) == session


def test_get_session_timeline_reports_the_chain(sdk, everything):
    for session in everything.sessions:
        timeline = sdk.get_session_timeline(session.id)
        assert len(timeline.events) == session.event_count
        assert timeline.events[0].prev_hash is None
        assert timeline.events[0].event_type == "session_started"
        assert all(e.session_id == session.id for e in timeline.events)
        assert timeline.chain_valid is (TAMPERED_TAG not in session.tags), session.id


@pytest.mark.parametrize(
    "api_key",
    [
        pytest.param("als_not_the_key", id="wrong-key"),
        pytest.param(None, id="no-key"),
    ],
)
def test_a_bad_key_raises_the_sdks_authentication_error(demo, api_key):
    with demo.sdk(api_key) as client, pytest.raises(AuthenticationError) as caught:
        client.get_sessions()
    assert caught.value.status == 401


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.get_session("sess_nope"), id="get_session"),
        pytest.param(lambda c: c.get_session_timeline("sess_nope"), id="get_session_timeline"),
    ],
)
def test_an_unknown_session_raises_the_sdks_not_found_error(sdk, call):
    with pytest.raises(NotFoundError, match="Session not found"):
        call(sdk)


def test_an_invalid_query_raises_the_sdks_validation_error(sdk):
    with pytest.raises(ValidationError) as caught:
        sdk.get_sessions(SessionQuery(from_time="last tuesday"))
    assert [d["path"] for d in caught.value.details] == ["from"]


def test_the_documents_session_parses(serve):
    """The document's session lacks the counters the SDK requires; the mock adds them."""
    with serve("docs").sdk() as client:
        session = client.get_session("sess_01HXYZ")
        assert (session.event_count, session.tool_call_count, session.total_cost_usd) == (
            47,
            15,
            0.42,
        )
        assert (session.llm_call_count, session.total_input_tokens) == (0, 0)
        assert client.get_sessions().sessions == [session]
        assert client.get_session_timeline("sess_01HXYZ").chain_valid is True


@pytest.fixture(scope="module")
def telemetry(serve, tmp_path_factory) -> Live:
    """A live mock holding one OTLP-ingested session (every `prevHash` null), still active."""
    path = tmp_path_factory.mktemp("agentlens") / "telemetry.json"
    path.write_text(json.dumps(telemetry_state()), encoding="utf-8")
    return serve(str(path))


def test_a_quiet_unchained_session_reads_as_active_and_verified(telemetry):
    """Days after its last event the session is still `active` (never `idle`, which the SDK
    would refuse), without `endedAt`; its unchained timeline is verified event by event."""
    telemetry.ctx.clock.advance(timedelta(days=3))
    with telemetry.sdk() as client:
        session = client.get_session(TELEMETRY_SESSION["id"])
        (listed,) = client.get_sessions(SessionQuery(status="active")).sessions
        timeline = client.get_session_timeline(TELEMETRY_SESSION["id"])
    assert (session.status, session.ended_at) == ("active", None)
    assert (session.llm_call_count, session.total_input_tokens) == (1, 120)
    assert listed == session
    assert [e.hash for e in timeline.events] == [e["hash"] for e in TELEMETRY_EVENTS]
    assert all(e.prev_hash is None for e in timeline.events)
    assert timeline.chain_valid is True
    raw = httpx.get(f"{telemetry.url}/api/sessions/{session.id}/timeline", headers=AUTH).json()
    assert raw["chained"] is False  # the real server's flag, which the SDK does not model


def test_log_llm_call_is_ingested_and_counted(serve):
    params = LogLlmCallParams(
        provider="anthropic",
        model="claude-sonnet-4",
        messages=[{"role": "user", "content": "Summarise the incident"}],
        completion="Two services timed out.",
        finish_reason="stop",
        usage=TokenUsage(input_tokens=420, output_tokens=64, total_tokens=484),
        cost_usd=0.00222,
        latency_ms=812.5,
    )
    with serve("empty").sdk() as client:
        result = client.log_llm_call("sess_sdk", "sdk-agent", params)
        session = client.get_session("sess_sdk")
        timeline = client.get_session_timeline("sess_sdk")
    assert (session.llm_call_count, session.total_input_tokens, session.total_output_tokens) == (
        1,
        420,
        64,
    )
    assert (session.status, session.ended_at) == ("active", None)  # no session_ended sent
    assert [e.event_type for e in timeline.events] == ["llm_call", "llm_response"]
    assert {e.payload["callId"] for e in timeline.events} == {result.call_id}
    assert timeline.chain_valid is True
