"""The specs agree with every example and every operation in the documents.

The documents' examples are transcribed verbatim into ``fixtures/doc-examples/<api>.json``
(see the README there); each is validated against the spec's schema for its operation and status.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator, OAS30WriteValidator

from mockgate.core.resources import fixtures_dir
from mockgate.openapi.catalog import bundled_apis

DOCS = fixtures_dir() / "doc-examples"
API_DOCUMENTS = {
    "agentlens": {"agentlens-sessions.md"},
    "fasting": {"fasting-dashboard-history.md"},
    "piorchestrator": {
        "piorchestrator-session-diagnostics.md",
        "piorchestrator-session-evidence.md",
    },
    "state-tracking": {"state-tracking.md"},
}


def _load(api: str) -> dict[str, Any]:
    return json.loads((DOCS / f"{api}.json").read_text(encoding="utf-8"))


def _entries(kind: str) -> list[Any]:
    return [
        pytest.param(api, entry, id=f"{api}:{entry.get('id') or entry['method'] + entry['path']}")
        for api in API_DOCUMENTS
        for entry in _load(api)[kind]
    ]


@pytest.mark.parametrize("api_name", list(API_DOCUMENTS))
def test_every_document_is_transcribed(api_name):
    data = _load(api_name)
    assert data["api"] == api_name
    assert set(data["sources"]) == API_DOCUMENTS[api_name]
    assert data["operations"]
    assert data["examples"]
    assert {e["source"] for e in data["examples"]} == API_DOCUMENTS[api_name]
    ids = [e["id"] for e in data["examples"]]
    assert len(ids) == len(set(ids)), "example ids are unique"


@pytest.mark.parametrize(("api_name", "entry"), _entries("operations"))
def test_documented_operation_is_in_the_spec_with_its_statuses(api_name, entry):
    op = bundled_apis()[api_name].operation(entry["method"], entry["path"])
    declared = set(op["responses"])
    documented = {str(s) for s in entry["statuses"]}
    assert documented <= declared, f"undeclared: {sorted(documented - declared)}"


@pytest.mark.parametrize(("api_name", "entry"), _entries("examples"))
def test_documented_example_matches_the_spec(api_name, entry):
    api = bundled_apis()[api_name]
    if entry["kind"] == "request":
        schema = api.request_schema(entry["method"], entry["path"])
        validator: Any = OAS30WriteValidator
    else:
        assert entry["kind"] == "response"
        schema = api.response_schema(entry["method"], entry["path"], entry["status"])
        validator = OAS30ReadValidator
    assert schema is not None, "the spec declares no JSON body here"
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER).iter_errors(
            entry["body"]
        )
    ]
    assert errors == []
