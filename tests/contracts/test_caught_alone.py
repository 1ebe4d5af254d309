"""The variants that used to slip through every check (list counters that disagree with what
they count, inline images that are no JPEG, rate-limit headers that go missing), against the
whole suite: each is caught by the check that now holds it, and by no other, so the finding
names the cause. (The per-module tests run each check alone; this runs them all at once, in the
same read-only mode: in write mode `task_lifecycle` also holds the progress counters of the
session it drives, as `grouping_consistency` holds those of listed sessions.)"""

from __future__ import annotations

from typing import Any

import pytest

from mockgate.contracts import runner
from tests.contracts import test_piorchestrator_checks as pi_cases
from tests.contracts import test_state_tracking_checks as st_cases
from tests.contracts import test_variants as al_cases
from tests.contracts import variants as v
from tests.contracts.conftest import agentlens_app, credentials_for, describe, run, virtual_pacer

pytestmark = pytest.mark.slow

AGENTLENS = (
    "agentlens-list-counters-off",
    "agentlens-llm-call-count-off",
    "agentlens-total-ignores-filters",
)
PIORCHESTRATOR = (
    "inline-png-labelled-png",
    "jpeg-markers-around-garbage",
    "short-text-for-an-image",
    "active-sessions-list-counters-off",
    "list-total-below-the-sessions-listed",
    "list-total-beyond-a-short-list",
)
STATE_TRACKING = (
    "available-slots-one-too-many",
    "available-entry-of-another-machine-size",
    "machine-active-sessions-not-its-slots",
    "progress-completion-percentage-off",
    "429-without-rate-limit-headers",
    "rate-limit-headers-missing-on-errors",
    "rate-limit-headers-missing-on-some-routes",
)


def _case(cases: list[Any], name: str) -> Any:
    return next(case for case in cases if case.id == name)


def _assert_only(report: Any, check: str) -> None:
    assert {f.check for f in report.findings} == {check}, describe(report.findings)
    assert not report.errors, report.errors


@pytest.mark.parametrize("name", AGENTLENS, ids=str)
def test_agentlens_variant_is_caught_by_its_check_alone(name: str) -> None:
    case = _case(al_cases.CASES, name)
    app = agentlens_app(dataset=case.dataset)
    variant = v.Variant(app, "agentlens", *case.mutations())
    credentials = credentials_for("agentlens", app)
    report = run("agentlens", variant, credentials, None, read_only=case.read_only)
    _assert_only(report, case.catches)


@pytest.mark.parametrize("name", PIORCHESTRATOR, ids=str)
def test_piorchestrator_variant_is_caught_by_its_check_alone(name: str) -> None:
    case = _case(pi_cases.CASES, name)
    variant = v.Variant(case.app(), pi_cases.API, *case.mutations())
    _assert_only(run(pi_cases.API, variant, (), None, read_only=True), case.catches)


@pytest.mark.parametrize("name", STATE_TRACKING, ids=str)
def test_state_tracking_variant_is_caught_by_its_check_alone(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the limits on, a whole run would spend minutes waiting out the 429s its fuzzing
    provokes: the rate-limit variants run every response check (fuzzing only) or every probe
    (probes only), whichever phase holds their check."""
    case = _case(st_cases.CASES, name)
    limited = case.rate_limit is None
    if limited and case.probe:
        monkeypatch.setattr(runner, "run_conformance", lambda *args, **kwargs: None)
    app = st_cases.st_app(case.rate_limit)
    variant = v.Variant(app, st_cases.API, *case.mutations(app))
    probes = case.probe or not limited
    report = run(
        st_cases.API,
        variant,
        (st_cases.KEY,),
        None,
        probes=probes,
        read_only=case.read_only,
        pacer=virtual_pacer(app),
    )
    _assert_only(report, case.catches)
