"""Example selection: Prism's rules on synthetic operations and on the bundled specs."""

from __future__ import annotations

import copy

import pytest
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator

from mockgate.core.replies import Reply
from mockgate.openapi.catalog import get_api
from mockgate.openapi.examples import NoExample, choose_example

ERROR = {
    "type": "object",
    "required": ["statusCode", "error"],
    "properties": {
        "statusCode": {"type": "integer", "example": 400},
        "error": {"type": "string", "example": "validation_error"},
    },
}


def op(responses: dict, operation_id: str = "doThing") -> dict:
    return {"operationId": operation_id, "responses": responses}


def json_response(**media) -> dict:
    return {"description": "x", "content": {"application/json": media}}


def body_of(schema: dict):
    return choose_example(op({"200": json_response(schema=schema)})).body


# --- against the bundled specs -------------------------------------------------------------


def test_prepare_recovery_gives_its_documented_example():
    operation = get_api("state-tracking").operation("POST", "/sessions/{id}/prepare-recovery")
    documented = operation["responses"]["200"]["content"]["application/json"]["examples"]
    choice = choose_example(operation)
    assert choice == Reply(200, "application/json", documented["recoverable"]["value"], {})
    assert choice.body["can_recover"] is True


def test_status_404_gives_the_not_found_example():
    operation = get_api("state-tracking").operation("POST", "/sessions/{id}/prepare-recovery")
    choice = choose_example(operation, status=404)
    assert (choice.status, choice.body["error"]) == (404, "not_found")
    assert choice.body["message"] == "Session with ID abc-123 not found"


def test_named_example_on_piorchestrators_pair_operation():
    operation = get_api("piorchestrator").operation(
        "GET", "/api/v1/sessions/{sessionId}/evidence/pair"
    )
    choice = choose_example(operation, name="incomplete-pair")
    assert choice.body["data"]["pair_status"] == "incomplete"
    # X-Request-Id is described, not required (no document mentions it): the middleware sets it.
    assert choice.headers == {}


def test_unknown_name_lists_the_available_names():
    operation = get_api("piorchestrator").operation(
        "GET", "/api/v1/sessions/{sessionId}/evidence/pair"
    )
    with pytest.raises(NoExample) as caught:
        choose_example(operation, name="complete")
    assert str(caught.value) == (
        "getSessionEvidencePair response 200 (application/json) has no example named "
        "'complete'; available: documented, incomplete-pair, missing-pair"
    )


def test_undeclared_status_lists_the_declared_ones():
    operation = get_api("state-tracking").operation("POST", "/sessions/{id}/prepare-recovery")
    with pytest.raises(NoExample, match=r"^prepareSessionRecovery declares no response 418; "):
        choose_example(operation, status=418)


def test_a_204_is_served_without_a_body():
    operation = get_api("state-tracking").operation("DELETE", "/sessions/{id}")
    assert choose_example(operation) == Reply(204, None, None, {})


def test_html_is_served_as_given():
    choice = choose_example(get_api("state-tracking").operation("GET", "/api/docs"))
    assert choice.media_type == "text/html"
    assert choice.body.startswith("<!DOCTYPE html>")


def test_computed_headers_are_left_to_the_server():
    operation = get_api("piorchestrator").operation("GET", "/api/v1/evidence/image")
    with pytest.raises(NoExample, match=r"getEvidenceImage response 200 \(image/jpeg\) has no"):
        choose_example(operation)
    assert choose_example(operation, status=404).headers == {}  # none required, none computed


def test_every_default_choice_of_the_bundled_specs_is_valid(api):
    """Whatever ``choose_example`` serves for a JSON response validates against its schema."""
    for operation in api.operations:
        raw = api.operation(operation.method, operation.path)
        for status, response in raw["responses"].items():
            try:
                choice = choose_example(raw, status=int(status))
            except NoExample:
                assert "image/jpeg" in response.get("content", {})
                continue
            if choice.media_type == "application/json":
                schema = response["content"]["application/json"]["schema"]
                validator = OAS30ReadValidator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
                assert not list(validator.iter_errors(choice.body)), operation.operation_id


def test_the_body_is_a_copy():
    operation = get_api("state-tracking").operation("POST", "/sessions/{id}/prepare-recovery")
    choose_example(operation).body["status"] = "changed"
    assert choose_example(operation).body["status"] == "failed"


# --- choosing the response and media type --------------------------------------------------


@pytest.mark.parametrize(
    ("responses", "status", "expected"),
    [
        pytest.param({"404": {}, "201": {}, "200": {}}, None, 200, id="lowest-2xx"),
        pytest.param({"400": {}, "202": {}}, None, 202, id="only-2xx"),
        pytest.param({"2XX": {}, "400": {}}, None, 200, id="range-2xx"),
        pytest.param({"default": {}}, None, 200, id="default-only"),
        pytest.param({"200": {}, "404": {}}, 404, 404, id="asked"),
        pytest.param({"200": {}, "4XX": {}}, 404, 404, id="asked-range"),
        pytest.param({"200": {}, "default": {}}, 503, 503, id="asked-default"),
    ],
)
def test_response_choice(responses, status, expected):
    assert choose_example(op(responses), status=status).status == expected


def test_no_2xx_says_how_to_ask_for_another():
    with pytest.raises(NoExample) as caught:
        choose_example(op({"400": {}, "500": {}}))
    assert str(caught.value) == (
        "doThing declares no 2xx response (declared: 400, 500); ask for one with Prefer: code="
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            {"text/plain": {"example": "t"}, "application/json": {"example": {"j": 1}}},
            "application/json",
            id="json-first",
        ),
        pytest.param(
            {"text/plain": {"example": "t"}, "application/problem+json": {"example": {}}},
            "application/problem+json",
            id="plus-json",
        ),
        pytest.param(
            {"text/csv": {"example": "a,b"}, "text/plain": {"example": "t"}},
            "text/csv",
            id="else-first",
        ),
        pytest.param(
            {"Application/JSON; charset=utf-8": {"example": {}}},
            "Application/JSON; charset=utf-8",
            id="parameters",
        ),
    ],
)
def test_media_type_choice(content, expected):
    assert choose_example(op({"200": {"content": content}})).media_type == expected


# --- choosing the body -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("media", "expected"),
    [
        pytest.param(
            {
                "examples": {"first": {"value": 1}, "second": {"value": 2}},
                "example": 3,
                "schema": {"example": 4},
            },
            1,
            id="first-named",
        ),
        pytest.param(
            {"examples": {"ext": {"externalValue": "x.json"}, "ok": {"value": 2}}},
            2,
            id="skips-external",
        ),
        pytest.param({"example": 3, "schema": {"example": 4}}, 3, id="media-example"),
        pytest.param({"example": None}, None, id="null-example"),
        pytest.param({"schema": {"type": "integer", "example": 4}}, 4, id="schema-example"),
        pytest.param({"schema": {"type": "integer", "default": 5}}, 5, id="schema-default"),
    ],
)
def test_body_choice(media, expected):
    assert choose_example(op({"200": json_response(**media)})).body == expected


def test_named_example_with_only_an_external_value():
    media = {"examples": {"ext": {"externalValue": "https://example.com/x.json"}}}
    with pytest.raises(NoExample, match="example 'ext' has no inline value"):
        choose_example(op({"200": json_response(**media)}), name="ext")


def test_a_name_on_a_bodiless_response():
    with pytest.raises(NoExample, match="doThing response 204 has no body, so no example 'x'"):
        choose_example(op({"204": {"description": "gone"}}), name="x")


def test_a_name_where_there_are_no_named_examples():
    with pytest.raises(NoExample, match=r"no example named 'x'; available: none$"):
        choose_example(op({"200": json_response(example=1)}), name="x")


# --- building from the schema ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param(ERROR, {"statusCode": 400, "error": "validation_error"}, id="properties"),
        pytest.param(
            {
                "type": "object",
                "required": ["a"],
                "properties": {
                    "a": {"type": "string", "enum": ["x", "y"]},
                    "b": {"type": "string"},
                },
            },
            {"a": "x"},
            id="enum-first-optional-skipped",
        ),
        pytest.param(
            {"type": "array", "items": {"type": "integer", "example": 7}}, [7], id="array-of-one"
        ),
        pytest.param(
            {"type": "array", "minItems": 2, "items": {"type": "integer", "example": 7}},
            [7, 7],
            id="array-min-items",
        ),
        pytest.param(
            {
                "type": "object",
                "required": ["inner", "maybe", "list"],
                "properties": {
                    "inner": {
                        "type": "object",
                        "properties": {"n": {"type": "integer", "default": 1}},
                    },
                    "maybe": {"type": "string", "nullable": True},
                    "list": {"type": "array", "items": {"type": "string"}},
                },
            },
            {"inner": {"n": 1}, "maybe": None, "list": []},
            id="nested-null-and-empty-list-fallbacks",
        ),
        pytest.param(
            {"type": "string", "nullable": True, "example": "s"},
            "s",
            id="null-only-if-nothing-else",
        ),
        pytest.param(
            {"allOf": [ERROR, {"properties": {"statusCode": {"type": "integer", "enum": [404]}}}]},
            {"statusCode": 404, "error": "validation_error"},
            id="all-of-later-part-wins",
        ),
        pytest.param(
            {"allOf": [ERROR], "example": {"statusCode": 418, "error": "teapot"}},
            {"statusCode": 418, "error": "teapot"},
            id="all-of-own-example-first",
        ),
        pytest.param(
            {"oneOf": [{"type": "string"}, {"type": "integer", "example": 3}]}, 3, id="one-of-first"
        ),
        pytest.param({"type": "object", "additionalProperties": True}, {}, id="free-form-object"),
        pytest.param(
            {
                "type": "object",
                "required": ["a"],
                "properties": {
                    "a": {"type": "integer", "example": 1},
                    "secret": {"type": "string", "writeOnly": True, "example": "pw"},
                },
            },
            {"a": 1},
            id="write-only-left-out",
        ),
    ],
)
def test_built_from_the_schema(schema, expected):
    body = body_of(schema)
    assert body == expected
    validator = OAS30ReadValidator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
    assert not list(validator.iter_errors(body))


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "string"}, id="bare-string"),
        pytest.param({}, id="empty-schema"),
        pytest.param(
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}},
            id="required-without-value",
        ),
        pytest.param({"type": "object", "required": ["a"]}, id="required-undescribed"),
        pytest.param(
            {"type": "object", "properties": {"a": {"type": "integer"}}}, id="nothing-to-show"
        ),
        pytest.param({"type": "array", "items": {"type": "string"}}, id="array-of-unknown"),
        pytest.param({"allOf": [ERROR, {"type": "object", "required": ["x"]}]}, id="all-of-part"),
        pytest.param({"anyOf": [{"type": "string"}, {"type": "integer"}]}, id="any-of-nothing"),
    ],
)
def test_nothing_to_build_from(schema):
    with pytest.raises(NoExample, match=r"has no example, and its schema holds too few"):
        body_of(schema)


def test_message_for_a_schema_without_values_says_what_to_do():
    with pytest.raises(NoExample) as caught:
        body_of({"type": "string"})
    assert str(caught.value) == (
        "doThing response 200 (application/json) has no example, and its schema holds too few "
        "example/default/enum values to build one; add a named example to the spec, write a "
        "handler, or use Prefer: dynamic=true"
    )


# --- headers ---------------------------------------------------------------------------------


def test_required_headers_with_examples():
    headers = {
        "X-Request-Id": {"required": True, "schema": {"type": "string"}, "example": "req-1"},
        "X-Count": {"required": True, "schema": {"type": "integer", "example": 3}},
        "X-Flag": {"required": True, "schema": {"type": "boolean"}, "example": False},
        "X-List": {"required": True, "schema": {"type": "array"}, "example": [1, "b"]},
        "X-Named": {"required": True, "examples": {"one": {"value": "n1"}}},
        "X-Default": {"required": True, "schema": {"type": "string", "default": "d"}},
        "Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 0}},
        "ETag": {"required": False, "schema": {"type": "string"}, "example": '"abc"'},
        "Content-Length": {"required": True, "schema": {"type": "integer"}, "example": 10},
        "Content-Type": {"required": True, "schema": {"type": "string"}, "example": "a/b"},
    }
    response = json_response(example={}) | {"headers": headers}
    assert choose_example(op({"200": response})).headers == {
        "X-Request-Id": "req-1",
        "X-Count": "3",
        "X-Flag": "false",
        "X-List": "1,b",
        "X-Named": "n1",
        "X-Default": "d",
    }


def test_choice_is_not_affected_by_later_mutation_of_the_operation():
    operation = op({"200": json_response(example={"a": [1]})})
    before = copy.deepcopy(operation)
    choose_example(operation).body["a"].append(2)
    assert operation == before
