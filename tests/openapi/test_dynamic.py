"""Schema-generated values: valid for every bundled response, seeded, honouring each keyword."""

from __future__ import annotations

import base64
import random
import re
import uuid

import pytest
from faker import Faker
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator

from mockgate.core.timestamps import parse_timestamp
from mockgate.openapi.dynamic import generate, merge_all_of

SEEDS = range(6)


def errors(schema, value) -> list[str]:
    validator = OAS30ReadValidator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(value)]


def values(schema, seeds=SEEDS, faker=None) -> list:
    return [generate(schema, rng=random.Random(seed), faker=faker) for seed in seeds]


def response_schemas(api):
    for operation in api.operations:
        raw = api.operation(operation.method, operation.path)
        for status, response in raw["responses"].items():
            for media_type, media in (response.get("content") or {}).items():
                schema = media.get("schema")
                if schema and schema.get("format") != "binary":
                    yield f"{operation.operation_id} {status} {media_type}", schema


# --- the property: every response of every bundled spec --------------------------------------


def test_every_bundled_response_schema_gets_valid_values(api):
    faker = Faker()
    checked = 0
    for where, schema in response_schemas(api):
        validator = OAS30ReadValidator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
        for seed in SEEDS:
            faker.seed_instance(seed)
            value = generate(schema, rng=random.Random(seed), faker=faker if seed % 2 else None)
            problems = [e.message for e in validator.iter_errors(value)]
            assert not problems, f"{where}, seed {seed}: {problems}"
            checked += 1
    assert checked > 0


def test_the_same_seed_gives_the_same_value(api):
    for _, schema in response_schemas(api):
        assert values(schema, [7]) == values(schema, [7])


def test_seeds_give_different_values():
    schema = {
        "type": "object",
        "required": ["id", "n", "tags"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "n": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }
    assert len({repr(v) for v in values(schema, range(20))}) == 20


def test_faker_output_repeats_when_faker_is_seeded():
    schema = {"type": "string", "format": "email"}

    def with_faker(seed: int) -> str:
        faker = Faker()
        faker.seed_instance(seed)
        return generate(schema, rng=random.Random(seed), faker=faker)

    assert with_faker(3) == with_faker(3)
    assert not errors(schema, with_faker(3))


# --- objects -------------------------------------------------------------------------------


OBJECT = {
    "type": "object",
    "required": ["a"],
    "properties": {
        "a": {"type": "integer"},
        "b": {"type": "integer"},
        "secret": {"type": "string", "writeOnly": True},
        "file": {"type": "string", "format": "binary"},
        "id": {"type": "string", "readOnly": True},
    },
}


def test_objects_have_required_properties_and_optional_ones_half_the_time():
    made = values(OBJECT, range(400))
    assert all("a" in value for value in made)
    share = sum("b" in value for value in made) / len(made)
    assert 0.4 < share < 0.6
    assert any("id" in value for value in made)  # readOnly: as given, sent in responses
    assert not any("secret" in value or "file" in value for value in made)


def test_required_properties_described_nowhere_still_appear():
    schema = {"type": "object", "required": ["x"], "additionalProperties": {"type": "integer"}}
    for value in values(schema):
        assert isinstance(value["x"], int)


def test_deep_nesting_stops_adding_optional_properties():
    schema: dict = {"type": "object", "properties": {}}
    node = schema
    for _ in range(20):
        child: dict = {"type": "object", "properties": {}}
        node["properties"]["child"] = child
        node = child
    value = generate(schema, rng=random.Random(0))
    depth = 0
    while "child" in value:
        value, depth = value["child"], depth + 1
    assert depth <= 8


# --- composition ---------------------------------------------------------------------------


ERROR = {
    "type": "object",
    "required": ["statusCode", "error"],
    "properties": {"statusCode": {"type": "integer"}, "error": {"type": "string"}},
}


def test_merge_all_of_unites_and_tightens():
    schema = {
        "description": "own",
        "allOf": [
            ERROR,
            {
                "type": "object",
                "required": ["details", "error"],
                "description": "part",
                "properties": {
                    "statusCode": {"type": "integer", "enum": [400]},
                    "details": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
                },
            },
            {"properties": {"details": {"maxItems": 2, "minItems": 1}}},
        ],
    }
    assert merge_all_of(schema) == {
        "type": "object",
        "description": "own",
        "required": ["statusCode", "error", "details"],
        "properties": {
            "statusCode": {"type": "integer", "enum": [400]},
            "error": {"type": "string"},
            "details": {
                "type": "array",
                "items": {"type": "string"},
                "maxItems": 2,
                "minItems": 1,
            },
        },
    }


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param([{"minimum": 1}, {"minimum": 5}], {"minimum": 5}, id="minimum"),
        pytest.param([{"maxLength": 9}, {"maxLength": 4}], {"maxLength": 4}, id="max-length"),
        pytest.param([{"enum": [1, 2, 3]}, {"enum": [3, 2]}], {"enum": [2, 3]}, id="enum"),
        pytest.param(
            [{"items": {"minimum": 0}}, {"items": {"maximum": 9}}],
            {"items": {"minimum": 0, "maximum": 9}},
            id="items",
        ),
        pytest.param(
            [{"allOf": [{"minItems": 2}]}, {"maxItems": 4}],
            {"minItems": 2, "maxItems": 4},
            id="nested-all-of",
        ),
        pytest.param([{"type": "string", "nullable": True}], {"type": "string"}, id="no-null"),
    ],
)
def test_merge_all_of_keywords(parts, expected):
    assert merge_all_of({"allOf": parts}) == expected


def test_all_of_values_satisfy_every_part():
    schema = {"allOf": [ERROR, {"properties": {"statusCode": {"type": "integer", "enum": [404]}}}]}
    for value in values(schema):
        assert value["statusCode"] == 404
        assert not errors(schema, value)


@pytest.mark.parametrize("key", ["oneOf", "anyOf"], ids=["one-of", "any-of"])
def test_one_of_and_any_of_pick_an_option(key):
    schema = {key: [{"type": "string", "format": "uuid"}, {"type": "integer", "minimum": 5}]}
    made = values(schema, range(30))
    assert {type(value) for value in made} == {str, int}
    for value in made:
        assert not errors(schema, value)


# --- nullable and enum -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "can_be_null"),
    [
        pytest.param({"type": "string", "nullable": True}, True, id="nullable"),
        pytest.param({"type": "string"}, False, id="not-nullable"),
        pytest.param({"type": "string", "nullable": True, "enum": ["a"]}, False, id="enum-no-null"),
        pytest.param(
            {"type": "string", "nullable": True, "enum": ["a", None]}, True, id="enum-null"
        ),
        pytest.param(
            {"allOf": [{"type": "string"}], "nullable": True}, False, id="all-of-parts-decide"
        ),
    ],
)
def test_null_only_where_valid(schema, can_be_null):
    made = values(schema, range(60))
    assert (None in made) is can_be_null
    assert any(value is not None for value in made)
    for value in made:
        assert not errors(schema, value)


def test_enum_values_are_drawn_from_the_enum():
    schema = {"type": "string", "enum": ["active", "paused", "failed"]}
    assert set(values(schema, range(40))) == {"active", "paused", "failed"}


def test_enum_values_are_copies():
    schema = {"enum": [{"a": [1]}]}
    generate(schema, rng=random.Random(0))["a"].append(2)
    assert schema == {"enum": [{"a": [1]}]}


# --- strings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        pytest.param(
            "date-time", lambda v: parse_timestamp(v).year in (2025, 2026), id="date-time"
        ),
        pytest.param("date", lambda v: re.fullmatch(r"\d{4}-\d\d-\d\d", v), id="date"),
        pytest.param("uuid", lambda v: uuid.UUID(v).version == 4, id="uuid"),
        pytest.param("email", lambda v: v.endswith("@example.com"), id="email"),
        pytest.param("uri", lambda v: v.startswith("https://example.com/"), id="uri"),
        pytest.param("hostname", lambda v: v.endswith(".example.com"), id="hostname"),
        pytest.param("ipv4", lambda v: v.count(".") == 3, id="ipv4"),
        pytest.param("ipv6", lambda v: ":" in v, id="ipv6"),
        pytest.param("byte", lambda v: base64.b64decode(v, validate=True) is not None, id="byte"),
        pytest.param("password", lambda v: isinstance(v, str), id="unknown-format"),
    ],
)
def test_string_formats(fmt, check):
    schema = {"type": "string", "format": fmt}
    for value in values(schema):
        assert check(value), value
        assert not errors(schema, value)


def test_date_times_are_the_documented_shape():
    for value in values({"type": "string", "format": "date-time"}):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", value)


def test_binary_has_no_json_value():
    assert generate({"type": "string", "format": "binary"}, rng=random.Random(0)) is None


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "string"}, id="free"),
        pytest.param({"type": "string", "minLength": 1}, id="min-1"),
        pytest.param({"type": "string", "minLength": 40}, id="long-min"),
        pytest.param({"type": "string", "maxLength": 2}, id="short-max"),
        pytest.param({"type": "string", "minLength": 5, "maxLength": 5}, id="exact"),
        pytest.param({"type": "string", "maxLength": 0}, id="empty-only"),
        pytest.param({"type": "string", "maxLength": 6990508}, id="huge-max"),
        pytest.param(
            {"type": "string", "format": "byte", "minLength": 9, "maxLength": 12}, id="b64"
        ),
        pytest.param({}, id="any"),
    ],
)
def test_string_lengths(schema):
    made = values(schema, range(20))
    for value in made:
        assert not errors(schema, value), value
    assert max(len(v) for v in made) <= max(schema.get("minLength", 0), 16)


def test_a_format_longer_than_allowed_names_the_conflict():
    with pytest.raises(ValueError, match=r"format uuid: values are 36 characters long"):
        generate({"type": "string", "format": "uuid", "maxLength": 10}, rng=random.Random(0))


@pytest.mark.parametrize(
    "pattern",
    [
        pytest.param(r"^3\.0\.\d+$", id="openapi-version"),
        pytest.param(
            r"^(?:[^/\\\u0000-\u001f.]|\.[^\\\u0000-\u001f.])(?:[^\\\u0000-\u001f.]|\.[^\\\u0000-\u001f.])*\.?$",
            id="object-key",
        ),
        pytest.param(r"^[A-Z]{3}-\d{4}$", id="code"),
        pytest.param(r"^(sess|ctr)-[a-z0-9]{6}$", id="alternation"),
        pytest.param(r"^\w+@\w+\.(com|org)$", id="word-classes"),
        pytest.param(r"^[^\s]+ \S+$", id="negated-classes"),
        pytest.param(r"^(ab)\1$", id="backreference"),
        pytest.param(r"^v[0-9]+(\.[0-9]+)?$", id="optional-group"),
        pytest.param(r"^.{3}x?$", id="any-char"),
        pytest.param(r"^[é]$", id="outside-alphabet"),
        pytest.param(r"(?i)^abc$", id="flags"),
        pytest.param(r"^(?>a+)b$", id="atomic"),
        pytest.param(r"^a*?b+?$", id="lazy"),
        pytest.param(r"\d", id="unanchored"),
    ],
)
def test_patterns(pattern):
    schema = {"type": "string", "pattern": pattern}
    for value in values(schema):
        assert re.search(pattern, value), value


def test_a_matching_example_is_used_for_a_pattern():
    schema = {"type": "string", "pattern": r"^(?=x)x\d$", "example": "x1"}
    assert values(schema, range(3)) == ["x1", "x1", "x1"]


def test_an_example_breaking_the_length_is_not_used():
    schema = {"type": "string", "pattern": r"^\d+$", "maxLength": 3, "example": "12345"}
    for value in values(schema):
        assert value != "12345"
        assert not errors(schema, value)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        pytest.param(
            {"type": "string", "pattern": r"^(?=a)a$"},
            r"pattern '\^\(\?=a\)a\$': cannot generate strings for its assert",
            id="lookahead",
        ),
        pytest.param(
            {"type": "string", "pattern": r"^(?=a)a$", "example": "b"},
            "cannot generate strings for its assert; give the schema an example that matches",
            id="example-does-not-match",
        ),
        pytest.param(
            {"type": "string", "pattern": r"^\d{3}$", "maxLength": 2},
            r"no generated string matched within length 0 to 2",
            id="length-conflict",
        ),
        pytest.param(
            {"type": "string", "pattern": "(unclosed"},
            r"is not a valid regular expression",
            id="invalid-regex",
        ),
    ],
)
def test_patterns_it_cannot_serve(schema, message):
    with pytest.raises(ValueError, match=message):
        generate(schema, rng=random.Random(0))


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "integer"}, id="integer"),
        pytest.param({"type": "integer", "minimum": 0, "maximum": 0}, id="single"),
        pytest.param({"type": "integer", "minimum": 5000}, id="minimum-only"),
        pytest.param({"type": "integer", "maximum": -5000}, id="maximum-only"),
        pytest.param({"type": "integer", "maximum": 3}, id="small-maximum"),
        pytest.param(
            {
                "type": "integer",
                "minimum": 1,
                "maximum": 3,
                "exclusiveMinimum": True,
                "exclusiveMaximum": True,
            },
            id="exclusive",
        ),
        pytest.param({"type": "integer", "minimum": 0.5, "maximum": 1.5}, id="fractional-bounds"),
        pytest.param({"type": "integer", "multipleOf": 7, "minimum": 10}, id="multiple"),
        pytest.param({"type": "integer", "format": "int32", "minimum": 2**31 - 3}, id="int32"),
        pytest.param({"type": "integer", "format": "int64", "minimum": 0}, id="int64"),
        pytest.param({"type": "number"}, id="number"),
        pytest.param(
            {"type": "number", "minimum": 0, "maximum": 0.01, "exclusiveMinimum": True},
            id="number-narrow-exclusive",
        ),
        pytest.param({"type": "number", "multipleOf": 0.5, "maximum": 2}, id="number-multiple"),
        pytest.param({"type": "number", "multipleOf": 0.1}, id="number-float-multiple"),
        pytest.param({"type": "number", "minimum": -1, "maximum": 1}, id="number-range"),
    ],
)
def test_numbers(schema):
    made = values(schema, range(30))
    for value in made:
        assert not errors(schema, value), value
        if schema["type"] == "integer":
            assert type(value) is int


def test_booleans_take_both_values():
    assert set(values({"type": "boolean"}, range(20))) == {True, False}


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        pytest.param(
            {"type": "integer", "minimum": 3, "maximum": 2}, "no integer satisfies", id="empty"
        ),
        pytest.param(
            {
                "type": "integer",
                "minimum": 1,
                "maximum": 2,
                "exclusiveMinimum": True,
                "exclusiveMaximum": True,
            },
            "no integer satisfies",
            id="exclusive-empty",
        ),
        pytest.param(
            {"type": "number", "minimum": 1, "maximum": 1, "exclusiveMaximum": True},
            "no number satisfies",
            id="number-empty",
        ),
        pytest.param(
            {"type": "integer", "multipleOf": 10, "minimum": 1, "maximum": 9},
            "no integer satisfies",
            id="no-multiple",
        ),
        pytest.param({"enum": [None]}, "no value to choose", id="enum-of-null"),
        pytest.param(
            {"type": "string", "minLength": 3, "maxLength": 2},
            "minLength 3 is more than maxLength 2",
            id="string-lengths",
        ),
        pytest.param(
            {"type": "string", "format": "byte", "minLength": 1, "maxLength": 3},
            "format byte: no base64 length between 1 and 3",
            id="byte-lengths",
        ),
    ],
)
def test_impossible_schemas_name_the_keyword(schema, message):
    with pytest.raises(ValueError, match=message):
        generate(schema, rng=random.Random(0))


# --- arrays --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "low", "high"),
    [
        pytest.param({"type": "array", "items": {"type": "integer"}}, 0, 5, id="capped-at-5"),
        pytest.param({"type": "array", "items": {}, "maxItems": 2}, 0, 2, id="max-items"),
        pytest.param({"type": "array", "items": {}, "minItems": 7}, 7, 7, id="min-above-cap"),
        pytest.param(
            {"type": "array", "items": {}, "minItems": 2, "maxItems": 100}, 2, 5, id="both"
        ),
        pytest.param({"items": {"type": "integer"}}, 0, 5, id="type-inferred"),
    ],
)
def test_array_sizes(schema, low, high):
    made = values(schema, range(40))
    assert {len(value) for value in made} == set(range(low, high + 1))
    for value in made:
        assert not errors(schema, value)


def test_unique_items():
    schema = {
        "type": "array",
        "uniqueItems": True,
        "minItems": 3,
        "items": {"type": "integer", "minimum": 0, "maximum": 3},
    }
    for value in values(schema, range(20)):
        assert len(set(value)) == len(value) >= 3
    with pytest.raises(ValueError, match="uniqueItems with minItems 3"):
        generate(schema | {"items": {"enum": [1, 2]}}, rng=random.Random(0))
