"""What a run counts: a check that had nothing to judge is not a pass, and the time of the run
is shared among what was judged."""

from __future__ import annotations

from tests.contracts import variants as v
from tests.contracts.conftest import AGENTLENS_KEY, agentlens_app, describe, run


def test_a_check_with_nothing_to_judge_is_not_a_pass() -> None:
    report = run("agentlens", agentlens_app(), (AGENTLENS_KEY,), max_examples=5)
    assert report.ok, describe(report.findings)
    passed = set(report.passed)
    # Judged where they apply...
    assert ("getSessionTimeline", "hash_chain") in passed
    assert ("listSessions", "page_size_bound") in passed
    assert ("listSessions", "negative_data_rejection") in passed
    # ... and nowhere else: not a pass, not applicable.
    for operation in ("getSession", "listSessions", "ingestEvents"):
        assert (operation, "hash_chain") not in passed
        assert "hash_chain" in report.not_applicable()[operation]
    assert ("getSession", "page_size_bound") not in passed
    assert ("getSession", "filter_match") not in passed
    # schemathesis' own checks too: unsupported_method judged only its undeclared-method cases.
    judged = report.passed[("listSessions", "unsupported_method")]
    assert 0 < judged < report.passed[("listSessions", "not_a_server_error")]


def test_a_probe_that_could_not_judge_an_operation_does_not_pass_it() -> None:
    """paging_clamp judges nothing of an operation that fails without any paging value."""
    app = v.Variant(agentlens_app(), "agentlens", v.server_error("listSessions"))
    report = run("agentlens", app, (AGENTLENS_KEY,), ["paging_clamp"], probes=True)
    assert not [f for f in report.findings if f.check == "paging_clamp"]
    assert ("listSessions", "paging_clamp") not in report.passed


def test_the_run_time_is_shared_among_what_was_judged() -> None:
    report = run("agentlens", agentlens_app(), (AGENTLENS_KEY,), max_examples=5)
    judged = {key for key, count in report.passed.items() if count}
    assert judged <= set(report.durations)
    assert all(report.durations[key] > 0 for key in judged)
    spent = sum(report.durations.values())
    assert 0.5 * report.elapsed < spent <= report.elapsed
