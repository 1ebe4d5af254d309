"""``verify``: one conformance run against one implementation of one API."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from mockgate.contracts.conformance import BUILTIN_DOCS, ConformanceOptions, run_conformance
from mockgate.contracts.coverage import CoverageRecorder
from mockgate.contracts.pacing import Pacer
from mockgate.contracts.registry import checks_for
from mockgate.contracts.session import ProbeSession, RateLimited, ReadOnly
from mockgate.openapi.catalog import get_api
from mockgate.reports.findings import Report
from mockgate.reports.provider_coverage import RunCoverage, Threshold
from mockgate.reports.secrets import Secrets

__all__ = ["Target", "VerifyOptions", "credentials_refused", "unreachable", "verify"]


@dataclass(frozen=True)
class Target:
    """What is checked: a base URL, or an in-process ASGI app (our own CI's fast path)."""

    api: str
    base_url: str | None = None
    app: Any = None
    credentials: tuple[str, ...] = ()  # API keys or session tokens; the first is the main one
    headers: dict[str, str] = field(default_factory=dict)  # sent as given on every request
    # Where the user gave ``credentials``, as reproductions name it ("the first --api-key").
    credentials_given_by: str = "--api-key"

    @property
    def label(self) -> str:
        return self.base_url or f"in-process {self.api} app"


@dataclass(frozen=True)
class VerifyOptions:
    conformance: ConformanceOptions = field(default_factory=ConformanceOptions)
    probes: bool = True
    strict: bool = False  # advisories fail the run too
    min_coverage: tuple[Threshold, ...] = ()  # unmet, they fail the run as findings do


def verify(
    target: Target,
    options: VerifyOptions | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    pacer: Pacer | None = None,
) -> Report:
    """Every way ``target`` departs from the contract of ``target.api``; ``progress`` hears
    what is being checked; ``pacer`` keeps the run within the target's rate limits (by
    default on the real clock). A ``KeyboardInterrupt`` (Ctrl-C) ends the run early with what was
    found until then and ``Report.interrupted`` saying where it stopped."""
    options = _seeded(options or VerifyOptions())
    api = get_api(target.api)
    docs = BUILTIN_DOCS | {check.name: check.doc for check in checks_for(target.api)}
    report = Report(
        api=target.api,
        target=target.label,
        check_docs=docs,
        secrets=_secrets(target),
        seed=options.conformance.seed,
        strict=options.strict,
    )
    started = time.monotonic()
    where = "the credential check"
    # One pacer for the whole run: the engine and the probes draw on the same buckets.
    pacer = pacer or Pacer()
    coverage = CoverageRecorder(api)

    def heard(text: str) -> None:
        nonlocal where
        where = text
        if progress is not None:
            progress(text)

    try:
        with _client(target) as client:
            refused = _credentials_refused(target, client, pacer)
        if refused:
            # Every protected request would be refused: a "pass" would mean nothing.
            report.errors.append(refused)
        else:
            if _runs_engine(target.api, options.conformance):
                run_conformance(
                    api,
                    report,
                    credentials=target.credentials,
                    options=options.conformance,
                    base_url=target.base_url,
                    app=target.app,
                    progress=heard,
                    pacer=pacer,
                    coverage=coverage,
                )
            if options.probes:
                with _client(target) as client:
                    _run_probes(target, client, report, options.conformance, heard, pacer, coverage)
    except KeyboardInterrupt:
        report.interrupted = f"during {where}"
    report.coverage = RunCoverage.judge(coverage.coverage, api, options.min_coverage)
    report.elapsed = time.monotonic() - started
    return report


def unreachable(base_url: str) -> str | None:
    """Why nothing answers at ``base_url`` ("cannot reach ..."), or None when anything does
    (any status: the suite judges it)."""
    try:
        httpx.get(base_url, timeout=10, follow_redirects=False)
    except httpx.HTTPError as exc:
        return f"cannot reach {base_url}: {exc}"
    return None


def credentials_refused(target: Target) -> str | None:
    """Why the suite cannot judge the protected operations of ``target`` (no credential, or
    the first one refused), or None when it can: what ``verify`` checks before anything else."""
    with _client(target) as client:
        return _credentials_refused(target, client, Pacer())


def _runs_engine(api: str, options: ConformanceOptions) -> bool:
    """Whether a selected check runs in schemathesis' engine (its own, or a response check):
    a run of probes only sends none of its generated requests."""
    engine = [*BUILTIN_DOCS, *(c.name for c in checks_for(api) if c.kind == "response")]
    return any(_selected(name, options) for name in engine)


def _seeded(options: VerifyOptions) -> VerifyOptions:
    """``options`` with a seed: the one given, or one picked now (and reported), so that any
    run can be repeated."""
    if options.conformance.seed is not None:
        return options
    seed = random.SystemRandom().randrange(2**32)
    return replace(options, conformance=replace(options.conformance, seed=seed))


def _credentials_refused(target: Target, client: httpx.Client, pacer: Pacer) -> str | None:
    """Why the suite cannot judge the protected operations, or None when it can."""
    api = get_api(target.api)
    if not api.document.get("security"):
        return None
    probe_op = next(
        (
            op
            for op in api.operations
            if op.method == "GET"
            and "{" not in op.path
            and api.operation_by_id(op.operation_id or "").get("security") != []
        ),
        None,
    )
    if probe_op is None or probe_op.operation_id is None:
        return None
    if not target.credentials:
        return f"{target.api} requires credentials: pass --api-key (or --mockgate-api-key)"
    session = ProbeSession(
        api, client, credentials=target.credentials, headers=target.headers, pacer=pacer
    )
    try:
        exchange = session.call(probe_op.operation_id)
    except RateLimited:
        return None
    if exchange.status in (401, 403):
        return (
            f"the credential was refused ({exchange.describe()}): every protected operation "
            "would answer the same, so nothing could be judged; pass a valid --api-key"
        )
    return None


def _client(target: Target) -> httpx.Client:
    if target.app is not None:
        from starlette.testclient import TestClient

        # A loopback name: a mock refuses other Host names (DNS rebinding).
        return TestClient(target.app, base_url="http://localhost", raise_server_exceptions=False)
    # No redirects and no cookie jar: a probe sends exactly the credentials it means to.
    return httpx.Client(base_url=target.base_url or "", follow_redirects=False, timeout=30)


def _run_probes(
    target: Target,
    client: httpx.Client,
    report: Report,
    options: ConformanceOptions,
    progress: Callable[[str], None] | None,
    pacer: Pacer,
    coverage: CoverageRecorder,
) -> None:
    api = get_api(target.api)
    for check in checks_for(target.api):
        if check.kind != "probe" or not _selected(check.name, options):
            continue
        if check.writes and options.read_only:
            report.skipped.append(f"{check.name}: sends writes (read-only mode)")
            continue
        if progress is not None:
            progress(f"probe: {check.name}")
        session = ProbeSession(
            api,
            client,
            credentials=target.credentials,
            headers=target.headers,
            read_only=options.read_only,
            pacer=pacer,
        )
        client.cookies.clear()
        began = time.monotonic()
        try:
            findings = list(check.as_probe()(session))
        except (RateLimited, ReadOnly) as exc:
            report.skipped.append(f"{check.name}: {exc}")
            continue
        except httpx.TransportError as exc:
            report.errors.append(f"{check.name}: {type(exc).__name__}: {exc}")
            continue
        finally:
            coverage.exchanges(session.exchanges)
        for finding in findings:
            if check.finding_kind == "advisory":
                finding = replace(finding, kind="advisory")
            report.add(finding)
        failed = {f.operation for f in findings if f.check == check.name}
        calls = Counter(e.operation_id for e in session.exchanges)
        judged = (set(calls) - session.unjudged) | failed
        for operation in judged - failed:
            report.passed[(operation, check.name)] += 1
        # The probe's time, shared among what it judged by how many calls each took.
        seconds, weight = time.monotonic() - began, sum(calls[op] or 1 for op in judged)
        for operation in judged:
            report.spend(operation, check.name, seconds * (calls[operation] or 1) / weight)


def _secrets(target: Target) -> Secrets:
    """What the run was given that no report may show: the credentials, and the values of
    headers that carry one (the spec's API-key headers among them)."""
    schemes = get_api(target.api).document.get("components", {}).get("securitySchemes", {})
    api_key_headers = [
        s["name"] for s in schemes.values() if s.get("type") == "apiKey" and s.get("in") == "header"
    ]
    return Secrets.of(
        target.credentials, target.headers, api_key_headers, target.credentials_given_by
    )


def _selected(name: str, options: ConformanceOptions) -> bool:
    wanted = options.include_checks
    return (wanted is None or name in wanted) and name not in options.exclude_checks
