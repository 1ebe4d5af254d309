"""No false alarms on what the documents allow, and advisories apart from contract findings.

Servers that do what the documents leave open (accept an input the document never promises to
refuse, leave out a header the document never mentions, refuse a request over a size limit of
their own) pass, even in strict mode. Servers with poor HTTP hygiene where no document says
anything (404 or an HTML 500 page for a method no document mentions) pass with advisories, and
fail only in strict mode."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import pytest

from mockgate.openapi.catalog import get_api
from mockgate.openapi.params import Parameter
from tests.conftest import build_app
from tests.contracts import variants as v
from tests.contracts.conftest import SEED, agentlens_app, credentials_for, describe, run

# Each test drives schemathesis through conformance runs: part of the slow suite.
pytestmark = pytest.mark.slow


@dataclass
class Seen:
    """What a variant did that the mock would not have: proof the run exercised it."""

    what: list[str] = field(default_factory=list)


def _invalid(api: str, operation_id: str, name: str, value: str) -> bool:
    """Whether the mock itself would refuse ``name=value`` on the operation."""
    spec = next(
        p for p in get_api(api).operation_by_id(operation_id)["parameters"] if p["name"] == name
    )
    return bool(Parameter.from_spec(spec).read(value)[1])


def _lenient_query(api: str, operations: tuple[str, ...], names: tuple[str, ...], seen: Seen):
    """A server that ignores the values of ``names`` it cannot read (as the real AgentLens
    server does with a `to` that is not a date, or an empty `offset`) instead of refusing them."""

    def edit(request: v.Request) -> v.Request:
        for name in names:
            value = request.param(name)
            if value is not None and _invalid(api, request.operation_id or "", name, value):
                seen.what.append(f"{name}={value!r}")
                request = request.without_params(name)
        return request

    return v.Mutation(f"ignores unreadable {', '.join(names)}", frozenset(operations), request=edit)


# The names no document says must not be empty, by operation (`x-mockgate-lenient`).
_MAY_BE_EMPTY = {
    "createSession": ("machine_id",),
    "createMachine": ("machine_id", "hostname"),
    "markSessionStalled": ("reason",),
}


def _lenient_body(seen: Seen) -> v.Mutation:
    """A state-tracking server that accepts slot numbers that are not whole and empty names, as
    the real NestJS server does (the document calls slots numbers and never says a name must not
    be empty): the mock is given the body it would accept."""

    def fix(value: Any) -> Any:
        if isinstance(value, float) or (isinstance(value, str) and re.fullmatch(r"\d+", value)):
            seen.what.append(repr(value))
            return max(1, round(float(value)))
        return value

    def edit(request: v.Request, raw: bytes) -> bytes:
        try:
            body = json.loads(raw)
        except ValueError:
            return raw
        if not isinstance(body, dict):
            return raw
        for name in ("docker_slot", "new_docker_slot"):
            if name in body:
                body[name] = fix(body[name])
        if isinstance(body.get("docker_slots"), list):
            body["docker_slots"] = [fix(slot) for slot in body["docker_slots"]]
        for name in _MAY_BE_EMPTY.get(request.operation_id or "", ()):
            if body.get(name) == "":
                seen.what.append(f"{name}=''")
                body[name] = "given"
        return json.dumps(body).encode()

    return v.Mutation("accepts fractions and empty names", body=edit)


def _without_headers(*names: str) -> v.Mutation:
    """Responses without headers the documents never mention."""

    def edit(request: v.Request, response: v.Response) -> v.Response:
        response.headers = [(k, val) for k, val in response.headers if k not in names]
        return response

    return v.Mutation(f"no {', '.join(names)}", response=edit)


def _query_limit(api_error: dict[str, Any], limit: int, seen: Seen) -> v.Mutation:
    """A proxy in front of the server that refuses a query string over ``limit`` bytes with
    414, in the API's error shape (stricter than mockgate's own 8 KiB)."""

    def edit(request: v.Request, response: v.Response) -> v.Response:
        if len(urlencode(request.query)) > limit:
            seen.what.append(request.path)
            response.status = 414
            response.json = api_error
        return response

    return v.Mutation(f"414 over {limit} bytes", response=edit)


@dataclass(frozen=True)
class Allowed:
    api: str
    mutations: Callable[[Seen], tuple[v.Mutation, ...]]
    checks: tuple[str, ...]
    judged: tuple[str, str]  # (operation, check) that must have judged something
    stateful: bool = False


LENIENT_CHECKS = ("negative_data_rejection", "positive_data_acceptance", "status_code_conformance")

ALLOWED = [
    pytest.param(
        Allowed(
            "agentlens",
            lambda seen: (
                _lenient_query(
                    "agentlens", ("listSessions",), ("from", "to", "offset", "limit"), seen
                ),
            ),
            (*LENIENT_CHECKS, "paging_clamp", "filter_match", "page_walk"),
            ("listSessions", "negative_data_rejection"),
        ),
        id="agentlens-from-to-offset-limit-not-refused",
    ),
    pytest.param(
        Allowed(
            "piorchestrator",
            lambda seen: (
                _lenient_query(
                    "piorchestrator", ("listDiagnosticSessions", "listSessions"), ("limit",), seen
                ),
            ),
            (*LENIENT_CHECKS, "paging_clamp"),
            ("listDiagnosticSessions", "paging_clamp"),
        ),
        id="piorchestrator-limit-not-refused",
    ),
    pytest.param(
        Allowed(
            "state-tracking",
            lambda seen: (_lenient_body(seen),),
            ("negative_data_rejection",),
            ("createMachine", "negative_data_rejection"),
        ),
        id="state-tracking-fractional-slots-and-empty-names-accepted",
    ),
    pytest.param(
        Allowed(
            "piorchestrator",
            lambda seen: (
                _without_headers("x-request-id", "cache-control", "etag"),
                v.Mutation("seen", response=lambda r, resp: seen.what.append(r.path) or resp),
            ),
            ("response_headers_conformance", "content_type_conformance"),
            ("getEvidenceImage", "response_headers_conformance"),
            True,
        ),
        id="piorchestrator-headers-no-document-mentions-left-out",
    ),
    pytest.param(
        Allowed(
            "piorchestrator",
            lambda seen: (
                _query_limit(
                    {
                        "success": False,
                        "status": "error",
                        "error": "URI too long",
                        "code": "URI_TOO_LONG",
                    },
                    1000,
                    seen,
                ),
            ),
            (*LENIENT_CHECKS, "response_schema_conformance", "content_type_conformance"),
            ("getEvidenceImage", "status_code_conformance"),
        ),
        id="piorchestrator-proxy-refuses-long-queries-with-414",
    ),
]


def _app(api: str) -> Any:
    if api == "agentlens":
        return agentlens_app()
    return build_app(api, seed=SEED, rate_limit="off")


@pytest.mark.parametrize("case", ALLOWED)
def test_what_the_documents_allow_passes_even_in_strict_mode(case: Allowed) -> None:
    seen = Seen()
    app = _app(case.api)
    variant = v.Variant(app, case.api, *case.mutations(seen))
    report = run(
        case.api,
        variant,
        credentials_for(case.api, app),
        case.checks,
        max_examples=10,
        stateful=case.stateful,
        strict=True,
    )
    assert report.ok, f"{describe(report.findings)}\nerrors: {report.errors}"
    assert not report.findings, describe(report.findings)
    assert seen.what, f"{variant!r} never did what it is there to do"
    assert report.passed[case.judged], f"{case.judged} never judged anything"


# --- advisories ------------------------------------------------------------------------------


def _undeclared_methods(status: int, content_type: str, body: bytes) -> v.Mutation:
    """Answer every method the spec does not declare for a path with ``status``."""

    def edit(request: v.Request, response: v.Response) -> v.Response:
        if request.operation_id is None:
            response.status = status
            response.body = body
            response.set_header("content-type", content_type)
            response.headers = [(k, val) for k, val in response.headers if k != "allow"]
        return response

    return v.Mutation(f"{status} for undeclared methods", response=edit)


ADVISORIES = [
    pytest.param(
        _undeclared_methods(404, "application/json", b'{"error":"Not found","status":404}'),
        {"unsupported_method"},
        id="404-not-405-for-a-method-no-document-mentions",
    ),
    pytest.param(
        _undeclared_methods(500, "text/html", b"<html><body>Internal Server Error</body></html>"),
        {"unsupported_method", "not_a_server_error"},
        id="html-500-for-a-method-no-document-mentions",
    ),
]


@pytest.mark.parametrize(("mutation", "checks"), ADVISORIES)
def test_http_hygiene_beyond_the_documents_fails_only_in_strict_mode(
    mutation: v.Mutation, checks: set[str]
) -> None:
    variant = v.Variant(agentlens_app(), "agentlens", mutation)
    report = run(
        "agentlens",
        variant,
        credentials_for("agentlens", variant.app),
        ["unsupported_method", "not_a_server_error", "content_type_conformance"],
        max_examples=2,
        probes=False,
    )
    assert report.ok, describe(report.findings)
    assert report.verdict == "conforms"
    assert not report.contract_findings, describe(report.contract_findings)
    assert {f.check for f in report.advisories} == checks, describe(report.advisories)
    strict = replace(report, strict=True)
    assert not strict.ok
    assert strict.verdict == "does not conform"
    assert strict.failures == report.advisories


def test_a_server_error_on_a_documented_method_stays_a_contract_finding() -> None:
    variant = v.Variant(agentlens_app(), "agentlens", v.server_error("getSession"))
    report = run(
        "agentlens",
        variant,
        credentials_for("agentlens", variant.app),
        ["not_a_server_error"],
        max_examples=2,
        probes=False,
    )
    assert [(f.check, f.operation, f.kind) for f in report.findings] == [
        ("not_a_server_error", "getSession", "contract")
    ]
    assert not report.ok
