"""The mocks under test: in-process apps, and the same mocks served by ``mockgate serve`` on
free loopback ports, with the credentials each API needs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mockgate.apis.context import MockOptions
from mockgate.core.clock import Clock
from mockgate.mockserver.app import create_app
from tests.reliability.inprocess import record_ids
from tests.reliability.served import serve

APIS = ("agentlens", "fasting", "piorchestrator", "state-tracking")
START = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
SEED = 1


def options_for(api: str, **options: Any) -> dict[str, Any]:
    """``create_app`` keywords: seeded, frozen clock, rate limits off (they would refuse the
    volume sent here; tests/apis tests them), self-validation on (a response that breaks the
    spec becomes a 500, which every test here catches)."""
    options.setdefault("seed", SEED)
    options.setdefault("clock", Clock(START, frozen=True))
    options.setdefault("validate_responses", True)
    if api == "state-tracking":
        options.setdefault("rate_limit", "off")
    clock = options.pop("clock")
    return {"options": MockOptions(**options), "clock": clock}


async def fasting_token(client: httpx.AsyncClient) -> str:
    """A seeded fasting user's session token, read through the admin API."""
    users = (await client.get("/__mockgate/state")).json()["users"]
    return str(next(iter(users.values()))["token"])


@pytest.fixture(scope="session")
def credentials() -> dict[str, dict[str, str]]:
    """Headers that authenticate to each API (seed ``SEED``); piorchestrator needs none."""

    async def token() -> str:
        app = create_app("fasting", **options_for("fasting"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            return await fasting_token(client)

    return _credentials(asyncio.run(token()))


def _credentials(fasting: str) -> dict[str, dict[str, str]]:
    return {
        "agentlens": {"Authorization": "Bearer als_mockgate_dev_key"},
        "fasting": {"Authorization": f"Bearer {fasting}"},
        "piorchestrator": {},
        "state-tracking": {"X-API-Key": "st_mockgate_dev_key"},
    }


def raw_headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode(), v.encode()) for k, v in headers.items()]


@pytest.fixture(scope="module")
def apps() -> dict[str, Any]:
    """One in-process app per API for a module (tests that write reset it first)."""
    return {api: create_app(api, **options_for(api)) for api in APIS}


@pytest.fixture(scope="module")
def ids(apps, credentials) -> dict[str, dict[str, str]]:
    """Per API, ids of seeded records of the in-process ``apps``."""
    return {api: record_ids(app, api, credentials[api]) for api, app in apps.items()}


# ``mockgate serve`` options matching ``options_for``.
SERVE_OPTIONS = (
    *("--seed", str(SEED), "--clock", "frozen", "--start", START.isoformat()),
    *("--rate-limit", "off", "--validate-responses", "--no-access-log", "--log-level", "warning"),
)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[dict[str, str]]:
    """Base URLs of the four mocks served by one ``mockgate serve`` process on loopback ports."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with serve(APIS, *SERVE_OPTIONS, log=log) as urls:
        yield urls


@pytest.fixture(scope="module")
def served_credentials(served) -> dict[str, dict[str, str]]:
    """``credentials`` for the ``served`` mocks."""

    async def token() -> str:
        async with httpx.AsyncClient(base_url=served["fasting"]) as client:
            return await fasting_token(client)

    return _credentials(asyncio.run(token()))
