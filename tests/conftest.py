"""Fixtures every test package shares: each bundled API in turn, and mocks under test
(in-process apps with response self-validation on)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockgate.apis.context import MockContext, MockOptions
from mockgate.core.clock import Clock
from mockgate.mockserver.app import MockApp, context_of, create_app
from mockgate.openapi.catalog import ApiSpec, bundled_apis

START = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)


def build_app(api: str, **options: Any) -> MockApp:
    """``create_app`` with its options as keywords: ``clock`` and ``store`` as they are, the
    rest as ``MockOptions`` fields."""
    clock, store = options.pop("clock", None), options.pop("store", None)
    return create_app(api, MockOptions(**options), clock=clock, store=store)


@pytest.fixture(params=["agentlens", "fasting", "piorchestrator", "state-tracking"])
def api(request: pytest.FixtureRequest) -> ApiSpec:
    """Each bundled API in turn."""
    return bundled_apis()[request.param]


class MockClient(TestClient):
    """A test client of one mock, with its context at hand."""

    ctx: MockContext


@pytest.fixture
def mock_client() -> Iterator[Callable[..., MockClient]]:
    """``mock_client(api, **options)``: a client of a fresh mock (options as ``build_app``).

    The clock is frozen at ``START`` unless a clock is given, and every response is checked
    against the spec: a test fails if the mock broke its own contract.
    """
    made: list[MockClient] = []

    def make(api: str, **options: Any) -> MockClient:
        options.setdefault("clock", Clock(START, frozen=True))
        options.setdefault("validate_responses", True)
        app = build_app(api, **options)
        # A loopback name: a mock answers no other Host unless given ``allowed_hosts``.
        client = MockClient(app, base_url="http://localhost", raise_server_exceptions=False)
        client.ctx = context_of(app)
        made.append(client)
        return client

    yield make
    for client in made:
        assert client.ctx.violations == [], "the mock broke its own spec"
