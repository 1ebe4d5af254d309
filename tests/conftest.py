from __future__ import annotations

import pytest

from mockserver.catalog import ApiSpec, bundled_apis


@pytest.fixture(params=["agentlens", "fasting", "piorchestrator", "state-tracking"])
def api(request: pytest.FixtureRequest) -> ApiSpec:
    """Each bundled API in turn."""
    return bundled_apis()[request.param]
