"""What a ``verify`` run exercised of the contract, from its own exchanges: schemathesis' and
the probes', against our mocks in-process."""

from __future__ import annotations

from typing import Any

import pytest

from mockgate.contracts.coverage import CoverageRecorder, _link_name
from mockgate.openapi.catalog import get_api
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Report
from tests.conftest import build_app
from tests.contracts.conftest import (
    AGENTLENS_KEY,
    agentlens_app,
    credentials_for,
    run,
    virtual_pacer,
)


def agentlens_run(**options: Any) -> Report:
    app = agentlens_app()
    return run("agentlens", app, (AGENTLENS_KEY,), pacer=virtual_pacer(app), **options)


def test_the_probes_exchanges_are_counted():
    # Probes only: schemathesis sends nothing, so every figure comes from the probes' requests.
    report = agentlens_run(checks=["auth_required", "page_walk"])
    assert report.coverage is not None
    listed = report.coverage.coverage.operations["listSessions"]
    assert {"200", "401"} <= set(listed.statuses)
    assert listed.requests == sum(listed.statuses.values())
    assert "200:sessions[].id" in listed.response_properties
    assert "401:error" in listed.response_properties
    assert report.coverage.summary.operations.covered == 4  # auth_required calls every one


def test_a_read_only_run_sends_every_enum_value_and_never_calls_the_writes():
    app = build_app("state-tracking", seed=1)
    report = run(
        "state-tracking",
        app,
        credentials_for("state-tracking", app),
        ["not_a_server_error"],
        max_examples=1,
        probes=False,
        read_only=True,
        pacer=virtual_pacer(app),
    )
    assert report.coverage is not None
    summary = report.coverage.summary
    assert summary.enum_values.missing == ()
    assert summary.enum_values.total > 0
    statuses = report.coverage.coverage.operations["listSessions"].parameters["query:status"]
    assert statuses["active"]
    assert statuses["paused"]
    assert "createSession" in summary.operations.missing
    assert not [op for op in summary.operations.missing if op.startswith(("list", "get"))]


@pytest.mark.slow
def test_a_full_run_covers_every_operation_status_examples_and_links():
    report = agentlens_run(max_examples=2, stateful=True)
    assert report.ok, report.findings
    assert report.coverage is not None
    summary = report.coverage.summary
    assert (summary.operations.covered, summary.operations.total) == (4, 4)
    assert {"200", "400", "401"} <= set(summary.per_operation[0].statuses_seen)
    assert summary.parameters.missing == ()
    assert summary.body_properties.missing == ()
    # The spec's named request example, sent by schemathesis' examples phase.
    assert report.coverage.examples.missing == ()
    assert report.coverage.links.covered > 0
    listed = report.coverage.coverage.operations["listSessions"]
    assert listed.parameters["query:limit"]["*"] > 0


def exchange(method: str, body: Any = None, status: int = 201) -> Exchange:
    return Exchange(
        operation_id="ingestEvents",
        method=method,
        path="/api/events",
        url="http://localhost/api/events?x=1",
        status=status,
        response_headers={"content-type": "application/json"},
        content=b'{"ingested": 1}',
        body=body,
    )


def test_a_body_equal_to_a_named_example_counts_as_that_example():
    recorder = CoverageRecorder(get_api("agentlens"))
    operation = get_api("agentlens").operation_by_id("ingestEvents")
    example = operation["requestBody"]["content"]["application/json"]["examples"][
        "session-with-tool-call"
    ]["value"]
    recorder.exchange(exchange("POST", example))
    recorder.exchange(exchange("POST", {"events": []}, status=400))
    usage = recorder.coverage.operations["ingestEvents"]
    assert usage.examples == {"session-with-tool-call": 1}
    assert usage.statuses == {"201": 1, "400": 1}
    assert "201:ingested" in usage.response_properties
    assert "events" in usage.body_properties


def test_a_method_the_operation_does_not_declare_is_not_a_use_of_it():
    recorder = CoverageRecorder(get_api("agentlens"))
    recorder.exchange(exchange("TRACE", status=405))
    assert recorder.coverage.operations["ingestEvents"].requests == 0
    assert not recorder.coverage.unknown_routes


@pytest.mark.parametrize(
    ("transition", "link"),
    [
        ("GET /api/sessions -> [200] getSession -> GET /api/sessions/{id}", "200:getSession"),
        ("POST /a -> [2XX] Next Step -> GET /b", "2XX:Next Step"),
        ("something else", None),
    ],
    ids=["schemathesis-name", "spaces-in-the-link-name", "not-a-transition"],
)
def test_a_link_is_named_by_its_status_and_name(transition, link):
    assert _link_name(transition) == link
