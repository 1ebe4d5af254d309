"""JavaScript's ``JSON.stringify``, byte for byte, for JSON values held in Python.

AgentLens hashes ``JSON.stringify(...)`` of each event, so a mock that recomputes those hashes must
serialise exactly as V8 does. ``json.dumps`` differs in four places that matter here:

- numbers: JS prints every number as a double in its shortest round-trip form (``1.0`` → ``1``,
  ``1e21`` → ``1e+21``, ``1e-7`` → ``1e-7``), and an integer beyond 2**53 is first rounded to the
  nearest double, as ``JSON.parse`` on the client would have done;
- key order: a JS object lists its array-index keys (``"0"``, ``"10"``, up to ``2**32 - 2``) first,
  ascending, and only then the other keys in insertion order;
- strings: only ``"``, ``\\`` and control characters are escaped; everything else, non-ASCII
  included, is written raw, except lone surrogates (ES2019 "well-formed JSON.stringify");
- ``NaN`` and the infinities become ``null``.

A Python ``str`` holding a high surrogate followed by a low one (``"\\ud83d\\ude00"`` written in
Python) is one astral character in JavaScript's UTF-16 strings, so it is written as that character.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["stringify"]

_MAX_ARRAY_INDEX = 2**32 - 2
_INDEX_KEY = re.compile(r"0|[1-9][0-9]{0,9}")

_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
# Group 1: a surrogate pair (one astral character in UTF-16); group 2: anything to escape.
_NEEDS_WORK = re.compile('([\ud800-\udbff][\udc00-\udfff])|([\x00-\x1f"\\\\\ud800-\udfff])')


def stringify(value: Any) -> str:
    """``JSON.stringify(value)`` as Node.js would return it (no indentation argument).

    Accepts ``dict`` (string keys), ``list``/``tuple``, ``str``, ``int``, ``float``, ``bool`` and
    ``None``; anything else raises ``TypeError`` rather than guessing at a JS counterpart.
    """
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    # bool before int: True is an int in Python but a boolean in JSON.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        out.append(_integer(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, Mapping):
        _write_object(value, out)
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")


def _write_object(obj: Mapping[Any, Any], out: list[str]) -> None:
    for key in obj:
        if not isinstance(key, str):
            raise TypeError(f"object keys must be str, not {type(key).__name__}")
    indices = sorted((k for k in obj if _is_array_index(k)), key=int)
    others = [k for k in obj if not _is_array_index(k)]
    out.append("{")
    for i, key in enumerate(indices + others):
        if i:
            out.append(",")
        out.append(_string(key))
        out.append(":")
        _write(obj[key], out)
    out.append("}")


def _is_array_index(key: str) -> bool:
    # Canonical decimal only: "01" and "-1" are ordinary keys in JS, as is 2**32 - 1.
    return _INDEX_KEY.fullmatch(key) is not None and int(key) <= _MAX_ARRAY_INDEX


def _string(s: str) -> str:
    return '"' + _NEEDS_WORK.sub(_escape, s) + '"'


def _escape(match: re.Match[str]) -> str:
    pair = match.group(1)
    if pair is not None:
        high, low = ord(pair[0]), ord(pair[1])
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    char = match.group(2)
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _integer(n: int) -> str:
    try:
        # int -> float rounds to nearest (ties to even), exactly as JS parses the literal.
        return _number(float(n))
    except OverflowError:
        return "null"  # JS parses such a literal to ±Infinity, which stringifies as null.


def _number(x: float) -> str:
    if not math.isfinite(x):
        return "null"
    if x == 0:
        return "0"  # Covers -0.0: Number::toString(-0) is "0".
    if x < 0:
        return "-" + _number(-x)
    digits, n = _shortest_digits(x)
    k = len(digits)
    # ECMA-262 Number::toString: value = 0.d1d2...dk * 10**n.
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    exponent = n - 1
    sign = "+" if exponent >= 0 else "-"
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{sign}{abs(exponent)}"


def _shortest_digits(x: float) -> tuple[str, int]:
    """The shortest round-trip significand digits of positive ``x`` and its decimal exponent ``n``.

    ``repr`` already yields the shortest digits that round-trip (the same requirement JS puts on
    Number::toString); only their layout differs, so this just takes ``repr`` apart.
    """
    mantissa, _, exp = repr(x).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    n = len(whole) + (int(exp) if exp else 0)
    significant = digits.lstrip("0")
    n -= len(digits) - len(significant)
    return significant.rstrip("0"), n
