"""Proof for the PiOrchestrator checks: each catches a deliberately broken variant of our mock
(with a curl reproduction), and the unmodified mock - and variants that change only what the
contract leaves open - pass each with no finding and no error."""

from __future__ import annotations

import base64
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

import mockgate.contracts.checks.piorchestrator as pi
from mockgate.apis.context import MockOptions
from mockgate.contracts import runner
from mockgate.contracts.checks.totals import list_total
from mockgate.contracts.registry import CHECKS, checks_for, judge
from mockgate.contracts.session import ProbeSession
from mockgate.core.clock import Clock
from mockgate.mockserver.app import context_of, create_app
from mockgate.openapi.catalog import get_api
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Report
from tests.contracts import variants as v
from tests.contracts import variants_more as vm
from tests.contracts.conftest import SEED, assert_caught_alone, describe, run

API = "piorchestrator"
SPEC = get_api(API)
RESPONSE_CHECKS = (
    "evidence_summary",
    "pair_consistency",
    "image_data_jpeg",
    "optional_fields_not_null",
)
PROBES = ("session_counters_match_evidence", "pair_matches_evidence", "image_proxy")
SHARED_RESPONSE_CHECKS = ("list_total",)  # registered elsewhere, for piorchestrator too
# The documents' moment: the docs dataset's images are still inline (under the 24 h TTL), but for
# the documented AFTER_CLOSE, object-store only as the document shows it.
DOCS_TIME = datetime(2026, 2, 20, 10, 10, tzinfo=UTC)


def demo_app() -> Any:
    return create_app(API, MockOptions(seed=SEED, validate_responses=True))


def docs_app() -> Any:
    """The documents' records at the documents' time: schemathesis' example session id
    (`sess-abc123`) exists, with four captures: three images inline, one behind the proxy."""
    clock = Clock(DOCS_TIME, frozen=True)
    return create_app(
        API, MockOptions(seed=SEED, dataset="docs", validate_responses=True), clock=clock
    )


def _no_conformance(patch: pytest.MonkeyPatch) -> None:
    patch.setattr(runner, "run_conformance", lambda *args, **kwargs: None)


# --- the variants each check must catch ------------------------------------------------------


def _pair_tags_only(body: Any) -> Any:
    """A summary that counts only the pair's tags (BEFORE_OPEN, AFTER_CLOSE)."""
    data = body["data"]
    counted = [c for c in data["captures"] if c["capture_tag"] in ("BEFORE_OPEN", "AFTER_CLOSE")]
    data["summary"] |= {
        "total_captures": len(counted),
        "successful_captures": sum(c["status"] == "captured" for c in counted),
    }
    return body


def _go_nil_pointers(body: Any) -> Any:
    """Optional capture fields marshalled as null (Go pointers without `omitempty`)."""
    for capture in body["data"]["captures"]:
        for name in ("failure_reason", "upload_error", "missing_reason", "image_data"):
            capture.setdefault(name, None)
    return body


@dataclass(frozen=True)
class Case:
    id: str
    catches: str
    mutations: Callable[[], tuple[v.Mutation, ...]]
    app: Callable[[], Any] = docs_app

    def __str__(self) -> str:
        return self.id

    @property
    def probe(self) -> bool:
        return CHECKS[self.catches].kind == "probe"


CASES = [
    Case(
        "summary-counts-only-pair-tags",
        "evidence_summary",
        lambda: (vm.edit_json("getSessionEvidence", _pair_tags_only),),
    ),
    Case(
        "complete-pair-with-empty-slot",
        "pair_consistency",
        lambda: (vm.set_field("getSessionEvidencePair", ("data", "after"), None),),
    ),
    Case(
        "truncated-inline-jpeg",
        "image_data_jpeg",
        lambda: (vm.truncate_image_data(),),
    ),
    Case(
        "inline-png-labelled-png",
        "image_data_jpeg",
        lambda: (vm.replace_image_data(_png(), content_type="image/png"),),
    ),
    Case(
        "jpeg-markers-around-garbage",
        "image_data_jpeg",
        lambda: (vm.replace_image_data(b"\xff\xd8" + bytes(range(256)) * 4 + b"\xff\xd9"),),
    ),
    Case(
        "short-text-for-an-image",
        "image_data_jpeg",
        lambda: (vm.replace_image_data(b"no image"),),
    ),
    Case(
        "go-nil-pointers-as-null",
        "optional_fields_not_null",
        lambda: (vm.edit_json("getSessionEvidence", _go_nil_pointers),),
    ),
    Case(
        "list-counters-off",
        "session_counters_match_evidence",
        lambda: (vm.list_counters_off(),),
        demo_app,
    ),
    Case(
        "active-sessions-list-counters-off",
        "session_counters_match_evidence",
        lambda: (vm.list_counters_off(active=True),),
        demo_app,
    ),
    Case(
        "list-total-below-the-sessions-listed",
        "list_total",
        lambda: (vm.list_total_off(lambda total, listed: listed - 1),),
    ),
    Case(
        "list-total-beyond-a-short-list",
        "list_total",
        lambda: (vm.list_total_off(lambda total, listed: listed + 7),),
        demo_app,
    ),
    Case(
        "pair-slot-not-a-capture-of-the-session",
        "pair_matches_evidence",
        lambda: (vm.pair_slot_from_elsewhere(),),
        demo_app,
    ),
    Case(
        "proxy-serves-truncated-image",
        "image_proxy",
        lambda: (vm.truncate_proxy_image(),),
        demo_app,
    ),
    Case(
        "proxy-serves-traversal-keys",
        "image_proxy",
        lambda: (vm.serve_malformed_keys(),),
        demo_app,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_check_catches_the_broken_variant(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    if case.probe:
        _no_conformance(monkeypatch)
    variant = v.Variant(case.app(), API, *case.mutations())
    report = run(API, variant, (), [case.catches], probes=case.probe, read_only=True)
    assert_caught_alone(report, case.catches, variant)
    assert not report.errors, report.errors


def test_every_check_has_a_variant_it_must_catch() -> None:
    ours = {c.name for c in checks_for(API) if c.function.__module__ == pi.__name__}
    assert ours == set(RESPONSE_CHECKS) | set(PROBES)
    assert ours | set(SHARED_RESPONSE_CHECKS) <= {case.catches for case in CASES}


# --- the unmodified mock passes ----------------------------------------------------------------


@pytest.fixture(scope="module")
def response_runs() -> dict[str, tuple[Report, Counter[tuple[str | None, int]]]]:
    """schemathesis with the response checks on the documents' records (reads) and on the demo
    (stateful: the links lead from the list to real sessions)."""
    runs = {}
    for label, make, stateful in (("docs", docs_app, False), ("demo", demo_app, True)):
        seen: list[tuple[str | None, int]] = []
        variant = v.Variant(make(), API, vm.recorder(seen))
        checks = (*RESPONSE_CHECKS, *SHARED_RESPONSE_CHECKS)
        report = run(API, variant, (), checks, probes=False, stateful=stateful, read_only=False)
        runs[label] = (report, Counter(seen))
    return runs


@pytest.mark.parametrize("label", ["docs", "demo"], ids=["docs", "demo"])
@pytest.mark.parametrize(
    "check",
    [*RESPONSE_CHECKS, *SHARED_RESPONSE_CHECKS],
    ids=[*RESPONSE_CHECKS, *SHARED_RESPONSE_CHECKS],
)
def test_the_unmodified_mock_passes_the_response_check(response_runs, check, label) -> None:
    report, seen = response_runs[label]
    assert not [f for f in report.findings if f.check == check], describe(report.findings)
    assert not report.errors, report.errors
    assert any(name == check for _, name in report.passed), f"{check} never ran"
    # Not vacuous: real evidence and pairs were judged, not only 404s for made-up ids.
    assert seen[("getSessionEvidence", 200)] >= 3, seen
    assert seen[("getSessionEvidencePair", 200)] >= 3, seen


@pytest.fixture(scope="module")
def probe_reports() -> dict[str, Report]:
    with pytest.MonkeyPatch.context() as patch:
        _no_conformance(patch)
        return {
            "demo": run(API, demo_app(), (), PROBES, read_only=True),
            "docs": run(API, docs_app(), (), PROBES, read_only=True),
        }


@pytest.mark.parametrize("label", ["demo", "docs"], ids=["demo", "docs"])
@pytest.mark.parametrize("check", PROBES, ids=list(PROBES))
def test_the_unmodified_mock_passes_the_probe(probe_reports, check: str, label: str) -> None:
    report = probe_reports[label]
    assert not [f for f in report.findings if f.check == check], describe(report.findings)
    assert not report.errors, report.errors
    assert not report.skipped, report.skipped
    assert any(name == check for _, name in report.passed), f"{check} never ran"


def test_the_image_proxy_probe_fetched_real_images() -> None:
    seen: list[tuple[str | None, int]] = []
    with pytest.MonkeyPatch.context() as patch:
        _no_conformance(patch)
        run(API, v.Variant(demo_app(), API, vm.recorder(seen)), (), ["image_proxy"])
    statuses = Counter(seen)
    assert statuses[("getEvidenceImage", 200)] == 3, statuses
    assert statuses[("getEvidenceImage", 400)] == len(pi.TRAVERSAL_KEYS), statuses


def _sweep(app: Any) -> list[Exchange]:
    """Every answer the API gives about every session of ``app``: the list, and each session's
    evidence and pair."""
    client = TestClient(app, base_url="http://localhost")
    session = ProbeSession(SPEC, client)
    listing = session.call("listDiagnosticSessions", query={"limit": 100})
    for record in listing.json["data"]["sessions"]:
        for operation in ("getSessionEvidence", "getSessionEvidencePair"):
            session.call(operation, path_params={"sessionId": record["session_id"]})
    return session.exchanges


@pytest.mark.parametrize(
    "moment",
    [timedelta(0), timedelta(minutes=3), timedelta(days=2)],
    ids=["now", "3-minutes-later", "2-days-later"],
)
def test_every_answer_about_every_demo_session_passes(moment: timedelta) -> None:
    """All 26 demo sessions (active, complete, failed, partial; inline images and images only
    behind the proxy), as the clock runs on."""
    app = demo_app()
    context_of(app).clock.advance(moment)
    exchanges = _sweep(app)
    for exchange in exchanges:
        for check in (
            list_total,
            pi.evidence_summary,
            pi.pair_consistency,
            pi.image_data_jpeg,
            pi.optional_fields_not_null,
        ):
            assert not judge(check, exchange, SPEC), exchange.describe()
    pairs = Counter(e.json["data"]["pair_status"] for e in exchanges if "pair" in e.path)
    assert set(pairs) == {"complete", "incomplete", "missing"}, pairs
    with pytest.MonkeyPatch.context() as patch:
        _no_conformance(patch)
        report = run(API, app, (), PROBES, read_only=True)
    assert report.ok, describe(report.findings)


@pytest.mark.parametrize(
    ("mutation", "check"),
    [
        (vm.timeouts_not_failed, pi.evidence_summary),
        (vm.pair_status_ignores_slots, pi.pair_consistency),
    ],
    ids=["timeouts-not-counted-as-failed", "pair-status-always-complete"],
)
def test_the_response_checks_catch_the_variant_across_the_demo(mutation, check) -> None:
    """The same proof over every demo session (failed ones with camera timeouts, partial
    ones with incomplete pairs), beyond the sessions schemathesis happens to reach."""
    exchanges = _sweep(v.Variant(demo_app(), API, mutation()))
    caught = [e for e in exchanges if judge(check, e, SPEC)]
    assert caught
    assert {e.operation_id for e in caught} <= {"getSessionEvidence", "getSessionEvidencePair"}


# --- what the contract leaves open is never reported ------------------------------------------


def _leave_open(body: Any) -> Any:
    """Placeholder and empty `image_data`, no `retry_after_seconds` / `missing_reason` on an
    incomplete pair, extra fields (null among them), `captured_at` only on a slot."""
    data = body.get("data", {})
    for index, capture in enumerate(data.get("captures", [])):
        if "image_data" in capture:
            capture["image_data"] = "/9j/4AAQSkZJRg..." if index % 2 else ""
        capture["vendor_trace"] = None
    data.pop("retry_after_seconds", None)
    for name in ("before", "after"):
        slot = data.get(name)
        if isinstance(slot, dict):
            slot.pop("missing_reason", None)
            slot.pop("created_at", None)
            slot["image_data"] = ""
    data["debug"] = None
    return body


def test_what_the_contract_leaves_open_is_never_reported() -> None:
    app = v.Variant(
        demo_app(),
        API,
        vm.edit_json("getSessionEvidence", _leave_open),
        vm.edit_json("getSessionEvidencePair", _leave_open),
    )
    exchanges = _sweep(app)
    incomplete = [e for e in exchanges if "pair" in e.path and "incomplete" in e.content.decode()]
    assert incomplete
    for exchange in exchanges:
        for check in (pi.evidence_summary, pi.pair_consistency, pi.image_data_jpeg):
            assert not judge(check, exchange, SPEC), exchange.describe()
        assert not judge(pi.optional_fields_not_null, exchange, SPEC), exchange.describe()


def test_a_proxy_refusing_malformed_keys_with_404_conforms() -> None:
    """The document lists no error for the image proxy: a malformed key refused with 404 (not
    the spec's 400) is still refused, never served."""

    def not_found(request: v.Request, response: v.Response) -> v.Response:
        if response.status == 400:
            response.status = 404
        return response

    refusing = v.Mutation(
        "404 for malformed keys", frozenset({"getEvidenceImage"}), response=not_found
    )
    report = run(API, v.Variant(demo_app(), API, refusing), (), ["image_proxy"], read_only=True)
    assert report.ok, describe(report.findings)
    assert any(check == "image_proxy" for _, check in report.passed)


# --- the rules on hand-made values -----------------------------------------------------------


def _jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def _png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_jpeg_rules() -> None:
    data = _jpeg()
    encoded = base64.b64encode(data).decode()
    assert list(pi.jpeg_problems(encoded, len(data))) == []
    # Tolerated: line breaks, missing padding, zero bytes after the end marker.
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    assert list(pi.jpeg_problems(wrapped, len(data))) == []
    assert list(pi.jpeg_problems(encoded.rstrip("="), len(data))) == []
    padded = base64.b64encode(data + b"\x00" * 7).decode()
    assert list(pi.jpeg_problems(padded, len(data) + 7)) == []
    # Reported: a data URL prefix, the URL-safe alphabet, a PNG, a cut, a wrong size.
    assert "not base64" in next(pi.jpeg_problems("data:image/jpeg;base64," + encoded))
    urlsafe = base64.urlsafe_b64encode(data).decode()
    if urlsafe != encoded:
        assert "not base64" in next(pi.jpeg_problems(urlsafe))
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    assert "starts 89 50 4e 47" in next(pi.jpeg_problems(base64.b64encode(png.getvalue()).decode()))
    cut = base64.b64encode(data[:-40]).decode()
    assert "end marker" in next(pi.jpeg_problems(cut))
    assert "image_size_bytes is 1" in next(pi.jpeg_problems(encoded, 1))
    # Both markers, but no JPEG between them; a JPEG whose middle is damaged.
    fake = base64.b64encode(b"\xff\xd8" + b"\x00" * 200 + b"\xff\xd9").decode()
    assert "no JPEG image: a JPEG decoder does not recognise it" in next(pi.jpeg_problems(fake))
    damaged = data[:20] + b"\x00" * (len(data) - 22) + data[-2:]
    assert "no JPEG image" in next(pi.jpeg_problems(base64.b64encode(damaged).decode()))


def _capture(image_data: str, **fields: Any) -> dict[str, Any]:
    return {
        "evidence_id": "e",
        "capture_tag": "BEFORE_OPEN",
        "status": "captured",
        "image_data": image_data,
        **fields,
    }


def _image_problems(capture: dict[str, Any]) -> list[str] | None:
    body = {"success": True, "data": {"session_id": "s", "captures": [capture]}}
    return judge(pi.image_data_jpeg, _answer("getSessionEvidence", body), SPEC)


@pytest.mark.parametrize(
    ("capture", "problem"),
    [
        (_capture(base64.b64encode(_jpeg()).decode(), content_type="image/jpeg"), None),
        (_capture(base64.b64encode(_png()).decode(), content_type="image/png"), "89 50 4e 47"),
        (_capture("bm8gaW1hZ2U="), "decodes to b'no image', not a JPEG"),
        (_capture("/9j/4AAQSkZJRg..."), "not judged"),
        (_capture("/9j/4AAQSkZJRg=="), "not judged"),
        (_capture(""), "not judged"),
    ],
    ids=[
        "jpeg",
        "png-whatever-its-content-type",
        "short-base64-text",
        "documented-placeholder",
        "short-jpeg-start",
        "empty-means-no-image",
    ],
)
def test_image_data_rules(capture: dict[str, Any], problem: str | None) -> None:
    """`image_data` is a JPEG whatever `content_type` says; short values only when they are
    base64 of something that does not begin a JPEG."""
    problems = _image_problems(capture)
    if problem == "not judged":
        assert problems is None
    elif problem is None:
        assert problems == []
    else:
        assert problems is not None
        assert any(problem in p for p in problems), problems


def _answer(operation: str, body: Any, status: int = 200) -> Exchange:
    op = next(o for o in SPEC.operations if o.operation_id == operation)
    return Exchange(
        operation_id=operation,
        method=op.method,
        path=op.path,
        url="http://pi.example" + op.path,
        status=status,
        response_headers={"content-type": "application/json"},
        content=json.dumps(body).encode(),
    )


def _pair(status: str, before: Any, after: Any, **extra: Any) -> Exchange:
    data = {
        "contract_version": "v1",
        "session_id": "s",
        "container_id": "c",
        "pair_status": status,
        "before": before,
        "after": after,
        "queried_at": "2026-02-20T10:10:00Z",
        **extra,
    }
    return _answer("getSessionEvidencePair", {"success": True, "status": "success", "data": data})


SLOT = {"evidence_id": "e", "capture_tag": "AFTER_CLOSE", "status": "captured"}


@pytest.mark.parametrize(
    ("exchange", "problem"),
    [
        (_pair("complete", SLOT, SLOT), None),
        (_pair("incomplete", None, {**SLOT, "missing_reason": "SESSION_IN_PROGRESS"}), None),
        (_pair("incomplete", None, SLOT), None),  # neither retry_after nor a reason: allowed
        (_pair("missing", None, None), None),
        (_pair("complete", None, SLOT), "'incomplete'"),
        (_pair("incomplete", SLOT, SLOT), "'complete'"),
        (_pair("incomplete", None, None), "'missing'"),
        (_pair("complete", SLOT, {**SLOT, "session_id": "other"}), "after.session_id"),
    ],
    ids=[
        "complete",
        "incomplete-documented",
        "incomplete-bare",
        "missing",
        "complete-but-one",
        "incomplete-but-two",
        "incomplete-but-none",
        "slot-of-another-session",
    ],
)
def test_pair_rules(exchange: Exchange, problem: str | None) -> None:
    problems = judge(pi.pair_consistency, exchange, SPEC) or []
    assert (problems == []) if problem is None else any(problem in p for p in problems), problems


def test_the_documented_examples_pass_the_response_checks() -> None:
    """The spec's own examples (the documents' bodies), placeholders included."""
    judged = 0
    for op in SPEC.operations:
        for status, response in SPEC.operation_by_id(op.operation_id)["responses"].items():
            content = response.get("content", {}).get("application/json", {})
            for example in content.get("examples", {}).values():
                exchange = _answer(op.operation_id, example["value"], int(status))
                for check in (
                    pi.evidence_summary,
                    pi.pair_consistency,
                    pi.image_data_jpeg,
                    pi.optional_fields_not_null,
                ):
                    assert not judge(check, exchange, SPEC), (op.operation_id, status)
                judged += 1
    assert judged >= 10
