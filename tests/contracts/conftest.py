"""Fixtures for the conformance suites' own tests: our mocks, in-process, and a ``verify`` helper
with the small fixed budget every test here uses."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import httpcore
import httpx
import pytest
import schemathesis

from mockgate.apis.context import MockOptions
from mockgate.contracts.conformance import ConformanceOptions
from mockgate.contracts.pacing import Pacer
from mockgate.contracts.runner import Target, VerifyOptions, verify
from mockgate.mockserver.app import MockApp, context_of, create_app
from mockgate.reports.findings import Finding, Report
from tests.conftest import build_app


def _load_eagerly(package: Any) -> None:
    """Import every module of ``package`` now.

    pytester's in-process runs (``test_plugin.py``) unload every module first imported during
    the run. schemathesis and httpcore import much of themselves lazily, so later code in this
    process imported a second copy next to the first, whose classes no longer match: schemathesis
    reported ``unhashable type: 'GeneratedValue'`` for ``POST /api/events``, and httpx no longer
    mapped httpcore's ``ConnectError`` (so ``mockgate verify`` crashed on an unreachable server
    instead of exiting 3). Loaded here, at collection, they are part of pytester's snapshot and
    are never unloaded.
    """
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        try:
            importlib.import_module(module.name)
        except Exception:  # an optional integration whose extra is not installed
            continue


for _package in (schemathesis, httpcore, httpx):
    _load_eagerly(_package)
importlib.import_module("mockgate.contracts.checks")  # registered once, before any pytester run

AGENTLENS_KEY = "als_mockgate_dev_key"
SEED = 1


def agentlens_app(**options: Any) -> Any:
    return build_app("agentlens", seed=SEED, **options)


def fasting_app() -> Any:
    return create_app("fasting", MockOptions(seed=SEED))


def fasting_tokens(app: Any) -> tuple[str, ...]:
    """The session tokens of the fasting mock's users, in store order."""
    return tuple(user["token"] for user in context_of(app).store.values("users"))


def credentials_for(api: str, app: Any) -> tuple[str, ...]:
    """The credentials a run against ``app`` (a mock of ``api``) needs."""
    if api == "fasting":
        return fasting_tokens(app)
    return {"agentlens": (AGENTLENS_KEY,), "state-tracking": ("st_mockgate_dev_key",)}.get(api, ())


def virtual_pacer(app: MockApp) -> Pacer:
    """A pacer that waits on the mock's own clock: a rate-limit window passes in no real time."""
    clock = context_of(app).clock
    return Pacer(clock=clock.timestamp, sleep=lambda s: clock.advance(timedelta(seconds=s)))


def run(
    api: str,
    app: Any,
    credentials: tuple[str, ...],
    checks: Iterable[str] | None = None,
    *,
    max_examples: int = 5,
    stateful: bool = False,
    probes: bool = True,
    read_only: bool = False,
    seed: int | None = SEED,
    strict: bool = False,
    pacer: Pacer | None = None,
) -> Report:
    """``verify`` on the in-process ``app`` with a fixed seed and a small budget; ``checks``
    limits the run to those checks (None: all of them); ``pacer`` as ``verify``'s."""
    options = ConformanceOptions(
        max_examples=max_examples,
        seed=seed,
        include_checks=None if checks is None else frozenset(checks),
        stateful=stateful,
        read_only=read_only,
    )
    target = Target(api, app=app, credentials=credentials)
    return verify(target, VerifyOptions(options, probes=probes, strict=strict), pacer=pacer)


def describe(findings: Iterable[Finding]) -> str:
    return "\n".join(f"- {f.check} {f.operation}: {f.message[:300]}" for f in findings) or "none"


def assert_caught_alone(report: Report, check: str, variant: Any) -> None:
    """``check``, and only it, found ``variant`` broken, each finding with a curl to reproduce."""
    caught = [f for f in report.findings if f.check == check]
    assert caught, f"{check} missed {variant!r}; findings: {describe(report.findings)}"
    assert {f.check for f in report.findings} == {check}, describe(report.findings)
    for finding in caught:
        assert finding.reproduction, finding
        assert finding.reproduction[-1].startswith("curl "), finding.reproduction


@pytest.fixture
def agentlens() -> Any:
    return agentlens_app()


@pytest.fixture
def fasting() -> Any:
    return fasting_app()
