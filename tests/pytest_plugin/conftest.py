"""A live agentlens mock the consumer projects' suites run against, and project builders."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpcore  # noqa: F401  (see below)
import pytest

import mockgate.contracts.runner  # noqa: F401  (see below)
from mockgate.mockserver.handles import MockFactory, MockHandle

# pytester's in-process runs drop the modules first imported inside them once they end. Imported
# here, these stay the same for every run: a run's fresh httpcore would raise errors httpx no
# longer recognises (not turned into httpx.ConnectError), and a fresh runner would not be the one
# a consumer's conftest.py patches (`from mockgate.contracts import runner` finds the old one).

KEY = "als_mockgate_dev_key"


@pytest.fixture(scope="module")
def live_agentlens() -> Iterator[MockHandle]:
    factory = MockFactory()
    yield factory.start("agentlens", live=True, seed=1)
    factory.close()


@pytest.fixture
def agentlens(live_agentlens: MockHandle) -> MockHandle:
    """The live mock, its journal empty: ``requests()`` is what this test's run sent."""
    live_agentlens.reset()
    return live_agentlens


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def configure(
    pytester: pytest.Pytester, base_url: str, api: str = "agentlens", key: str | None = KEY
) -> None:
    """A consumer project whose ini file configures the suite, with one test of its own."""
    pytester.makeini(
        "\n".join(
            [
                "[pytest]",
                "addopts = -p no:cacheprovider",
                f"mockgate_api = {api}",
                f"mockgate_base_url = {base_url}",
                *([f"mockgate_api_keys = {key}"] if key else []),
                "mockgate_max_examples = 2",
            ]
        )
    )
    pytester.makepyfile(test_models="def test_models():\n    assert 1 + 1 == 2\n")


def checks(api: str) -> list[str]:
    """The suite's items, in order."""
    from mockgate.contracts.conformance import BUILTIN_DOCS
    from mockgate.contracts.registry import checks_for

    return ["suite", *BUILTIN_DOCS, *(c.name for c in checks_for(api))]
