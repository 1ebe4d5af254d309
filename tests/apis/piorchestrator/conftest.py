"""Fixtures for the PiOrchestrator mock: clients of fresh mocks (frozen clock, self-validation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mockgate.core.clock import Clock
from tests.apis.piorchestrator.expect import DOCS_NOW
from tests.conftest import MockClient


@pytest.fixture
def pi(mock_client) -> Callable[..., MockClient]:
    """``pi(**create_app_options)``: a client of a fresh PiOrchestrator mock (seed 1, demo)."""

    def make(**options: Any) -> MockClient:
        options.setdefault("seed", 1)
        return mock_client("piorchestrator", **options)

    return make


@pytest.fixture
def demo(pi) -> MockClient:
    return pi()


@pytest.fixture
def docs(pi) -> MockClient:
    """The docs dataset, the clock frozen at the documents' ``queried_at``."""
    return pi(dataset="docs", clock=Clock(DOCS_NOW, frozen=True))
