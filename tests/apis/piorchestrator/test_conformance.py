"""The conformance suite (schemathesis with mockgate's checks, stateful links, probes) finds
nothing wrong with the mock, which checks every response against the spec as well."""

from __future__ import annotations

from mockgate.apis.context import MockOptions
from mockgate.contracts.conformance import ConformanceOptions
from mockgate.contracts.runner import Target, VerifyOptions, verify
from mockgate.mockserver.app import context_of, create_app


def test_the_mock_passes_its_own_conformance_suite():
    app = create_app("piorchestrator", MockOptions(seed=1, validate_responses=True))
    options = VerifyOptions(ConformanceOptions(max_examples=15, seed=1), probes=True)
    report = verify(Target("piorchestrator", app=app), options)
    assert report.findings == []
    assert report.errors == []
    assert context_of(app).violations == []
    assert sum(report.passed.values()) > 1000
