"""Proof that the checks catch: every check against a broken variant of an unmodified mock must
report it, with a curl reproduction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from mockgate.contracts.registry import checks_for
from tests.contracts import variants as v
from tests.contracts.conftest import (
    AGENTLENS_KEY,
    agentlens_app,
    assert_caught_alone,
    credentials_for,
    fasting_app,
    fasting_tokens,
    run,
)

# Each test drives schemathesis through whole conformance runs: part of the slow suite.
pytestmark = pytest.mark.slow


def _fasting_user(request: v.Request) -> str | None:
    cookie = request.header("cookie") or ""
    for part in cookie.split(";"):
        name, _, value = part.strip().partition("=")
        if name.endswith("authjs.session-token"):
            return value
    auth = request.header("authorization") or ""
    return auth.removeprefix("Bearer ") or None


@dataclass(frozen=True)
class Case:
    id: str
    api: str
    mutations: Callable[[], tuple[v.Mutation, ...]]  # fresh per run: some keep state
    catches: str  # the check that must report the variant
    probes: bool = True  # False: only schemathesis runs (the check is a response check)
    read_only: bool = True  # GET operations only: faster, and enough for most variants
    dataset: str = "demo"

    def __str__(self) -> str:
        return self.id


def _unfiltered_total() -> int:
    """How many sessions the agentlens mock holds (same seed: the same sessions)."""
    with TestClient(agentlens_app(), base_url="http://localhost") as client:
        listed = client.get("/api/sessions", headers={"Authorization": f"Bearer {AGENTLENS_KEY}"})
    return int(listed.json()["total"])


def _fasting_cookie() -> v.Mutation:
    token = fasting_tokens(fasting_app())[0]  # same seed: the same users and tokens
    return v.accept_missing_credential("cookie", f"authjs.session-token={token}")


CASES = [
    # --- schemathesis' own checks that the suites rely on --------------------------------
    Case(
        "agentlens-drop-required-field",
        "agentlens",
        lambda: (v.drop_field("getSession", "status"), v.drop_field("listSessions", "status")),
        "response_schema_conformance",
        probes=False,
    ),
    Case(
        "agentlens-change-type",
        "agentlens",
        lambda: (v.change_type("listSessions", "eventCount", "47"),),
        "response_schema_conformance",
        probes=False,
    ),
    Case(
        "agentlens-wrong-status",
        "agentlens",
        lambda: (v.wrong_status("listSessions", 202),),
        "status_code_conformance",
        probes=False,
    ),
    Case(
        "agentlens-mislabel-content-type",
        "agentlens",
        lambda: (v.mislabel_content_type("listSessions"),),
        "content_type_conformance",
        probes=False,
    ),
    Case(
        "agentlens-server-error",
        "agentlens",
        lambda: (v.server_error("listSessions"),),
        "not_a_server_error",
        probes=False,
    ),
    Case(
        "agentlens-missing-key-accepted-ignored-auth",
        "agentlens",
        lambda: (v.accept_missing_credential("authorization", f"Bearer {AGENTLENS_KEY}"),),
        "ignored_auth",
        probes=False,
    ),
    # --- mockgate's checks ------------------------------------------------------------------
    Case(
        "agentlens-missing-key-accepted",
        "agentlens",
        lambda: (v.accept_missing_credential("authorization", f"Bearer {AGENTLENS_KEY}"),),
        "auth_required",
        read_only=False,  # the ingest POST is refused too
    ),
    Case(
        "agentlens-401-not-error-shape",
        "agentlens",
        lambda: (v.unauthorized_shape({"message": "Unauthorized"}),),
        "auth_required",
    ),
    Case(
        "fasting-missing-cookie-accepted",
        "fasting",
        lambda: (_fasting_cookie(),),
        "auth_required",
    ),
    Case(
        "fasting-307-to-sign-in",
        "fasting",
        lambda: (v.redirect_unauthenticated(),),
        "auth_required",
    ),
    Case(
        "agentlens-ignore-filters",
        "agentlens",
        lambda: (v.ignore_filters("listSessions", "agentId", "status", "tags", "from", "to"),),
        "filter_match",
        probes=False,
    ),
    Case(
        "agentlens-more-than-limit",
        "agentlens",
        lambda: (v.exceed_limit("agentlens", "listSessions"),),
        "page_size_bound",
        probes=False,
    ),
    Case(
        "fasting-more-than-page-size",
        "fasting",
        lambda: (v.exceed_limit("fasting", "listSessions"),),
        "page_size_bound",
        probes=False,
    ),
    Case(
        "agentlens-more-than-limit-clamp",
        "agentlens",
        lambda: (v.exceed_limit("agentlens", "listSessions"),),
        "paging_clamp",
    ),
    Case(
        "agentlens-non-numeric-limit-crashes",
        "agentlens",
        lambda: (v.crash_on("listSessions", "limit", "abc"),),
        "paging_clamp",
    ),
    Case(
        "fasting-page-size-zero-rejected",
        "fasting",
        lambda: (v.reject_param("listSessions", "pageSize", ["0", "-1"]),),
        "paging_clamp",
    ),
    Case(
        "agentlens-pages-overlap",
        "agentlens",
        lambda: (v.overlap_offset_pages("listSessions"),),
        "page_walk",
    ),
    Case(
        "agentlens-has-more-lies",
        "agentlens",
        lambda: (v.lie_about_has_more("listSessions"),),
        "page_walk",
    ),
    Case(
        "fasting-record-repeated-across-pages",
        "fasting",
        lambda: (v.repeat_cursor_record("listSessions"),),
        "page_walk",
    ),
    Case(
        "fasting-reversed-walk",
        "fasting",
        lambda: (v.reverse_order("listSessions"),),
        "page_walk",
    ),
    Case(
        "agentlens-tampered-event",
        "agentlens",
        lambda: (v.tamper_event(),),
        "hash_chain",
        probes=False,
        dataset="docs",
    ),
    Case(
        "agentlens-chain-valid-flipped",
        "agentlens",
        lambda: (v.flip_chain_valid(),),
        "hash_chain",
        probes=False,
        dataset="docs",
    ),
    Case(
        "agentlens-wrong-counters",
        "agentlens",
        lambda: (v.wrong_counters("getSession", "listSessions"),),
        "session_counters",
    ),
    Case(
        "agentlens-list-counters-off",
        "agentlens",
        lambda: (v.wrong_counters("listSessions"),),  # each session's own read is right
        "session_counters",
    ),
    Case(
        "agentlens-llm-call-count-off",
        "agentlens",
        lambda: (v.wrong_llm_calls("getSession", "listSessions"),),
        "session_counters",
    ),
    Case(
        "agentlens-total-ignores-filters",
        "agentlens",
        lambda: (
            v.total_ignores_filters(
                "listSessions", _unfiltered_total(), "agentId", "status", "tags", "from", "to"
            ),
        ),
        "list_total",
        probes=False,
    ),
    Case(
        "fasting-reversed-page",
        "fasting",
        lambda: (v.reverse_order("listSessions"),),
        "newest_first",
        probes=False,
    ),
    Case(
        "fasting-ends-before-start",
        "fasting",
        lambda: (v.end_before_start("listSessions"),),
        "completed_only",
        probes=False,
    ),
    Case(
        "fasting-leaks-between-users",
        "fasting",
        lambda: (v.leak_between_users("listSessions", _fasting_user),),
        "user_isolation",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_check_catches_the_broken_variant(case: Case) -> None:
    app = agentlens_app(dataset=case.dataset) if case.api == "agentlens" else fasting_app()
    credentials = credentials_for(case.api, app)
    variant = v.Variant(app, case.api, *case.mutations())
    report = run(
        case.api,
        variant,
        credentials,
        [case.catches],
        probes=case.probes,
        read_only=case.read_only,
    )
    assert_caught_alone(report, case.catches, variant)


def test_every_check_has_a_variant_it_must_catch() -> None:
    """A check that cannot fail is a defect: each of ours for the APIs with mocks, and each of
    schemathesis' that the suites rely on, has at least one case above."""
    ours = {check.name for api in ("agentlens", "fasting") for check in checks_for(api)}
    relied_on = {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "ignored_auth",
    }
    missing = (ours | relied_on) - {case.catches for case in CASES}
    assert not missing, f"no variant proves {sorted(missing)}"
