"""``verify``: one conformance run against one implementation of one API."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from contracts.conformance import ConformanceOptions, run_conformance
from contracts.findings import Report
from contracts.registry import checks_for
from contracts.session import ProbeSession, RateLimited, ReadOnly
from mockserver.catalog import get_api

__all__ = ["Target", "VerifyOptions", "verify"]


@dataclass(frozen=True)
class Target:
    """What is checked: a base URL, or an in-process ASGI app (our own CI's fast path)."""

    api: str
    base_url: str | None = None
    app: Any = None
    credentials: tuple[str, ...] = ()  # API keys or session tokens; the first is the main one
    headers: dict[str, str] = field(default_factory=dict)  # sent as given on every request

    @property
    def label(self) -> str:
        return self.base_url or f"in-process {self.api} app"


@dataclass(frozen=True)
class VerifyOptions:
    conformance: ConformanceOptions = field(default_factory=ConformanceOptions)
    probes: bool = True


def verify(target: Target, options: VerifyOptions | None = None) -> Report:
    """Every way ``target`` departs from the contract of ``target.api``."""
    options = options or VerifyOptions()
    api = get_api(target.api)
    report = Report(api=target.api, target=target.label)
    started = time.monotonic()
    run_conformance(
        api,
        report,
        credentials=target.credentials,
        options=options.conformance,
        base_url=target.base_url,
        app=target.app,
    )
    if options.probes:
        with _client(target) as client:
            _run_probes(target, client, report, options.conformance)
    report.elapsed = time.monotonic() - started
    return report


def _client(target: Target) -> httpx.Client:
    if target.app is not None:
        from starlette.testclient import TestClient

        return TestClient(target.app, base_url="http://mock", raise_server_exceptions=False)
    # No redirects and no cookie jar: a probe sends exactly the credentials it means to.
    return httpx.Client(base_url=target.base_url or "", follow_redirects=False, timeout=30)


def _run_probes(
    target: Target, client: httpx.Client, report: Report, options: ConformanceOptions
) -> None:
    api = get_api(target.api)
    for check in checks_for(target.api):
        if check.kind != "probe" or not _selected(check.name, options):
            continue
        if check.writes and options.read_only:
            report.skipped.append(f"{check.name}: sends writes (read-only mode)")
            continue
        session = ProbeSession(
            api,
            client,
            credentials=target.credentials,
            headers=target.headers,
            read_only=options.read_only,
        )
        client.cookies.clear()
        try:
            findings = list(check.function(session))  # type: ignore[call-arg]
        except (RateLimited, ReadOnly) as exc:
            report.skipped.append(f"{check.name}: {exc}")
            continue
        except httpx.TransportError as exc:
            report.errors.append(f"{check.name}: {type(exc).__name__}: {exc}")
            continue
        for finding in findings:
            report.add(finding)
        failed = {f.operation for f in findings if f.check == check.name}
        for operation in {e.operation_id for e in session.exchanges} - failed:
            report.passed[(operation, check.name)] += 1


def _selected(name: str, options: ConformanceOptions) -> bool:
    wanted = options.include_checks
    return (wanted is None or name in wanted) and name not in options.exclude_checks
