"""The compiled validators accept exactly what OpenAPI 3.0 accepts.

The oracle is openapi-schema-validator (``OAS30ReadValidator`` with the OAS 3.0 format checker,
as speccheck uses it). On every example of the four specs, and on every mutation of them built
here, both must agree. Where mockgate rules differently on purpose (a nullable enum or a nullable
``allOf`` accepts null), the unit tests say so with ``reference=DIFFERS``.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator, OAS30WriteValidator

from mockgate.openapi import schemas
from mockgate.openapi.catalog import HTTP_METHODS, bundled_apis
from mockgate.openapi.schemas import ResponseValidator, compile_schema, to_json_schema

FORMATS = OAS30Validator.FORMAT_CHECKER
Path = tuple[str | int, ...]

# --- (a) equivalence with openapi-schema-validator on the specs' examples and their mutations ---


@dataclass(frozen=True)
class Case:
    """One example of one response."""

    api: str
    label: str
    operation_id: str
    status: int
    media_type: str
    schema: dict[str, Any]
    value: Any


@dataclass(frozen=True)
class Mutant:
    """An example broken in one place; ``path`` is where the validator must point."""

    case: Case
    kind: str
    path: Path
    value: Any


@cache
def _cases(api_name: str) -> tuple[Case, ...]:
    """Every named example and ``example`` of every JSON response, each (schema, value) once."""
    spec = bundled_apis()[api_name].resolved
    found: dict[tuple[int, str], Case] = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            op = item.get(method)
            for status, response in (op or {}).get("responses", {}).items():
                for media_type, content in (response.get("content") or {}).items():
                    if "json" not in media_type or "schema" not in content:
                        continue
                    named = {n: e["value"] for n, e in content.get("examples", {}).items()}
                    if "example" in content:
                        named["example"] = content["example"]
                    for name, value in named.items():
                        label = f"{api_name} {method.upper()} {path} {status} {media_type} {name}"
                        key = (id(content["schema"]), json.dumps(value, sort_keys=True))
                        found.setdefault(
                            key,
                            Case(
                                api_name,
                                label,
                                op["operationId"],
                                int(status),
                                media_type,
                                content["schema"],
                                value,
                            ),
                        )
    return tuple(found.values())


@cache
def _validator(api_name: str) -> ResponseValidator:
    return ResponseValidator.from_spec(bundled_apis()[api_name].resolved)


@cache
def _reference(api_name: str, schema_id: int) -> Any:
    schema = next(c.schema for c in _cases(api_name) if id(c.schema) == schema_id)
    return OAS30ReadValidator(schema, format_checker=FORMATS)


def _closure(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The schema and its ``allOf`` branches: what certainly applies to one value."""
    yield schema
    for branch in schema.get("allOf", ()):
        yield from _closure(branch)


def _sites(schema: dict[str, Any], value: Any, at: Path = ()) -> Iterator[tuple[Path, Any, list]]:
    """Every place in ``value``, with the schemas that certainly apply there (``anyOf`` and
    ``oneOf`` are not entered: which branch applies is a guess)."""
    applying = list(_closure(schema))
    yield at, value, applying
    for sub in applying:
        if isinstance(value, dict):
            for name, prop in sub.get("properties", {}).items():
                if name in value:
                    yield from _sites(prop, value[name], (*at, name))
        elif isinstance(value, list) and "items" in sub:
            for index, item in enumerate(value):
                yield from _sites(sub["items"], item, (*at, index))


_WRONG_TYPE = {
    "string": 12345,
    "integer": "12345",
    "number": "1.5",
    "boolean": "true",
    "array": {"not": "an array"},
    "object": ["not", "an", "object"],
}
_JSON_TYPE = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
_BAD_DATE_TIMES = ("2026-02-30T10:00:00Z", "2026-02-08 10:00:00Z", "2026-02-08T10:00:00", "soon")
_BAD_UUIDS = (
    "not-a-uuid",
    "3f0e8a4e5f0b4b7e9d3a1c2b3c4d5e6f",
    "3f0e8a4e-5f0b-4b7e-9d3a-1c2b3c4d5e6",
)


def _mutations(at: Path, value: Any, applying: list) -> Iterator[tuple[str, Path, Any]]:
    """(kind, where the error is, replacement) for one place: each certainly invalid."""
    types = [s["type"] for s in applying if "type" in s]
    nullable = any(s.get("nullable") for s in applying)
    keywords = {k: v for s in reversed(applying) for k, v in s.items()}
    if isinstance(value, dict):
        for name in sorted({n for s in applying for n in s.get("required", ())} & set(value)):
            yield "drop-required", at, {k: v for k, v in value.items() if k != name}
    if value is None:
        return
    if types and not nullable:
        yield "null-non-nullable", at, None
    if types and _JSON_TYPE.get(type(value), "object") == types[0]:
        yield "wrong-type", at, _WRONG_TYPE[types[0]]
    if isinstance(value, str):
        if "enum" in keywords:
            yield "bad-enum", at, "not-a-documented-value"
        if keywords.get("format") == "date-time":
            yield "bad-date-time", at, _BAD_DATE_TIMES[len(at) % len(_BAD_DATE_TIMES)]
        if keywords.get("format") == "uuid":
            yield "bad-uuid", at, _BAD_UUIDS[len(at) % len(_BAD_UUIDS)]
        if keywords.get("minLength", 0) > 0:
            yield "too-short", at, ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        step = 1 if isinstance(value, int) else 0.5
        if "minimum" in keywords:
            yield "below-minimum", at, keywords["minimum"] - step
        if "maximum" in keywords:
            yield "above-maximum", at, keywords["maximum"] + step
        if keywords.get("format") == "int64" and "maximum" not in keywords:
            yield "int64-overflow", at, 2**63
    if isinstance(value, list) and value and "maxItems" in keywords:
        limit = keywords["maxItems"]
        yield "too-many-items", at, (value * (limit + 1))[: limit + 1]


def _replace(document: Any, at: Path, value: Any) -> Any:
    if not at:
        return value
    document = copy.deepcopy(document)
    parent = document
    for part in at[:-1]:
        parent = parent[part]
    parent[at[-1]] = value
    return document


@cache
def _mutants(api_name: str) -> tuple[Mutant, ...]:
    return tuple(
        Mutant(case, kind, where, _replace(case.value, at, replacement))
        for case in _cases(api_name)
        for at, value, applying in _sites(case.schema, case.value)
        for kind, where, replacement in _mutations(at, value, applying)
    )


def _ours(case: Case, value: Any) -> list[str]:
    return _validator(case.api).validate(case.operation_id, case.status, case.media_type, value)


def _points_at(messages: list[str], at: Path) -> bool:
    prefix = "/".join(map(str, at)) or "(root)"
    return any(m.startswith((f"{prefix}:", f"{prefix}/")) or not at for m in messages)


def test_every_example_is_accepted_by_both(api):
    cases = _cases(api.name)
    assert cases, "the spec has examples"
    rejected = []
    for case in cases:
        ours = _ours(case, case.value)
        reference = [
            e.message for e in _reference(api.name, id(case.schema)).iter_errors(case.value)
        ]
        if ours or reference:
            rejected.append(f"{case.label}: ours={ours} reference={reference}")
    assert not rejected, "\n".join(rejected)


def test_every_mutant_is_rejected_by_both_at_its_place(api):
    disagreements = []
    for mutant in _mutants(api.name):
        ours = _ours(mutant.case, mutant.value)
        reference_accepts = _reference(api.name, id(mutant.case.schema)).is_valid(mutant.value)
        if not ours or reference_accepts or not _points_at(ours, mutant.path):
            disagreements.append(
                f"{mutant.case.label} {mutant.kind} at {mutant.path}: "
                f"ours={ours[:3]} reference accepts={reference_accepts}"
            )
    assert not disagreements, f"{len(disagreements)}:\n" + "\n".join(disagreements[:20])


def test_the_mutations_cover_every_kind():
    kinds = Counter(m.kind for name in bundled_apis() for m in _mutants(name))
    assert set(kinds) == {
        "drop-required",
        "null-non-nullable",
        "wrong-type",
        "bad-enum",
        "bad-date-time",
        "bad-uuid",
        "too-short",
        "below-minimum",
        "above-maximum",
        "int64-overflow",
        "too-many-items",
    }, kinds
    assert sum(kinds.values()) > 1000


# --- (b) conversion rules, one edge case per row ----------------------------------------------

SAME, DIFFERS = "same", "differs"  # what openapi-schema-validator says, compared with us


def edge(
    case_id: str,
    schema: dict[str, Any],
    instance: Any,
    accepted: bool,
    *,
    direction: str = "response",
    reference: str = SAME,
) -> Any:
    """One row: ``schema`` accepts ``instance`` or not; the reference agrees or ``DIFFERS``."""
    return pytest.param(schema, direction, instance, accepted, reference, id=case_id)


STRING = {"type": "string"}
NULLABLE_STRING = {"type": "string", "nullable": True}
NAMED = {"type": "object", "required": ["id"], "properties": {"id": STRING}}
ACCOUNT = {
    "type": "object",
    "required": ["id", "password"],
    "properties": {
        "id": {"type": "string", "readOnly": True},
        "password": {"type": "string", "writeOnly": True},
    },
}
STRICTLY_POSITIVE = {"type": "number", "minimum": 0, "exclusiveMinimum": True}
ID = "3f0e8a4e-5f0b-4b7e-9d3a-1c2b3c4d5e6f"


def formatted(fmt: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "format": fmt, **more}


EDGE_CASES = [
    edge("nullable-accepts-null", NULLABLE_STRING, None, True),
    edge("nullable-still-typed", NULLABLE_STRING, 1, False),
    edge("not-nullable-rejects-null", STRING, None, False),
    edge("nullable-false-rejects-null", {**STRING, "nullable": False}, None, False),
    edge("untyped-accepts-null", {"minLength": 1}, None, True),
    # OAS 3.0.3's letter keeps the enum (null rejected); authors of a nullable enum mean null.
    edge(
        "nullable-enum-accepts-null",
        {**NULLABLE_STRING, "enum": ["a"]},
        None,
        True,
        reference=DIFFERS,
    ),
    edge("nullable-enum-listing-null", {**NULLABLE_STRING, "enum": ["a", None]}, None, True),
    edge("nullable-enum-checks-values", {**NULLABLE_STRING, "enum": ["a"]}, "b", False),
    edge("enum-with-null-not-nullable", {**STRING, "enum": ["a", None]}, None, False),
    # ``nullable`` beside ``allOf`` is how a nullable $ref is written; 3.0.3 would reject null.
    edge(
        "nullable-allOf-accepts-null",
        {"nullable": True, "allOf": [NAMED]},
        None,
        True,
        reference=DIFFERS,
    ),
    edge("nullable-allOf-checks-object", {"nullable": True, "allOf": [NAMED]}, {}, False),
    edge(
        "nullable-oneOf-accepts-null",
        {"nullable": True, "oneOf": [STRING, {"type": "integer"}]},
        None,
        True,
        reference=DIFFERS,
    ),
    edge("nullable-anyOf-checks-branches", {"nullable": True, "anyOf": [STRING]}, 1, False),
    edge(
        "nullable-items",
        {"type": "array", "items": {"type": "integer", "nullable": True}},
        [1, None],
        True,
    ),
    edge("allOf-adds-required", {"allOf": [NAMED, {"required": ["name"]}]}, {"id": "x"}, False),
    edge("oneOf-rejects-two-matches", {"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 1, False),
    edge("oneOf-accepts-one-match", {"oneOf": [{"type": "integer"}, STRING]}, "x", True),
    edge("not", {"not": STRING}, "x", False),
    edge(
        "additionalProperties-false",
        {"properties": {}, "additionalProperties": False},
        {"x": 1},
        False,
    ),
    edge(
        "additionalProperties-schema",
        {"additionalProperties": {"type": "integer"}},
        {"x": "1"},
        False,
    ),
    edge("readOnly-not-required-in-request", ACCOUNT, {"password": "p"}, True, direction="request"),
    edge(
        "readOnly-not-sent-in-request",
        ACCOUNT,
        {"id": "1", "password": "p"},
        False,
        direction="request",
    ),
    edge("writeOnly-required-in-request", ACCOUNT, {}, False, direction="request"),
    edge("readOnly-required-in-response", ACCOUNT, {}, False),
    edge("writeOnly-not-required-in-response", ACCOUNT, {"id": "1"}, True),
    edge("writeOnly-not-sent-in-response", ACCOUNT, {"id": "1", "password": "p"}, False),
    edge("exclusiveMinimum-excludes", STRICTLY_POSITIVE, 0, False),
    edge("exclusiveMinimum-above", STRICTLY_POSITIVE, 0.001, True),
    edge("exclusiveMinimum-false", {**STRICTLY_POSITIVE, "exclusiveMinimum": False}, 0, True),
    edge("exclusiveMaximum-excludes", {"maximum": 1, "exclusiveMaximum": True}, 1, False),
    edge("exclusiveMaximum-alone-ignored", {"exclusiveMaximum": True}, 5, True),
    edge("integer-rejects-1.0", {"type": "integer"}, 1.0, False),
    edge("integer-rejects-true", {"type": "integer"}, True, False),
    edge("int32-overflow", {"type": "integer", "format": "int32"}, 2**31, False),
    edge("int32-bottom", {"type": "integer", "format": "int32"}, -(2**31), True),
    edge("int64-overflow", {"type": "integer", "format": "int64", "minimum": 0}, 2**63, False),
    edge("int64-keeps-minimum", {"type": "integer", "format": "int64", "minimum": 0}, -1, False),
    edge("float-format", {"type": "number", "format": "float"}, 1, True),
    edge("double-format", {"type": "number", "format": "double"}, 1e300, True),
    edge("password-format", formatted("password"), "", True),
    edge("binary-format", formatted("binary"), "\x00", True),
    edge("unknown-format", formatted("ulid"), "?", True),
    edge("byte-valid", formatted("byte"), "aGk=", True),
    edge("byte-unpadded", formatted("byte"), "aGk", False),
    edge("byte-not-base64", formatted("byte"), "hi there", False),
    edge("date-time-valid", formatted("date-time"), "2026-02-08T10:00:00.123+01:00", True),
    edge("date-time-no-offset", formatted("date-time"), "2026-02-08T10:00:00", False),
    edge("date-time-bad-day", formatted("date-time"), "2025-02-29T10:00:00Z", False),
    edge("date-time-nullable", formatted("date-time", nullable=True), None, True),
    # RFC 3339 allows a leap second; the reference's rfc3339-validator does not.
    edge(
        "date-time-leap-second",
        formatted("date-time"),
        "2016-12-31T23:59:60Z",
        True,
        reference=DIFFERS,
    ),
    edge("date-valid", formatted("date"), "2024-02-29", True),
    edge("date-invalid", formatted("date"), "2023-02-29", False),
    edge("uuid-valid", formatted("uuid"), ID.upper(), True),
    edge("uuid-braced", formatted("uuid"), f"{{{ID}}}", False),
    edge("uuid-and-pattern", formatted("uuid", pattern="^0"), ID, False),
    edge("email-invalid", formatted("email"), "nobody", False),
    # jsonschema checks ``uri`` only with rfc3987 installed, and it is not.
    edge("uri-relative", formatted("uri"), "/relative", False, reference=DIFFERS),
    edge(
        "oas-only-keywords-ignored",
        {**STRING, "example": 1, "x-note": 1, "deprecated": True, "xml": {"name": "x"}},
        "s",
        True,
    ),
    edge("json-schema-only-keywords-ignored", {**STRING, "const": "a"}, "b", True),
]


@pytest.mark.parametrize(("schema", "direction", "instance", "accepted", "reference"), EDGE_CASES)
def test_edge_case(schema, direction, instance, accepted, reference):
    original = copy.deepcopy(schema)
    assert compile_schema(schema, direction=direction).is_valid(instance) is accepted
    assert schema == original, "the OpenAPI schema is not modified"
    oracle = OAS30WriteValidator if direction == "request" else OAS30ReadValidator
    reference_accepts = oracle(schema, format_checker=FORMATS).is_valid(instance)
    assert (reference_accepts is accepted) == (reference == SAME)


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param(
            {"type": "string", "nullable": True}, {"type": ["string", "null"]}, id="nullable-type"
        ),
        pytest.param(
            {"type": "string", "nullable": True, "enum": ["a"]},
            {"type": ["string", "null"], "enum": ["a", None]},
            id="nullable-enum",
        ),
        pytest.param(
            {"nullable": True, "allOf": [{"type": "object"}]},
            {"anyOf": [{"allOf": [{"type": "object"}]}, {"type": "null"}]},
            id="nullable-allOf",
        ),
        pytest.param(
            {
                "type": "number",
                "minimum": 1,
                "exclusiveMinimum": True,
                "maximum": 2,
                "exclusiveMaximum": False,
            },
            {"type": "number", "minimum": 1, "exclusiveMinimum": True, "maximum": 2},
            id="draft4-exclusives",
        ),
        pytest.param(
            {"type": "number", "exclusiveMinimum": 3},
            {"type": "number", "minimum": 3, "exclusiveMinimum": True},
            id="numeric-exclusive-to-draft4",
        ),
        pytest.param(
            {"type": "integer", "format": "int32"},
            {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1},
            id="int32",
        ),
        pytest.param(
            {"type": "string", "format": "uuid"},
            {"type": "string", "pattern": schemas._FORMAT_PATTERNS["uuid"]},
            id="uuid",
        ),
        pytest.param(
            {
                "type": "string",
                "format": "date-time",
                "title": "t",
                "description": "d",
                "default": "x",
                "example": "e",
                "x-y": 1,
                "discriminator": {},
            },
            {"type": "string", "format": "date-time"},
            id="annotations-dropped",
        ),
        pytest.param(
            {
                "type": "object",
                "required": ["a", "b"],
                "additionalProperties": True,
                "properties": {"a": {"writeOnly": True}, "b": {"readOnly": True}},
            },
            {"type": "object", "required": ["b"], "properties": {"a": {"not": {}}, "b": {}}},
            id="writeOnly-response",
        ),
        pytest.param(
            {
                "allOf": [{"properties": {"a": {"writeOnly": True}}}, {"required": ["a"]}],
                "required": ["a"],
            },
            {"allOf": [{"properties": {"a": {"not": {}}}}, {"required": ["a"]}]},
            id="writeOnly-in-allOf-branch",
        ),
    ],
)
def test_conversion(schema, expected):
    assert to_json_schema(schema, direction="response") == expected


@pytest.mark.parametrize(
    ("schema", "error"),
    [
        pytest.param({"$ref": "#/components/schemas/X"}, "unresolved \\$ref", id="ref"),
        pytest.param({"items": {"$ref": "#/x"}}, "#/items: unresolved", id="nested-ref"),
    ],
)
def test_conversion_refuses_unresolved_schemas(schema, error):
    with pytest.raises(ValueError, match=error):
        to_json_schema(schema, direction="response")


def test_conversion_refuses_a_cycle():
    node: dict[str, Any] = {"type": "object", "properties": {}}
    node["properties"]["child"] = node
    with pytest.raises(ValueError, match="contains itself"):
        to_json_schema(node, direction="response")


def test_conversion_refuses_an_unknown_direction():
    with pytest.raises(ValueError, match="direction"):
        to_json_schema({}, direction="sideways")  # type: ignore[arg-type]


# --- (c) ResponseValidator: statuses, media types, headers, messages, caching -----------------

ITEM = {
    "type": "object",
    "required": ["id", "when"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "when": {"type": "string", "format": "date-time"},
        "owner": {"nullable": True, "allOf": [{"type": "object", "required": ["name"]}]},
        "secret": {"type": "string", "writeOnly": True},
    },
}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
PROBLEM = {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}
WHEN = "2026-02-08T10:00:00Z"


def _json(schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}, **extra}


SPEC = {
    "openapi": "3.0.3",
    "paths": {
        "/items": {
            "get": {
                "operationId": "listItems",
                "responses": {
                    "200": _json(
                        {"properties": {"items": {"type": "array", "items": ITEM}}},
                        headers={
                            "X-Request-Id": {"required": True, "schema": {"type": "string"}},
                            "ETag": {"schema": {"type": "string"}},
                            "Content-Type": {"required": True, "schema": {"type": "string"}},
                        },
                    ),
                    "404": _json(ERROR),
                    "4XX": {"content": {"application/problem+json": {"schema": PROBLEM}}},
                    "default": _json({"type": "string"}),
                },
            },
        },
        "/items/{id}": {
            "delete": {"operationId": "deleteItem", "responses": {"204": {"description": "gone"}}},
            "get": {
                "responses": {
                    "200": {
                        "content": {
                            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                            "text/*": {},
                        }
                    }
                }
            },
        },
    },
}


@pytest.fixture
def validator() -> ResponseValidator:
    return ResponseValidator.from_spec(SPEC)


def test_a_conforming_response_has_no_problems(validator):
    body = {"items": [{"id": ID, "when": WHEN, "owner": None}]}
    assert validator.validate("listItems", 200, "application/json", body) == []


def test_messages_name_the_place_and_the_reason(validator):
    body = {
        "items": [
            {"id": ID, "when": WHEN},
            {"id": "nope", "when": None, "owner": {}, "secret": "s"},
        ]
    }
    assert sorted(validator.validate("listItems", 200, "application/json", body)) == [
        'items/1/id: "nope" is not a "uuid"',
        'items/1/owner: "name" is a required property',  # not "not valid under any of..."
        "items/1/secret: must not be present (writeOnly properties are not sent in responses)",
        'items/1/when: null is not of type "string"',
    ]


def test_a_root_problem_and_a_long_value_stay_short(validator):
    [message] = validator.validate("listItems", 500, "application/json", ["x" * 1000])
    assert message.startswith("(root): [")
    assert len(message) < 220


def test_a_body_json_cannot_hold_is_reported(validator):
    assert validator.validate("listItems", 200, "application/json", {"items": b"x"}) == [
        "(root): the body is not JSON data (Unsupported type: 'bytes')"
    ]


@pytest.mark.parametrize(
    ("status", "media_type", "body", "expected"),
    [
        pytest.param(404, "application/json", {"error": "x"}, [], id="exact-status"),
        pytest.param(
            404,
            "application/json",
            {},
            ['(root): "error" is a required property'],
            id="exact-status-schema",
        ),
        pytest.param(409, "application/problem+json", {"title": "x"}, [], id="4XX-fallback"),
        pytest.param(
            409,
            "application/problem+json",
            {},
            ['(root): "title" is a required property'],
            id="4XX-fallback-schema",
        ),
        pytest.param(500, "application/json", "boom", [], id="default-fallback"),
        pytest.param(
            503,
            "application/json",
            {},
            ['(root): {} is not of type "string"'],
            id="default-fallback-schema",
        ),
        pytest.param(200, "application/json; charset=utf-8", {}, [], id="media-type-parameters"),
        pytest.param(
            409,
            "application/json",
            {},
            [
                "listItems 4XX: content type 'application/json' not declared "
                "(application/problem+json)"
            ],
            id="undeclared-media-type",
        ),
    ],
)
def test_status_fallback_and_media_types(validator, status, media_type, body, expected):
    assert validator.validate("listItems", status, media_type, body) == expected


def test_an_undeclared_status_is_a_problem():
    spec = copy.deepcopy(SPEC)
    del spec["paths"]["/items"]["get"]["responses"]["default"]
    messages = ResponseValidator.from_spec(spec).validate("listItems", 302, None, None)
    assert messages == ["status 302 is not declared for listItems (declared: 200, 404, 4XX)"]


@pytest.mark.parametrize(
    ("operation", "status", "media_type", "body", "expected"),
    [
        pytest.param(("GET", "/items/{id}"), 200, "image/jpeg", b"\xff\xd8", [], id="jpeg"),
        pytest.param(("get", "/items/{id}"), 200, "text/html", "<p>", [], id="wildcard"),
        pytest.param(
            ("GET", "/items/{id}"),
            200,
            "image/png",
            b"",
            ["GET /items/{id} 200: content type 'image/png' not declared (image/jpeg, text/*)"],
            id="undeclared-non-json",
        ),
        pytest.param("deleteItem", 204, None, None, [], id="no-body"),
        pytest.param(
            "deleteItem",
            204,
            "application/json",
            {},
            ["deleteItem 204: a 'application/json' body, but none declared"],
            id="body-where-none-declared",
        ),
        pytest.param(
            "listItems",
            200,
            None,
            None,
            ["listItems 200: no body, but application/json declared"],
            id="missing-body",
        ),
    ],
)
def test_non_json_and_empty_bodies(validator, operation, status, media_type, body, expected):
    assert validator.validate(operation, status, media_type, body) == expected


@pytest.mark.parametrize("operation", ["getItem", ("GET", "/nowhere")])
def test_an_unknown_operation_is_the_callers_mistake(validator, operation):
    with pytest.raises(KeyError):
        validator.validate(operation, 200, "application/json", {})


@pytest.mark.parametrize(
    ("operation", "status", "headers", "expected"),
    [
        pytest.param("listItems", 200, {"x-request-id": "1"}, [], id="case-insensitive"),
        pytest.param(
            "listItems",
            200,
            {"ETag": "1"},
            ["required header 'X-Request-Id' is missing"],
            id="missing-required",
        ),
        pytest.param("listItems", 404, {}, [], id="none-required"),
        pytest.param(
            "deleteItem",
            200,
            {},
            ["status 200 is not declared for deleteItem (declared: 204)"],
            id="undeclared-status",
        ),
    ],
)
def test_required_headers(validator, operation, status, headers, expected):
    assert validator.validate_headers(operation, status, headers) == expected


def test_validators_are_compiled_once_per_response(validator, monkeypatch):
    compiled = []

    def counting(schema, *, direction):
        compiled.append(schema)
        return compile_schema(schema, direction=direction)

    monkeypatch.setattr(schemas, "compile_schema", counting)
    for _ in range(3):
        validator.validate("listItems", 200, "application/json", {})
        validator.validate(("GET", "/items"), 200, "application/json; charset=utf-8", {})
        validator.validate("listItems", 409, "application/problem+json", {"title": "x"})
        validator.validate("listItems", 422, "application/problem+json", {"title": "x"})
    assert len(compiled) == 2


def test_precompile_compiles_every_json_response(validator):
    assert validator.precompile() == 4  # 200, 404, 4XX and default of listItems


def test_bundled_specs_precompile(api):
    assert ResponseValidator.from_spec(api.resolved).precompile() > 0
