"""Stable and complete runs: one seed gives one set of findings; one finding per cause, with the
number of cases that showed it; an operation keeps being tested after its first failure."""

from __future__ import annotations

from typing import Any

import pytest

from mockgate.core.clock import Clock
from mockgate.reports.findings import Report
from tests.conftest import START, build_app
from tests.contracts import variants as v
from tests.contracts.conftest import AGENTLENS_KEY, SEED, describe, run

# Each test drives schemathesis through conformance runs: part of the slow suite.
pytestmark = pytest.mark.slow


def _agentlens(*mutations: v.Mutation) -> v.Variant:
    """The agentlens mock with ``mutations``, on a frozen clock: the same server, answer for
    answer, however often it is built."""
    app = build_app("agentlens", seed=SEED, clock=Clock(START, frozen=True))
    return v.Variant(app, "agentlens", *mutations)


def _broken() -> v.Variant:
    return _agentlens(v.drop_field("getSession", "tags"), v.wrong_counters("getSession"))


def _findings(report: Report) -> list[tuple[Any, ...]]:
    return [
        (f.check, f.operation, f.kind, f.count, f.message, f.reproduction) for f in report.findings
    ]


def test_one_seed_gives_the_same_findings_twice() -> None:
    first, second = (
        run("agentlens", _broken(), (AGENTLENS_KEY,), None, max_examples=8, stateful=True, seed=7)
        for _ in range(2)
    )
    assert {f.check for f in first.findings} >= {
        "response_schema_conformance",
        "session_counters",
    }, describe(first.findings)
    assert _findings(first) == _findings(second)
    assert first.seed == second.seed == 7


def test_a_cause_is_one_finding_with_the_number_of_cases_that_showed_it() -> None:
    report = run(
        "agentlens",
        _agentlens(v.drop_field("getSession", "tags")),
        (AGENTLENS_KEY,),
        ["response_schema_conformance"],
        max_examples=8,
        stateful=True,
        probes=False,
    )
    assert len(report.findings) == 1, describe(report.findings)
    (finding,) = report.findings
    assert (finding.check, finding.operation) == ("response_schema_conformance", "getSession")
    assert finding.count > 1
    assert report.matrix()["getSession"]["response_schema_conformance"][1] == finding.count


def test_an_operation_keeps_being_tested_after_its_first_failure() -> None:
    """A larger budget tests more: the failing operation's cases are all judged, so the count of
    the one finding grows with ``--max-examples``."""
    counts = []
    for budget in (3, 12):
        report = run(
            "agentlens",
            _agentlens(v.server_error("getSession")),
            (AGENTLENS_KEY,),
            ["not_a_server_error"],
            max_examples=budget,
            probes=False,
        )
        (finding,) = report.findings
        counts.append(finding.count)
    assert 1 < counts[0] < counts[1], counts


def test_a_run_without_a_seed_picks_one_and_reports_it() -> None:
    report = run(
        "agentlens",
        _agentlens(),
        (AGENTLENS_KEY,),
        ["not_a_server_error"],
        max_examples=1,
        probes=False,
        seed=None,
    )
    assert isinstance(report.seed, int)
    assert report.ok, describe(report.findings)
