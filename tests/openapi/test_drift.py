"""``openapi.drift``: each kind of change between two versions of a spec, with its severity, and
whether it reaches what a consumer used.

The new versions are the bundled AgentLens spec edited as written (``$ref`` kept), then
resolved: a change to a shared schema shows wherever the schema is used.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockgate.openapi.catalog import ApiSpec, bundled_apis, get_api
from mockgate.openapi.drift import Change, Severity, diff_specs, touches
from mockgate.reports.coverage import Coverage

B, N = Severity.BREAKING, Severity.NON_BREAKING
LIST, GET, EVENTS = "GET /api/sessions", "GET /api/sessions/{id}", "POST /api/events"
TIMELINE = "GET /api/sessions/{id}/timeline"
Doc = dict[str, Any]


def agentlens() -> Doc:
    return copy.deepcopy(get_api("agentlens").document)


def resolved(tmp_path: Path, document: Doc, name: str = "new.yaml") -> ApiSpec:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return ApiSpec.from_path(path)


def changes_of(tmp_path: Path, edit: Callable[[Doc], None]) -> list[Change]:
    document = agentlens()
    edit(document)
    return diff_specs(get_api("agentlens").resolved, resolved(tmp_path, document).resolved)


def summary(changes: list[Change]) -> set[tuple[str, str, str, str]]:
    return {(c.severity, c.kind, c.operation, c.location) for c in changes}


def schemas(document: Doc) -> Doc:
    return document["components"]["schemas"]


def list_params(document: Doc) -> list[Doc]:
    return document["paths"]["/api/sessions"]["get"]["parameters"]


def remove_operation(d: Doc) -> None:
    del d["paths"]["/api/events"]


def add_operation(d: Doc) -> None:
    d["paths"]["/api/sessions/{id}"]["delete"] = {
        "operationId": "deleteSession",
        "responses": {"204": {"description": "gone"}},
    }


def move_operation(d: Doc) -> None:
    d["paths"]["/api/v2/events"] = d["paths"].pop("/api/events")


def rename_path_parameter(d: Doc) -> None:
    for template in ("/api/sessions/{id}", "/api/sessions/{id}/timeline"):
        item = d["paths"].pop(template)
        for operation in item.values():
            operation["parameters"] = [
                {**p, "name": "sessionId"} if p.get("in") == "path" else p
                for p in operation.get("parameters", [])
            ]
        d["paths"][template.replace("{id}", "{sessionId}")] = item


def add_required_parameter(d: Doc) -> None:
    list_params(d).append(
        {"name": "project", "in": "query", "required": True, "schema": {"type": "string"}}
    )


def add_optional_parameter(d: Doc) -> None:
    list_params(d).append({"name": "project", "in": "query", "schema": {"type": "string"}})


def make_limit_required(d: Doc) -> None:
    d["components"]["parameters"]["Limit"]["required"] = True


def remove_offset(d: Doc) -> None:
    list_params(d).remove({"$ref": "#/components/parameters/Offset"})


def limit_as_string(d: Doc) -> None:
    d["components"]["parameters"]["Limit"]["schema"]["type"] = "string"


def limit_as_number(d: Doc) -> None:
    d["components"]["parameters"]["Limit"]["schema"]["type"] = "number"


def remove_event_type(d: Doc) -> None:
    schemas(d)["EventType"]["enum"].remove("custom")


def add_session_status(d: Doc) -> None:
    schemas(d)["SessionStatus"]["enum"].append("idle")


def remove_required_response_property(d: Doc) -> None:
    del schemas(d)["Session"]["properties"]["totalCostUsd"]
    schemas(d)["Session"]["required"].remove("totalCostUsd")


def remove_optional_response_property(d: Doc) -> None:
    del schemas(d)["Session"]["properties"]["agentName"]


def add_response_property(d: Doc) -> None:
    schemas(d)["Session"]["properties"]["project"] = {"type": "string"}


def make_response_property_optional(d: Doc) -> None:
    schemas(d)["Session"]["required"].remove("tags")


def add_required_request_property(d: Doc) -> None:
    schemas(d)["IngestEvent"]["properties"]["source"] = {"type": "string"}
    schemas(d)["IngestEvent"]["required"].append("source")


def remove_request_property(d: Doc) -> None:
    del schemas(d)["IngestEvent"]["properties"]["metadata"]


def make_request_property_optional(d: Doc) -> None:
    schemas(d)["IngestEvent"]["required"].remove("payload")


def remove_success_status(d: Doc) -> None:
    responses = d["paths"]["/api/events"]["post"]["responses"]
    responses["200"] = responses.pop("201")


def remove_error_status(d: Doc) -> None:
    del d["paths"]["/api/events"]["post"]["responses"]["413"]


def tighten_batch(d: Doc) -> None:
    schemas(d)["IngestRequest"]["properties"]["events"]["maxItems"] = 100


def loosen_batch(d: Doc) -> None:
    schemas(d)["IngestRequest"]["properties"]["events"]["maxItems"] = 5000


def ended_at_not_nullable(d: Doc) -> None:
    del schemas(d)["Session"]["properties"]["endedAt"]["nullable"]


def id_not_nullable_in_request(d: Doc) -> None:
    schemas(d)["IngestEvent"]["properties"]["agentId"]["nullable"] = True


def sessions(location: str) -> set[tuple[str, str]]:
    """``location`` (``status``...) of a session in each answer that holds sessions."""
    return {
        (LIST, f"response 200 body.sessions[].{location}"),
        (GET, f"response 200 body.{location}"),
    }


def each(severity: Severity, kind: str, where: set[tuple[str, str]]) -> set[Any]:
    return {(severity, kind, operation, location) for operation, location in where}


CASES: list[tuple[str, Callable[[Doc], None], set[Any]]] = [
    ("operation removed", remove_operation, {(B, "operation-removed", EVENTS, "operation")}),
    ("operation added", add_operation,
     {(N, "operation-added", "DELETE /api/sessions/{id}", "operation")}),
    ("operation moved", move_operation, {(B, "operation-moved", EVENTS, "operation")}),
    ("path parameter renamed", rename_path_parameter, set()),
    ("required parameter added", add_required_parameter,
     {(B, "parameter-added", LIST, "parameter query:project")}),
    ("optional parameter added", add_optional_parameter,
     {(N, "parameter-added", LIST, "parameter query:project")}),
    ("parameter made required", make_limit_required,
     {(B, "parameter-required-changed", LIST, "parameter query:limit")}),
    ("parameter removed", remove_offset,
     {(B, "parameter-removed", LIST, "parameter query:offset")}),
    ("parameter type changed", limit_as_string,
     {(B, "type-changed", LIST, "parameter query:limit")}),
    ("parameter type widened", limit_as_number,
     {(N, "type-changed", LIST, "parameter query:limit")}),
    # EventType is in the ingest request and in the timeline's answer: only the request breaks.
    ("enum value removed", remove_event_type, {
        (B, "enum-value-removed", EVENTS, "request body.events[].eventType"),
        (N, "enum-value-removed", TIMELINE, "response 200 body.events[].eventType"),
    }),
    ("response enum value added", add_session_status,
     each(B, "enum-value-added", sessions("status"))),
    ("required response property removed", remove_required_response_property,
     each(B, "property-removed", sessions("totalCostUsd"))),
    ("optional response property removed", remove_optional_response_property,
     each(N, "property-removed", sessions("agentName"))),
    ("response property added", add_response_property,
     each(N, "property-added", sessions("project"))),
    ("response property made optional", make_response_property_optional,
     each(B, "property-required-changed", sessions("tags"))),
    ("required request property added", add_required_request_property,
     {(B, "property-added", EVENTS, "request body.events[].source")}),
    ("request property removed", remove_request_property,
     {(B, "property-removed", EVENTS, "request body.events[].metadata")}),
    ("request property made optional", make_request_property_optional,
     {(N, "property-required-changed", EVENTS, "request body.events[].payload")}),
    ("success status removed", remove_success_status, {
        (B, "status-removed", EVENTS, "response 201"),
        (N, "status-added", EVENTS, "response 200"),
    }),
    ("error status removed", remove_error_status, {(N, "status-removed", EVENTS, "response 413")}),
    ("request bound tightened", tighten_batch,
     {(B, "constraint-changed", EVENTS, "request body.events")}),
    ("request bound loosened", loosen_batch,
     {(N, "constraint-changed", EVENTS, "request body.events")}),
    ("response no longer nullable", ended_at_not_nullable,
     each(N, "nullable-changed", sessions("endedAt"))),
    ("request now nullable", id_not_nullable_in_request,
     {(N, "nullable-changed", EVENTS, "request body.events[].agentId")}),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_change_is_found_with_its_severity(tmp_path, edit, expected):
    assert summary(changes_of(tmp_path, edit)) == expected


@pytest.mark.parametrize("api", list(bundled_apis()), ids=list(bundled_apis()))
def test_a_spec_against_itself_has_no_change(api):
    spec = bundled_apis()[api]
    assert diff_specs(spec.resolved, copy.deepcopy(spec.resolved)) == []


def test_a_response_type_narrowed_is_not_breaking_but_widened_is(tmp_path):
    def narrowed(d: Doc) -> None:
        schemas(d)["Session"]["properties"]["totalCostUsd"]["type"] = "integer"

    (change,) = {c for c in changes_of(tmp_path, narrowed) if c.operation == GET}
    assert (change.kind, change.severity, change.old, change.new) == (
        "type-changed", N, "number", "integer",
    )  # fmt: skip
    widened = diff_specs(resolved(tmp_path, agentlens_with(narrowed)).resolved,
                         get_api("agentlens").resolved)  # fmt: skip
    assert {c.severity for c in widened} == {B}


def test_a_moved_operation_names_both_routes(tmp_path):
    (change,) = changes_of(tmp_path, move_operation)
    assert (change.old, change.new, change.message) == (
        EVENTS, "POST /api/v2/events", "operation: moved to POST /api/v2/events",
    )  # fmt: skip


def agentlens_with(edit: Callable[[Doc], None]) -> Doc:
    document = agentlens()
    edit(document)
    return document


def test_a_change_names_its_operation_location_and_values(tmp_path):
    (change,) = [c for c in changes_of(tmp_path, add_session_status) if c.operation == LIST]
    assert change.to_json() == {
        "kind": "enum-value-added",
        "severity": "breaking",
        "operation": LIST,
        "operation_id": "listSessions",
        "location": "response 200 body.sessions[].status",
        "old": None,
        "new": "idle",
        "message": "response 200 body.sessions[].status: enum value 'idle' added",
    }


# -- what a consumer used ---------------------------------------------------------------------


def consumer(*exchanges: dict[str, Any], spec: ApiSpec | None = None) -> Coverage:
    coverage = Coverage.for_spec(spec or get_api("agentlens"))
    for exchange in exchanges:
        coverage.record(**exchange)
    return coverage


SESSION = {"id": "s1", "agentId": "a", "status": "active", "tags": [], "totalCostUsd": 0}
READS_A_SESSION = {
    "operation_id": "getSession", "method": "GET", "path": "/api/sessions/s1", "status": 200,
    "path_params": {"id": "s1"}, "response_body": SESSION,
}  # fmt: skip
LISTS_WITH_A_LIMIT = {
    "operation_id": "listSessions", "method": "GET", "path": "/api/sessions", "status": 200,
    "query": {"limit": ["5"]}, "response_body": {"sessions": [], "total": 0, "hasMore": False},
}  # fmt: skip
INGESTS = {
    "operation_id": "ingestEvents", "method": "POST", "path": "/api/events", "status": 201,
    "body": {"events": [{"sessionId": "s1", "agentId": "a", "eventType": "custom",
                         "payload": {}}]},
}  # fmt: skip
REACH_CASES = [
    ("operation removed, called", remove_operation, INGESTS, {EVENTS}),
    ("operation removed, not called", remove_operation, READS_A_SESSION, set()),
    ("response enum added, property read", add_session_status, READS_A_SESSION, {GET}),
    # The list answered no session: its sessions[].status was never observed.
    ("response enum added, property never seen", add_session_status, LISTS_WITH_A_LIMIT, set()),
    ("required parameter added, operation called", add_required_parameter, LISTS_WITH_A_LIMIT,
     {LIST}),
    ("parameter made required, already sent", make_limit_required, LISTS_WITH_A_LIMIT, set()),
    ("parameter removed, not sent", remove_offset, LISTS_WITH_A_LIMIT, set()),
    ("request property removed, not sent", remove_request_property, INGESTS, set()),
    ("required request property added, body sent", add_required_request_property, INGESTS,
     {EVENTS}),
    ("request enum value removed, property sent", remove_event_type, INGESTS, {EVENTS}),
    ("success status removed, status received", remove_success_status, INGESTS, {EVENTS}),
    ("response property removed, not observed", remove_required_response_property,
     LISTS_WITH_A_LIMIT, set()),
    ("response property removed, observed", remove_required_response_property,
     READS_A_SESSION, {GET}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "exchange", "reached"), [c[1:] for c in REACH_CASES], ids=[c[0] for c in REACH_CASES]
)
def test_a_breaking_change_reaches_a_consumer_only_where_it_used_it(
    tmp_path, edit, exchange, reached
):
    changes = [c for c in changes_of(tmp_path, edit) if c.breaking]
    assert changes
    usage = consumer(exchange)
    assert {c.operation for c in changes if touches(c, usage)} == reached


def test_an_enum_value_removed_reaches_only_a_consumer_that_sent_it(tmp_path):
    def status_enum(d: Doc) -> None:
        for parameter in d["components"]["parameters"].values():
            if parameter["name"] == "status":
                parameter["schema"]["enum"] = ["active", "completed", "error"]

    old = resolved(tmp_path, agentlens_with(status_enum), "old.yaml")

    def without_error(d: Doc) -> None:
        status_enum(d)
        remove = [p for p in d["components"]["parameters"].values() if p["name"] == "status"]
        remove[0]["schema"]["enum"].remove("error")

    (change,) = diff_specs(old.resolved, resolved(tmp_path, agentlens_with(without_error)).resolved)
    assert (change.kind, change.severity, change.location) == (
        "enum-value-removed", B, "parameter query:status",
    )  # fmt: skip

    def listing(status: str) -> dict[str, Any]:
        return {**LISTS_WITH_A_LIMIT, "query": {"status": [status]}}

    assert touches(change, consumer(listing("error"), spec=old))
    assert not touches(change, consumer(listing("active"), spec=old))
