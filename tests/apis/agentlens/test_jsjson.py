"""``stringify`` against ``JSON.stringify``: every rule by example, then Node.js as the oracle."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockgate.apis.agentlens.jsjson import stringify


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, "null", id="null"),
        pytest.param(True, "true", id="true-is-not-1"),
        pytest.param(False, "false", id="false-is-not-0"),
        pytest.param([], "[]", id="empty-array"),
        pytest.param({}, "{}", id="empty-object"),
        pytest.param(
            {"a": [1, {"b": None}, "x"], "c": True},
            '{"a":[1,{"b":null},"x"],"c":true}',
            id="nested",
        ),
        pytest.param((1, 2), "[1,2]", id="tuple-is-an-array"),
    ],
)
def test_structure_has_no_whitespace(value, expected):
    assert stringify(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(0, "0", id="zero"),
        pytest.param(-5, "-5", id="negative-int"),
        pytest.param(1.0, "1", id="integral-float-as-int"),
        pytest.param(-0.0, "0", id="negative-zero"),
        pytest.param(100.0, "100", id="integral-float-trailing-zeros"),
        pytest.param(0.1, "0.1", id="shortest-round-trip"),
        pytest.param(0.1 + 0.2, "0.30000000000000004", id="round-trip-not-rounded"),
        pytest.param(123.456, "123.456", id="fraction"),
        pytest.param(-1.5, "-1.5", id="negative-fraction"),
        pytest.param(1e-6, "0.000001", id="1e-6-is-plain"),
        pytest.param(1.234e-6, "0.000001234", id="small-plain"),
        pytest.param(1e-7, "1e-7", id="1e-7-is-exponent"),
        pytest.param(1.234e-7, "1.234e-7", id="small-exponent-with-fraction"),
        pytest.param(1e20, "100000000000000000000", id="1e20-is-plain"),
        pytest.param(1e21, "1e+21", id="1e21-is-exponent"),
        pytest.param(1.5e300, "1.5e+300", id="large-exponent"),
        pytest.param(123e-20, "1.23e-18", id="exponent-normalised"),
        pytest.param(5e-324, "5e-324", id="smallest-subnormal"),
        pytest.param(1.7976931348623157e308, "1.7976931348623157e+308", id="largest-double"),
        pytest.param(2**53, "9007199254740992", id="int-2-53"),
        pytest.param(2**53 + 1, "9007199254740992", id="int-beyond-2-53-rounds-to-even"),
        pytest.param(-(2**53 + 3), "-9007199254740996", id="negative-int-rounds"),
        pytest.param(2**64, "18446744073709552000", id="int-2-64"),
        pytest.param(10**21, "1e+21", id="int-1e21-is-exponent"),
        pytest.param(10**400, "null", id="int-overflows-to-infinity"),
        pytest.param(float("nan"), "null", id="nan"),
        pytest.param(float("inf"), "null", id="infinity"),
        pytest.param(float("-inf"), "null", id="negative-infinity"),
    ],
)
def test_numbers_follow_number_to_string(value, expected):
    assert stringify(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({"b": 1, "a": 2}, '{"b":1,"a":2}', id="insertion-order"),
        pytest.param(
            {"b": 1, "10": 2, "2": 3, "0": 4}, '{"0":4,"2":3,"10":2,"b":1}', id="indices-first"
        ),
        pytest.param({"01": 1, "1": 2}, '{"1":2,"01":1}', id="leading-zero-is-a-name"),
        pytest.param({"-1": 1, "1": 2}, '{"1":2,"-1":1}', id="negative-is-a-name"),
        pytest.param({"-0": 1, "0": 2}, '{"0":2,"-0":1}', id="minus-zero-is-a-name"),
        pytest.param({"1.0": 1, "1": 2}, '{"1":2,"1.0":1}', id="decimal-is-a-name"),
        pytest.param({"\u0661": 1, "1": 2}, '{"1":2,"\u0661":1}', id="non-ascii-digit-is-a-name"),
        pytest.param(
            {"4294967295": 1, "4294967294": 2}, '{"4294967294":2,"4294967295":1}', id="max-index"
        ),
        pytest.param(
            {"x": {"b": 0, "3": 1}}, '{"x":{"3":1,"b":0}}', id="nested-objects-reordered-too"
        ),
    ],
)
def test_array_index_keys_come_first(value, expected):
    assert stringify(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param('say "hi"', r'"say \"hi\""', id="quote"),
        pytest.param("a\\b", r'"a\\b"', id="backslash"),
        pytest.param("\b\f\n\r\t", r'"\b\f\n\r\t"', id="short-escapes"),
        pytest.param("\x00\x1f", r'"\u0000\u001f"', id="other-controls-lowercase-hex"),
        pytest.param("\x0b", r'"\u000b"', id="vertical-tab-has-no-short-escape"),
        pytest.param("\x7f/", '"\x7f/"', id="del-and-slash-raw"),
        pytest.param("é€😀", '"é€😀"', id="non-ascii-raw"),
        pytest.param("\u2028\u2029", '"\u2028\u2029"', id="line-separators-raw"),
        pytest.param("\ud800", r'"\ud800"', id="lone-high-surrogate"),
        pytest.param("x\udfffy", r'"x\udfffy"', id="lone-low-surrogate"),
        pytest.param("\ud83d\ude00", '"😀"', id="surrogate-pair-is-one-character"),
        pytest.param("\ude00\ud83d", r'"\ude00\ud83d"', id="reversed-pair-is-two-lone"),
        pytest.param({"\n": "\ud800"}, r'{"\n":"\ud800"}', id="keys-escaped-too"),
    ],
)
def test_strings_escape_only_what_js_escapes(value, expected):
    assert stringify(value) == expected


def test_output_is_always_encodable_as_utf8():
    assert stringify(["\ud800", "😀"]).encode("utf-8") == b'["\\ud800","\xf0\x9f\x98\x80"]'


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({1: "a"}, id="int-key"),
        pytest.param({1, 2}, id="set"),
        pytest.param(b"bytes", id="bytes"),
        pytest.param([object()], id="nested-object"),
    ],
)
def test_non_json_values_are_rejected(value):
    with pytest.raises(TypeError):
        stringify(value)


# --- Node.js as the oracle (the session-wide `node` fixture, conftest.py) -------------------

_text = st.text(
    st.one_of(
        st.characters(),
        st.characters(max_codepoint=0x1F),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
        st.sampled_from('"\\/\u2028\x7f'),
    ),
    max_size=8,
)
_keys = st.one_of(
    _text,
    st.integers(0, 2**32).map(str),
    st.sampled_from(["01", "-1", "-0", "00", "1.0", "1e3", "4294967294", "4294967295"]),
)
_numbers = st.one_of(
    st.integers(),
    st.integers(2**53 - 4, 2**53 + 4),
    st.integers(-(2**80), 2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=1e-8, max_value=1e-5),
    st.floats(min_value=1e19, max_value=1e23),
    st.sampled_from([1e21, 1e-7, 1e-6, 9.999999999999999e20, 123456789012345680000.0]),
)
_values = st.recursive(
    st.none() | st.booleans() | _numbers | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=12,
)
_oracle_settings = settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_oracle_settings
@given(value=_values)
def test_matches_node_for_json_values(node, value):
    assert stringify(value).encode("utf-8") == node.stringify(value)


@_oracle_settings
@given(number=_numbers)
def test_matches_node_for_numbers(node, number):
    assert stringify(number).encode("utf-8") == node.stringify(number)
