"""What a parsed JSON request body must hold to be stored and served back: the one place that
decides it.

Python's ``json`` reads more than a mock can keep: an unpaired UTF-16 surrogate (``"\\ud800"``)
becomes a ``str`` no UTF-8 encoder takes (the response, the state file), an integer literal of
any length becomes an ``int`` (past 4,300 digits Python refuses to convert it at all), ``1e400``
becomes infinity, and nesting is limited only by the interpreter's stack. The APIs' own servers
are JavaScript (AgentLens' Hono, state-tracking's NestJS) or Python, so the common ground is a
JavaScript number: an IEEE-754 double, up to ±1.8e308. Nesting stops at ``MAX_DEPTH`` levels,
Ruby's ``JSON.parse`` default (``max_nesting``), the root being level 1.

Checked after parsing, in one walk that takes about as long as the parse (1.5 µs for a small
body). The limits are declared in every spec's ``x-mockgate-limits`` (``json_depth``,
``json_number_max``).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_DEPTH", "MAX_NUMBER", "Problem", "Unstorable", "decode", "problem"]

MAX_DEPTH = 100
MAX_NUMBER = sys.float_info.max
_MAX_INT = int(MAX_NUMBER)
_RANGE = "numbers up to ±1.8e308, the range of a JSON number as JavaScript reads it"
_SURROGATE = re.compile("[\ud800-\udfff]")
# Past any integer in range (309 digits, a sign): read as a marker, not converted.
_LONGEST_INT_LITERAL = 310


@dataclass(frozen=True)
class Problem:
    """The first value of a document that cannot be stored: where (``body.events.0.payload``)
    and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        what, _, why = self.reason.partition(": ")
        return f"{what} at {self.path}: {why}" if why else f"{what} at {self.path}"


class Unstorable(ValueError):
    """A document holding a value that cannot be stored and served back."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def decode(text: str, decoder: json.JSONDecoder, root: str = "body") -> Any:
    """``text`` decoded by ``decoder``, checked; raises ``json.JSONDecodeError`` for what is not
    JSON and ``Unstorable`` for what cannot be stored (``root`` names the document in paths)."""
    try:
        try:
            value = decoder.decode(text)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer literal past Python's 4,300 digits: find it, and where
            lenient = json.JSONDecoder(parse_constant=decoder.parse_constant, parse_int=_parse_int)
            value = lenient.decode(text)
    except RecursionError:  # deeper than the decoder's stack, so far beyond MAX_DEPTH
        raise Unstorable(Problem(root, _too_deep())) from None
    found = problem(value, root)
    if found is not None:
        raise Unstorable(found)
    return value


def problem(value: Any, root: str = "body") -> Problem | None:
    """The first value in ``value`` that cannot be stored and served back, or None."""
    found = _walk([value], 0)
    if found is None:
        return None
    reason, reversed_path = found
    segments = map(str, reversed(reversed_path[:-1]))  # without the wrapping list's index
    return Problem(".".join([root, *segments]), reason)


def _walk(container: dict[str, Any] | list[Any], depth: int) -> tuple[str, list[Any]] | None:
    """The reason and the path (innermost first) of the first problem in ``container``.

    On the hot path of every body: checks inline, no call per scalar, no path built unless
    something is wrong; recursion bounded by ``MAX_DEPTH``."""
    if depth > MAX_DEPTH:
        return _too_deep(), []
    if type(container) is dict:
        for key in container:
            if not key.isascii() and _SURROGATE.search(key):
                # The path names the key by its escape: the key itself cannot be sent.
                return f"{_surrogate(key)} (in a key)", [_escaped(key)]
        items: Any = container.items()
    else:
        items = enumerate(container)
    for key, item in items:
        kind = type(item)
        if kind is str:
            if not item.isascii() and _SURROGATE.search(item):
                return _surrogate(item), [key]
        elif kind is dict or kind is list:
            found = _walk(item, depth + 1)
            if found is not None:
                found[1].append(key)
                return found
        elif kind is int:
            if not -_MAX_INT <= item <= _MAX_INT:
                return _out_of_range(_digits(item)), [key]
        elif kind is float:
            if not -MAX_NUMBER <= item <= MAX_NUMBER:  # infinite (NaN is not JSON)
                return f"number out of range: {_RANGE}", [key]
        elif kind is _LongLiteral:
            return _out_of_range(item.digits), [key]
    return None


def _out_of_range(digits: int | str) -> str:
    return f"{digits}-digit integer: out of range ({_RANGE})"


def _digits(number: int) -> int | str:
    try:
        return len(str(abs(number)))
    except ValueError:  # past Python's own limit (only from a caller's int, never from JSON)
        return f"{sys.get_int_max_str_digits()}+"


def _surrogate(text: str) -> str:
    match = _SURROGATE.search(text)
    assert match is not None
    return f"unpaired UTF-16 surrogate \\u{ord(match.group()):04x}: not representable in UTF-8"


def _escaped(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _too_deep() -> str:
    return f"nesting too deep: at most {MAX_DEPTH} levels of arrays and objects"


@dataclass(frozen=True)
class _LongLiteral:
    """An integer literal too long to be in range, kept unconverted to be reported."""

    digits: int


def _parse_int(literal: str) -> int | _LongLiteral:
    if len(literal) > _LONGEST_INT_LITERAL:
        return _LongLiteral(len(literal.lstrip("-")))
    return int(literal)
