"""What a JSON body must hold to be stored and served back (``openapi.jsonlimits``), and the
body rule that applies it (``openapi.bodies``): the limits, their edges, the paths named."""

from __future__ import annotations

import json

import pytest

from mockgate.core.errors import MockError
from mockgate.openapi.bodies import BodyRule
from mockgate.openapi.jsonlimits import MAX_DEPTH, MAX_NUMBER, Unstorable, decode, problem

DECODER = json.JSONDecoder()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"a": "text", "b": [1, 2.5, True, None]}, id="plain"),
        pytest.param("\U0001f600 é", id="astral-and-accented"),
        pytest.param(int(MAX_NUMBER), id="largest-double-as-integer"),
        pytest.param(-int(MAX_NUMBER), id="its-negative"),
        pytest.param(MAX_NUMBER, id="largest-double"),
        pytest.param(json.loads(nested(MAX_DEPTH)), id="nested-to-the-limit"),
        pytest.param(10**18, id="past-64-bits"),
    ],
)
def test_what_can_be_stored(value):
    assert problem(value) is None


@pytest.mark.parametrize(
    ("value", "path", "reason"),
    [
        pytest.param(
            {"a": ["ok", "x\ud800"]},
            "body.a.1",
            "unpaired UTF-16 surrogate \\ud800: not representable in UTF-8",
            id="lone-high-surrogate",
        ),
        pytest.param(
            "\udc00\ud83d",
            "body",
            "unpaired UTF-16 surrogate \\udc00: not representable in UTF-8",
            id="reversed-pair",
        ),
        pytest.param(
            {"a": {"k\udfff": 1}},
            "body.a.k\\udfff",
            "unpaired UTF-16 surrogate \\udfff: not representable in UTF-8 (in a key)",
            id="in-a-key",
        ),
        pytest.param(
            {"n": int(MAX_NUMBER) + 1},
            "body.n",
            "309-digit integer: out of range (numbers up to ±1.8e308, the range of a JSON "
            "number as JavaScript reads it)",
            id="past-the-largest-double",
        ),
        pytest.param([-(10**400)], "body.0", "401-digit integer", id="negative"),
        pytest.param([float("inf")], "body.0", "number out of range", id="infinity"),
        pytest.param(10**5000, "body", "4300+-digit integer", id="past-pythons-own-limit"),
        pytest.param(
            {"a": json.loads(nested(MAX_DEPTH))},
            "body.a" + ".0" * (MAX_DEPTH - 1),
            f"nesting too deep: at most {MAX_DEPTH} levels",
            id="one-level-too-deep",
        ),
    ],
)
def test_what_cannot_be_stored_is_named_with_its_path(value, path, reason):
    found = problem(value)
    assert found is not None
    assert found.path == path
    assert found.reason.startswith(reason)


def test_the_message_puts_the_path_after_what_is_wrong():
    found = problem({"x": "\ud800"}, root="state")
    assert str(found) == "unpaired UTF-16 surrogate \\ud800 at state.x: not representable in UTF-8"


@pytest.mark.parametrize(
    ("text", "path", "reason"),
    [
        pytest.param('{"a": "\\ud800"}', "body.a", "unpaired UTF-16", id="escaped-surrogate"),
        # Python's int() refuses more than 4,300 digits: found before, with its path.
        pytest.param('{"a": [' + "9" * 5000 + "]}", "body.a.0", "5000-digit", id="5000-digits"),
        pytest.param('{"a": -' + "9" * 5000 + "}", "body.a", "5000-digit", id="5000-negative"),
        pytest.param("[1e400]", "body.0", "number out of range", id="1e400"),
        pytest.param(nested(50_000), "body", "nesting too deep", id="past-the-parsers-stack"),
    ],
)
def test_decode_refuses_what_the_parser_reads_but_cannot_be_kept(text, path, reason):
    with pytest.raises(Unstorable) as refused:
        decode(text, DECODER)
    assert (refused.value.problem.path, refused.value.problem.reason[: len(reason)]) == (
        path,
        reason,
    )


def test_decode_leaves_what_is_not_json_to_the_json_error():
    with pytest.raises(json.JSONDecodeError):
        decode('{"a": ' + "9" * 5000, DECODER)


def test_decode_keeps_the_largest_integer_in_range_exactly():
    text = '{"n": -' + str(int(MAX_NUMBER)) + "}"
    assert decode(text, DECODER) == {"n": -int(MAX_NUMBER)}


def test_a_body_rule_refuses_with_a_400_naming_the_path():
    rule = BodyRule(True, ("application/json",), {"type": "object"})
    with pytest.raises(MockError) as refused:
        rule.read("application/json", b'{"events": [{"payload": {"x": "\\ud800"}}]}')
    error = refused.value.error
    assert error.status == 400
    assert error.message.startswith("Request body cannot be stored: unpaired UTF-16")
    assert [(d.path, d.message[:25]) for d in error.details] == [
        ("body.events.0.payload.x", "unpaired UTF-16 surrogate")
    ]
