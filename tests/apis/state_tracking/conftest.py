"""Clients of the state-tracking mock, and the document's examples."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockgate.apis.context import MockOptions
from mockgate.core.clock import Clock
from mockgate.core.resources import fixtures_dir
from mockgate.mockserver.app import context_of, create_app
from tests.apis.state_tracking.factory import AUTH, KEY
from tests.conftest import START, MockClient, build_app


@pytest.fixture(scope="session")
def _reusable() -> dict[tuple[str, int], MockClient]:
    """Mocks kept for the whole run, by (dataset, seed), reset before each use: building one
    takes ~0.2 s, resetting it microseconds."""
    return {}


@pytest.fixture
def tracking(mock_client, _reusable) -> Iterator[Callable[..., MockClient]]:
    """``tracking(dataset="empty", **create_app_options)``: a client of a mock in its seeded
    state, the clock frozen at ``START``, that sends the dev key, with response self-validation
    on and rate limits off unless asked for (most tests are about something else).

    Without other options than ``seed`` the mock is a reused one, reset (store, clock, journal,
    faults); otherwise a fresh one.
    """
    used: list[MockClient] = []

    def make(dataset: str = "empty", **options: Any) -> MockClient:
        options.setdefault("rate_limit", "off")
        if options["rate_limit"] != "off" or set(options) - {"rate_limit", "seed"}:
            client = mock_client("state-tracking", dataset=dataset, **options)
        else:
            key = (dataset, options.get("seed", 0))
            if key not in _reusable:
                app = build_app(
                    "state-tracking",
                    dataset=dataset,
                    clock=Clock(START, frozen=True),
                    validate_responses=True,
                    **options,
                )
                _reusable[key] = MockClient(
                    app, base_url="http://localhost", raise_server_exceptions=False
                )
                _reusable[key].ctx = context_of(app)
            client = _reusable[key]
            _reset(client)
            used.append(client)
        client.headers.update(AUTH)
        return client

    yield make
    for client in used:
        assert client.ctx.violations == [], "the mock broke its own spec"


def _reset(client: MockClient) -> None:
    ctx = client.ctx
    ctx.reset()
    ctx.clock.set(START)
    ctx.clock.freeze()
    client.headers.clear()


@pytest.fixture(scope="module")
def shared_demo() -> Iterator[TestClient]:
    """One demo mock for a module's tests that only read (or are refused before any change),
    with the clock frozen and response self-validation on."""
    app = create_app(
        "state-tracking",
        MockOptions(validate_responses=True, rate_limit="off", api_keys=[KEY, "readonly:ro_key"]),
        clock=Clock(START, frozen=True),
    )
    client = TestClient(app, base_url="http://localhost", raise_server_exceptions=False)
    yield client
    assert context_of(app).violations == [], "the mock broke its own spec"


@pytest.fixture(scope="session")
def doc_examples() -> dict[str, Any]:
    """The document's examples by id (``fixtures/doc-examples/state-tracking.json``)."""
    path = fixtures_dir() / "doc-examples" / "state-tracking.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    return {example["id"]: example["body"] for example in document["examples"]}
