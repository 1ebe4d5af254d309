"""The coverage model without HTTP: what a record keeps (bounded), merging, the summary's
ratios and missing lists, the file format, and the HTML rendering's structure."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from mockgate.openapi.catalog import get_api
from mockgate.reports.coverage import (
    MAX_PATHS,
    ConsumerViolation,
    Coverage,
    dump_file,
    load_file,
    merge_all,
)
from mockgate.reports.coverage_html import coverage_lines, coverage_page

TRACKING = get_api("state-tracking")


def fresh() -> Coverage:
    return Coverage.for_spec(TRACKING)


def list_sessions(coverage: Coverage, status: str, **extra: list[str]) -> None:
    coverage.record(
        operation_id="listSessions",
        method="GET",
        path="/sessions",
        status=200,
        query={"status": [status], **extra},
        response_body=[{"session_id": "a", "metadata": {"x": 1}}],
    )


def test_every_operation_is_present_unused():
    coverage = fresh()
    assert {op.operation_id for op in TRACKING.operations} == set(coverage.operations)
    assert all(usage.requests == 0 for usage in coverage.operations.values())


def test_enum_values_are_counted_by_value_and_others_as_a_star():
    coverage = fresh()
    list_sessions(coverage, "active", limit=["5"])
    list_sessions(coverage, "whatever")
    params = coverage.operations["listSessions"].parameters
    assert params["query:status"] == {"active": 1, "*": 1}
    assert params["query:limit"] == {"*": 1}


def create(coverage: Coverage, body: object) -> None:
    coverage.record(
        operation_id="createSession",
        method="POST",
        path="/sessions",
        status=201,
        body=body,
        response_body={"session_id": "x", "metadata": {}},
    )


def test_property_paths_collapse_array_indices_and_count_bodies():
    coverage = fresh()
    create(coverage, {"tags": [{"a": 1}, {"b": 2}, {"a": 3}], "meta": {"owner": "me"}})
    create(coverage, {"tags": []})
    usage = coverage.operations["createSession"]
    assert usage.body_properties == {"tags": 2, "tags[].a": 1, "tags[].b": 1, "meta": 1,
                                     "meta.owner": 1}  # fmt: skip
    assert usage.response_properties == {"201:session_id": 2, "201:metadata": 2}


def test_property_paths_stay_bounded():
    coverage = fresh()
    for start in range(0, MAX_PATHS * 3, 100):
        create(coverage, {f"key{n}": n for n in range(start, start + 100)})
    assert len(coverage.operations["createSession"].body_properties) == MAX_PATHS


def test_a_route_not_in_the_spec_is_counted_apart():
    coverage = fresh()
    coverage.record(operation_id=None, method="get", path="/nope", status=404)
    assert coverage.unknown_routes == {"GET /nope": 1}
    assert sum(u.requests for u in coverage.operations.values()) == 0


def test_the_summary_says_what_is_missing():
    coverage = fresh()
    list_sessions(coverage, "active")
    summary = coverage.summary(TRACKING)
    assert summary.operations.covered == 1
    assert summary.operations.total == len(TRACKING.operations)
    assert "getHealth" in summary.operations.missing
    assert "listSessions query:status=active" not in summary.enum_values.missing
    assert "listSessions query:status=paused" in summary.enum_values.missing
    assert "listSessions query:limit" in summary.parameters.missing
    assert "listSessions 200:[].session_id" not in summary.response_properties.missing
    assert "listSessions 200:[].project_id" in summary.response_properties.missing
    (listing,) = [op for op in summary.per_operation if op.operation_id == "listSessions"]
    assert listing.statuses.covered == 1
    assert "400" in listing.statuses.missing


def test_merging_adds_counts_and_warns_of_different_spec_versions():
    one, two = fresh(), fresh()
    list_sessions(one, "active")
    list_sessions(two, "paused")
    two.spec_version = "0.2.0"
    two.add_violation(ConsumerViolation("GET", "/x", None, 404, "not in the spec", {}))
    (merged,) = merge_all([one, two])
    usage = merged.operations["listSessions"]
    assert usage.requests == 2
    assert usage.parameters["query:status"] == {"active": 1, "paused": 1}
    assert len(merged.violations) == 1
    assert merged.summary(TRACKING).warnings == (
        "state-tracking: merged coverage of spec versions '0.1.0' and '0.2.0'",
    )
    assert one.operations["listSessions"].requests == 1  # the inputs are left as they were


def test_coverages_of_different_apis_do_not_merge():
    with pytest.raises(ValueError, match="cannot merge"):
        fresh().merge(Coverage.for_spec(get_api("agentlens")))


def test_the_file_format_round_trips():
    coverage = fresh()
    list_sessions(coverage, "active")
    coverage.add_violation(ConsumerViolation("GET", "/x", None, 404, "why", {"path": "/x"}))
    (again,) = load_file(dump_file([coverage]))
    assert again.to_json() == coverage.to_json()
    (single,) = load_file(coverage.to_json())
    assert single.to_json() == coverage.to_json()
    with pytest.raises(ValueError, match="not a mockgate coverage file"):
        load_file({"apis": []})


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.classes: set[str] = set()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section":
            self.sections.append(found.get("id") or "")
        self.classes.update((found.get("class") or "").split())
        if tag not in ("meta", "br"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1:] == [tag], (self.open[-3:], tag)
        self.open.pop()


def test_the_html_page_renders_each_api_with_its_sections():
    tracking = fresh()
    list_sessions(tracking, "active")
    tracking.add_violation(
        ConsumerViolation("POST", "/sessions", "createSession", 400, "<bad> body", {"a": "<b>"})
    )
    agentlens = Coverage.for_spec(get_api("agentlens"))
    page = coverage_page([tracking.summary(TRACKING), agentlens.summary(get_api("agentlens"))])
    parser = _Structure()
    parser.feed(page)
    parser.close()
    assert parser.open == []
    assert parser.sections == ["coverage-state-tracking", "coverage-agentlens"]
    assert {"totals", "operations", "missing", "violations", "violation"} <= parser.classes
    assert "&lt;bad&gt; body" in page
    assert "<bad>" not in page


def test_console_lines_give_the_figures_and_what_is_missing():
    coverage = fresh()
    list_sessions(coverage, "active")
    lines = coverage_lines(coverage.summary(TRACKING), missing_shown=3)
    assert lines[0].startswith("state-tracking (")
    assert any(line.split()[:2] == ["Operations", "called"] for line in lines)
    assert any(line.strip().startswith("… and") for line in lines)
