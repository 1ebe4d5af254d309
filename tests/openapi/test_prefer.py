"""The Prefer header: Prism's preferences, RFC 7240's leniency, actionable errors."""

from __future__ import annotations

import pytest

from mockgate.openapi.prefer import MAX_DELAY_MS, Preferences, PreferError, parse_prefer


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param([], Preferences(), id="no-header"),
        pytest.param([""], Preferences(), id="empty-header"),
        pytest.param(["code=503"], Preferences(code=503), id="code"),
        pytest.param(
            ["code=404, example=failed-session"],
            Preferences(code=404, example="failed-session"),
            id="comma-separated",
        ),
        pytest.param(
            ["code=404", "example=failed-session", "dynamic=true", "delay=250"],
            Preferences(code=404, example="failed-session", dynamic=True, delay_ms=250),
            id="several-headers",
        ),
        pytest.param(
            ["  CODE = 201 ,\tExample=documented  ,  DELAY=0 "],
            Preferences(code=201, example="documented", delay_ms=0),
            id="whitespace-and-case",
        ),
        pytest.param(
            ['example="failed-session"'], Preferences(example="failed-session"), id="quoted"
        ),
        pytest.param(
            ['example="a, b; c", code=200'],
            Preferences(code=200, example="a, b; c"),
            id="separators-inside-quotes",
        ),
        pytest.param(
            [r'example="say \"hi\""'], Preferences(example='say "hi"'), id="escaped-quote"
        ),
        pytest.param(["code=404; example=x"], Preferences(code=404, example="x"), id="semicolons"),
        pytest.param(["dynamic=TRUE"], Preferences(dynamic=True), id="dynamic-upper"),
        pytest.param(["dynamic=false"], Preferences(dynamic=False), id="dynamic-false"),
        pytest.param(["dynamic"], Preferences(dynamic=True), id="dynamic-bare"),
        pytest.param(
            ["respond-async, wait=100, return=minimal, handling=lenient, code=200"],
            Preferences(code=200),
            id="unknown-ignored",
        ),
        pytest.param(["wait=abc, foo"], Preferences(), id="unknown-values-not-checked"),
        pytest.param(["code=404", "code=abc"], Preferences(code=404), id="first-wins"),
        pytest.param([",, ;code=500,,"], Preferences(code=500), id="empty-elements"),
        pytest.param([f"delay={MAX_DELAY_MS}"], Preferences(delay_ms=MAX_DELAY_MS), id="max-delay"),
        pytest.param(["code=100", "x"], Preferences(code=100), id="lowest-code"),
        pytest.param(["code=599"], Preferences(code=599), id="highest-code"),
    ],
)
def test_parses(headers, expected):
    assert parse_prefer(headers) == expected


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param(
            "code=abc", "Prefer code=abc: expected an HTTP status 100-599", id="code-text"
        ),
        pytest.param("code=99", "Prefer code=99: expected an HTTP status 100-599", id="code-low"),
        pytest.param(
            "code=600", "Prefer code=600: expected an HTTP status 100-599", id="code-high"
        ),
        pytest.param("code=404.0", "Prefer code=404.0: expected", id="code-float"),
        pytest.param("code=+404", "Prefer code=+404: expected", id="code-sign"),
        pytest.param("code=" + "9" * 5000, f"Prefer code={'9' * 40}…: expected", id="clipped"),
        pytest.param("code", "Prefer code: expected an HTTP status", id="code-bare"),
        pytest.param("code=", "Prefer code=: expected an HTTP status", id="code-empty"),
        pytest.param("delay=-1", "Prefer delay=-1: expected whole milliseconds 0-60000", id="neg"),
        pytest.param("delay=abc", "Prefer delay=abc: expected whole milliseconds", id="delay-text"),
        pytest.param("delay=60001", "Prefer delay=60001: expected whole milliseconds", id="long"),
        pytest.param("delay=250ms", "Prefer delay=250ms: expected whole milliseconds", id="unit"),
        pytest.param("dynamic=yes", "Prefer dynamic=yes: expected true or false", id="dynamic"),
        pytest.param("example=", "Prefer example=: expected an example name", id="example-empty"),
        pytest.param(
            'example=""', "Prefer example=: expected an example name", id="example-quotes"
        ),
    ],
)
def test_rejects_values_it_cannot_honour(header, message):
    with pytest.raises(PreferError, match="^" + message.replace("+", r"\+")):
        parse_prefer([header])


def test_prefer_error_is_a_value_error():
    with pytest.raises(ValueError, match="code=abc"):
        parse_prefer(["code=abc"])


def test_accepts_any_iterable_of_headers():
    assert parse_prefer(h for h in ("code=418",)) == Preferences(code=418)
