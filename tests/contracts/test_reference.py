"""Zero false positives: our unmodified mocks, and variants that change only what the contracts
leave open, pass every check with no finding and no error."""

from __future__ import annotations

from typing import Any

import pytest

from mockgate.apis.agentlens.hashchain import event_hash as mock_event_hash
from mockgate.contracts.conformance import BUILTIN_DOCS
from mockgate.contracts.registry import checks_for
from tests.conftest import build_app
from tests.contracts import variants as v
from tests.contracts.conftest import (
    AGENTLENS_KEY,
    SEED,
    agentlens_app,
    credentials_for,
    describe,
    fasting_app,
    run,
)

# Each test drives schemathesis through whole conformance runs: part of the slow suite.
pytestmark = pytest.mark.slow

# Checks with nothing to judge on an API: piorchestrator's config-UI port takes no credentials,
# and its lists have a `limit` but no pages to walk; the state-tracking mock runs with its rate
# limits off here, so no answer carries the headers the rate-limit checks judge.
NOTHING_TO_JUDGE = {
    "piorchestrator": {"auth_required", "page_walk"},
    "state-tracking": {"rate_limit_headers", "rate_limit_coverage"},
}

# schemathesis checks the suites rely on: each must have run, and passed, on our mocks.
RELIED_ON = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "ignored_auth",
}


@pytest.mark.parametrize(
    "api",
    ["agentlens", "fasting", "piorchestrator", "state-tracking"],
    ids=["agentlens", "fasting", "piorchestrator", "state-tracking"],
)
def test_the_unmodified_mock_passes_the_full_suite(api: str) -> None:
    """Self-conformance, as ``mockgate verify API`` against ``mockgate serve API``: every check,
    probes on, stateful phase on, a bounded budget; zero findings."""
    if api == "agentlens":
        app = agentlens_app()
    elif api == "fasting":
        app = fasting_app()
    else:  # rate limits off: the budget would otherwise be spent waiting out 429s
        app = build_app(api, seed=SEED, rate_limit="off")
    report = run(api, app, credentials_for(api, app), None, max_examples=10, stateful=True)
    assert report.ok, f"{describe(report.findings)}\nerrors: {report.errors}"
    assert not report.advisories, describe(report.advisories)  # strict mode passes too
    ran = {check for _, check in report.passed}
    mine = {check.name for check in checks_for(api)}
    assert mine - NOTHING_TO_JUDGE.get(api, set()) <= ran, f"never ran: {sorted(mine - ran)}"
    assert RELIED_ON <= ran <= mine | set(BUILTIN_DOCS)


def _unchained(request: v.Request, body: Any) -> Any:
    """Every event unlinked and rehashed (by the mock's own implementation) as OTLP telemetry."""
    if isinstance(body, dict) and isinstance(body.get("events"), list):
        for event in body["events"]:
            event["prevHash"] = None
            event["hash"] = mock_event_hash(event, None)
        body["chained"] = False
    return body


def _chain_valid(value: bool) -> v.Mutation:
    def edit(request: v.Request, body: Any) -> Any:
        body["chainValid"] = value
        return body

    return v.Mutation(
        f"chainValid {value}", frozenset({"getSessionTimeline"}), response=v.on_json(edit)
    )


ALLOWED = [
    pytest.param(
        "agentlens",
        "demo",
        lambda: (v.reverse_order("listSessions"),),
        ["page_walk", "filter_match", "page_size_bound", "paging_clamp"],
        id="agentlens-any-order-no-order-is-promised",
    ),
    pytest.param(
        "agentlens",
        "docs",
        lambda: (),
        ["session_counters", "hash_chain", "response_schema_conformance"],
        id="agentlens-documented-47-events-2-shown",
    ),
    pytest.param(
        "agentlens",
        "docs",
        lambda: (
            v.Mutation(
                "unchained", frozenset({"getSessionTimeline"}), response=v.on_json(_unchained)
            ),
            _chain_valid(True),
        ),
        ["hash_chain", "session_counters"],
        id="agentlens-unchained-timeline-verified-per-event",
    ),
    pytest.param(
        "agentlens",
        "docs",
        lambda: (
            v.Mutation(
                "unchained", frozenset({"getSessionTimeline"}), response=v.on_json(_unchained)
            ),
            _chain_valid(False),
        ),
        ["hash_chain"],
        id="agentlens-unchained-timeline-verified-strictly",
    ),
    pytest.param(
        "agentlens",
        "demo",
        lambda: (
            v.add_fields("listSessions", region="eu-west-1"),
            v.add_fields("getSession", region="eu-west-1"),
        ),
        ["response_schema_conformance", "filter_match", "page_walk", "session_counters"],
        id="agentlens-extra-fields",
    ),
    pytest.param(
        "fasting",
        "demo",
        lambda: (v.add_fields("listSessions", createdAt="2026-01-01T00:00:00.000Z"),),
        None,
        id="fasting-extra-fields",
    ),
]


@pytest.mark.parametrize(("api", "dataset", "mutations", "checks"), ALLOWED)
def test_what_the_contract_allows_is_never_reported(api, dataset, mutations, checks) -> None:
    app = agentlens_app(dataset=dataset) if api == "agentlens" else fasting_app()
    variant = v.Variant(app, api, *mutations())
    report = run(api, variant, credentials_for(api, app), checks, read_only=True)
    assert report.ok, f"{describe(report.findings)}\nerrors: {report.errors}"
    ran = {check for _, check in report.passed}
    assert set(checks or ()) <= ran, f"never ran: {sorted(set(checks or ()) - ran)}"


def test_payload_rules_the_spec_does_not_model_are_never_reported() -> None:
    """The real AgentLens server checks each event's payload by its type and refuses a batch
    the spec accepts (``x-mockgate-unmodelled-rules: [400]`` on ingestEvents): a server that
    refuses every batch that way still conforms."""

    def refuse(request: v.Request, response: v.Response) -> v.Response:
        response.status = 400
        response.json = {"error": "Invalid payload for eventType tool_call", "status": 400}
        return response

    app = v.Variant(
        agentlens_app(),
        "agentlens",
        v.Mutation("payload rules", frozenset({"ingestEvents"}), response=refuse),
    )
    report = run("agentlens", app, (AGENTLENS_KEY,), ["positive_data_acceptance"], probes=False)
    assert report.ok, f"{describe(report.findings)}\nerrors: {report.errors}"
    assert report.passed[("ingestEvents", "positive_data_acceptance")], "ingest never judged"


def test_a_single_credential_skips_user_isolation_without_a_finding() -> None:
    app = fasting_app()
    report = run(
        "fasting", app, credentials_for("fasting", app)[:1], ["user_isolation"], read_only=True
    )
    assert report.ok, describe(report.findings)


def test_in_read_only_mode_auth_required_calls_only_get_operations() -> None:
    app = agentlens_app()
    report = run("agentlens", app, (AGENTLENS_KEY,), ["auth_required"], read_only=True)
    assert report.ok, describe(report.findings)
    assert {op for op, check in report.passed if check == "auth_required"} == {
        "listSessions",
        "getSession",
        "getSessionTimeline",
    }
