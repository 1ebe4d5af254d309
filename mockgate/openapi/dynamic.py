"""Schema-generated values: ``Prefer: dynamic=true`` (Prism's dynamic mode), seeded.

Examples show one fixed answer; a frontend also has to cope with every answer the contract
allows (optional fields missing, nulls, long lists, other enum values). ``generate`` produces a
value that is valid against a resolved OpenAPI 3.0 schema, different per seed and the same for
the same seed, so a failing screen can be reproduced.

Values are generated for responses (the read direction): ``writeOnly`` properties are left out,
as a server never sends them, and ``readOnly`` ones are generated like any other. ``format:
binary`` has no JSON value: it yields ``None`` (optional binary properties are left out) and the
caller serves bytes instead. ``oneOf`` picks one option without checking that the value matches
no other (no bundled spec uses ``oneOf``; a validator in the generator would cost more than it
saves).
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import math
import random
import re
import string
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeGuard

from mockgate.core.timestamps import format_timestamp

if TYPE_CHECKING:
    # typeshed types the stdlib's regex parser under its old name; since 3.11 ``sre_parse`` is a
    # deprecated alias of ``re._parser`` (importing it warns), so only the type checker reads it.
    import sre_parse as _regex_parser

    from faker import Faker
else:
    import re._parser as _regex_parser  # the stdlib's own regex parser (as exrex and rstr do)

__all__ = ["generate", "merge_all_of"]

_MAX_DEPTH = 8  # beyond this, only what the schema requires (keeps nested schemas finite)
_ARRAY_CAP = 5  # items in an array without maxItems (or a larger one)
_TEXT_CAP = 16  # characters of a free text without maxLength (or a larger one)
_SPAN = 1000  # width of a number range with an open end
_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)  # dates fall within a year either side
_WORDS = ("alpha", "bravo", "delta", "echo", "kilo", "lima", "nova", "orbit", "pixel", "quartz")
_ALPHABET = string.ascii_letters + string.digits + "-_.:/ "  # what pattern classes pick from
_INT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def generate(schema: Mapping[str, Any], *, rng: random.Random, faker: Faker | None = None) -> Any:
    """A value valid against ``schema`` (resolved: no ``$ref``), drawn with ``rng``.

    ``faker``, when given, supplies readable words, emails and URLs; seed it too
    (``Faker.seed_instance``) for the whole value to repeat. Raises ``ValueError`` for a schema
    no value can be generated for (e.g. an empty range, or a pattern beyond the simple
    generator), naming the keyword.
    """
    return _Generator(rng, faker).value(schema, depth=0)


def merge_all_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``allOf`` folded into one schema that every value of it satisfies.

    Properties and ``required`` are united, same-named properties merged, bounds tightened and
    enums intersected; for other keywords the schema's own value wins over its parts, and a
    later part over an earlier one. (``nullable`` is dropped: under ``allOf`` null is only
    valid when every part allows it, and a generator need not produce it.)
    """
    parts = [merge_all_of(part) for part in schema.get("allOf", ())]
    merged: dict[str, Any] = {}
    for part in [*parts, {k: v for k, v in schema.items() if k != "allOf"}]:
        merged = _merge(merged, part)
    if parts:
        merged.pop("nullable", None)
    return merged


_LOWER_BOUNDS = {"minimum", "minLength", "minItems", "minProperties"}
_UPPER_BOUNDS = {"maximum", "maxLength", "maxItems", "maxProperties"}


def _merge(base: Mapping[str, Any], part: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in part.items():
        if key not in merged:
            merged[key] = value
        elif key == "properties":
            merged[key] = {
                name: merge_all_of({"allOf": [merged[key][name], sub]})
                if name in merged[key]
                else sub
                for name, sub in {**merged[key], **value}.items()
            }
        elif key == "items":
            merged[key] = merge_all_of({"allOf": [merged[key], value]})
        elif key == "required":
            merged[key] = list(dict.fromkeys([*merged[key], *value]))
        elif key == "enum":
            merged[key] = [v for v in merged[key] if v in value]
        elif key in _LOWER_BOUNDS:
            merged[key] = max(merged[key], value)
        elif key in _UPPER_BOUNDS:
            merged[key] = min(merged[key], value)
        else:
            merged[key] = value
    return merged


class _Generator:
    def __init__(self, rng: random.Random, faker: Faker | None) -> None:
        self.rng = rng
        self.faker = faker

    def value(self, schema: Mapping[str, Any], *, depth: int, null_ok: bool = True) -> Any:
        if "allOf" in schema:
            return self.value(merge_all_of(schema), depth=depth, null_ok=False)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                rest = {k: v for k, v in schema.items() if k != key}
                chosen = {"allOf": [rest, self.rng.choice(schema[key])]}
                return self.value(merge_all_of(chosen), depth=depth, null_ok=False)
        enum = schema.get("enum")
        nullable = null_ok and schema.get("nullable") and (enum is None or None in enum)
        if nullable and self.rng.random() < 0.2:
            return None
        if enum is not None:
            choices = [v for v in enum if v is not None]
            if not choices:
                raise ValueError(f"enum {enum!r}: no value to choose")
            return copy.deepcopy(self.rng.choice(choices))
        kind = _type_of(schema)
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            return self.array(schema, depth)
        if kind in ("integer", "number"):
            return self.number(schema, integer=kind == "integer")
        if kind == "boolean":
            return self.rng.random() < 0.5
        return self.string(schema)

    def object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        required = set(schema.get("required", ()))
        properties = schema.get("properties", {})
        made: dict[str, Any] = {}
        for name, sub in properties.items():
            if sub.get("writeOnly"):
                continue
            optional = name not in required
            if optional and (sub.get("format") == "binary" or depth >= _MAX_DEPTH):
                continue
            if optional and self.rng.random() < 0.5:
                continue
            made[name] = self.value(sub, depth=depth + 1)
        extra = schema.get("additionalProperties")
        for name in sorted(required - properties.keys()):  # required, but described nowhere
            made[name] = self.value(extra if isinstance(extra, Mapping) else {}, depth=depth + 1)
        return made

    def array(self, schema: Mapping[str, Any], depth: int) -> list[Any]:
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", math.inf), max(low, _ARRAY_CAP))
        count = low if depth >= _MAX_DEPTH else self.rng.randint(low, int(high))
        items = schema.get("items", {})
        made: list[Any] = []
        for _ in range(count * 10 if schema.get("uniqueItems") else count):
            if len(made) == count:
                break
            item = self.value(items, depth=depth + 1)
            if not schema.get("uniqueItems") or item not in made:
                made.append(item)
        if len(made) < low:
            raise ValueError(
                f"uniqueItems with minItems {low}: the items schema has too few values"
            )
        return made

    def number(self, schema: Mapping[str, Any], *, integer: bool) -> int | float:
        low, high = schema.get("minimum"), schema.get("maximum")
        low_open = bool(schema.get("exclusiveMinimum")) and low is not None
        high_open = bool(schema.get("exclusiveMaximum")) and high is not None
        if low is None:
            low = 0 if high is None or high > 0 else high - _SPAN
        if high is None:
            high = low + _SPAN
        if integer and schema.get("format") in _INT_BOUNDS:
            floor, ceiling = _INT_BOUNDS[schema["format"]]
            low, high = max(low, floor), min(high, ceiling)
        step = schema.get("multipleOf")
        if integer or step is not None:
            unit = step if step is not None else 1
            first = math.floor(low / unit) + 1 if low_open else math.ceil(low / unit)
            last = math.ceil(high / unit) - 1 if high_open else math.floor(high / unit)
            candidates = [k * unit for k in self._ints(first, last)]
            for candidate in candidates:
                if (not integer or float(candidate).is_integer()) and _multiple(candidate, step):
                    return int(candidate) if integer else candidate
            raise ValueError(_empty_range(schema, integer))
        value = round(self.rng.uniform(low, high), 2)
        for guess in (value, self.rng.uniform(low, high), (low + high) / 2):
            if (low < guess or (not low_open and low == guess)) and (
                guess < high or (not high_open and guess == high)
            ):
                return guess
        raise ValueError(_empty_range(schema, integer))

    def _ints(self, first: int, last: int) -> list[int]:
        """A few distinct integers from ``first..last``, random first; empty if there is none."""
        if first > last:
            return []
        picks = [self.rng.randint(first, last) for _ in range(5)]
        return list(dict.fromkeys([*picks, first, last]))

    def string(self, schema: Mapping[str, Any]) -> str | None:
        if "pattern" in schema:
            return self.patterned(schema)
        fmt = schema.get("format")
        if fmt == "binary":
            return None
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if high is not None and low > high:
            raise ValueError(f"minLength {low} is more than maxLength {high}: no string fits")
        if fmt == "byte":
            return self.base64(low, high)
        make = _FORMATS.get(fmt or "")
        if make is None:
            return self.text(low, high)
        text = make(self)
        if len(text) < low or (high is not None and len(text) > high):
            raise ValueError(
                f"format {fmt}: values are {len(text)} characters long, but the schema wants "
                f"{low} to {high}"
            )
        return text

    def patterned(self, schema: Mapping[str, Any]) -> str:
        pattern = schema["pattern"]
        low, high = schema.get("minLength", 0), schema.get("maxLength", math.inf)

        def fits(text: object) -> TypeGuard[str]:
            return (
                isinstance(text, str)
                and low <= len(text) <= high
                and bool(re.search(pattern, text))
            )

        example = schema.get("example")
        if fits(example):
            return example
        for _ in range(25):
            text = _regex_text(pattern, self.rng)
            if fits(text):
                return text
        raise ValueError(
            f"pattern {pattern!r}: no generated string matched within length {low} to {high}; "
            "give the schema an example that does"
        )

    def text(self, low: int, high: int | None) -> str:
        """Words up to a random length within the bounds; whole words where the bounds allow."""
        cap = int(min(high if high is not None else math.inf, max(low, _TEXT_CAP)))
        target = self.rng.randint(max(low, min(4, cap)), cap)
        words: list[str] = []
        while len(" ".join(words)) < target:
            words.append(self.word())
        text, shorter = " ".join(words), " ".join(words[:-1])
        if len(text) > cap:
            text = shorter if low <= len(shorter) and shorter else text[:cap]
        return text

    def base64(self, low: int, high: int | None) -> str:
        # Valid base64 comes in blocks of 4 characters, each holding 3 bytes.
        lengths = range(math.ceil(low / 4) * 4, (high if high is not None else low + 32) + 1, 4)
        if not lengths:
            raise ValueError(f"format byte: no base64 length between {low} and {high}")
        encoded_length = self.rng.choice(lengths[:8])
        return base64.b64encode(self.rng.randbytes(encoded_length // 4 * 3)).decode("ascii")

    def word(self) -> str:
        return self.faker.word() if self.faker is not None else self.rng.choice(_WORDS)


def _type_of(schema: Mapping[str, Any]) -> str | None:
    if "type" in schema:
        return str(schema["type"])
    if {"properties", "required", "additionalProperties"} & schema.keys():
        return "object"
    return "array" if "items" in schema else None


def _multiple(value: float, step: float | None) -> bool:
    """``multipleOf`` as jsonschema checks it, float quotients included."""
    if step is None:
        return True
    quotient = value / step
    return quotient == int(quotient)


def _empty_range(schema: Mapping[str, Any], integer: bool) -> str:
    bounds = {k: schema[k] for k in schema if "imum" in k or k in ("multipleOf", "format")}
    return f"no {'integer' if integer else 'number'} satisfies {bounds}"


def _date_time(gen: _Generator) -> str:
    year_ms = 365 * 86_400_000
    return format_timestamp(_ANCHOR + timedelta(milliseconds=gen.rng.randrange(-year_ms, year_ms)))


def _date(gen: _Generator) -> str:
    return (_ANCHOR + timedelta(days=gen.rng.randrange(-365, 365))).date().isoformat()


def _uuid(gen: _Generator) -> str:
    return str(uuid.UUID(int=gen.rng.getrandbits(128), version=4))


def _email(gen: _Generator) -> str:
    if gen.faker is not None:
        return str(gen.faker.email())
    return f"{gen.word()}.{gen.word()}@example.com"


def _uri(gen: _Generator) -> str:
    if gen.faker is not None:
        return str(gen.faker.url())
    return f"https://example.com/{gen.word()}/{gen.rng.randint(1, 999)}"


_FORMATS: dict[str, Callable[[_Generator], str]] = {
    "date-time": _date_time,
    "date": _date,
    "uuid": _uuid,
    "email": _email,
    "uri": _uri,
    "hostname": lambda gen: f"{gen.word()}.example.com",
    "ipv4": lambda gen: str(ipaddress.IPv4Address(gen.rng.getrandbits(32))),
    "ipv6": lambda gen: str(ipaddress.IPv6Address(gen.rng.getrandbits(128))),
}


def _regex_text(pattern: str, rng: random.Random) -> str:
    """A string the regex probably matches (anchors and flags are left to the caller's check).

    Covers literals, classes, ``.``, repeats (unbounded ones at most 3 beyond their minimum),
    groups, alternation and backreferences; lookarounds and conditionals raise ``ValueError``.
    """
    try:
        parsed = _regex_parser.parse(pattern)
    except re.error as exc:
        raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from exc
    out: list[str] = []
    _emit(parsed, rng, out, {}, pattern)
    return "".join(out)


def _emit(
    items: Any, rng: random.Random, out: list[str], groups: dict[int, str], pattern: str
) -> None:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name in ("NOT_LITERAL", "ANY", "IN"):
            out.append(rng.choice(_class_members(name, arg, pattern)))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            for _ in range(rng.randint(low, min(high, low + 3))):
                _emit(sub, rng, out, groups, pattern)
        elif name == "SUBPATTERN":
            group, start = arg[0], len(out)
            _emit(arg[-1], rng, out, groups, pattern)
            if group is not None:
                groups[group] = "".join(out[start:])
        elif name == "ATOMIC_GROUP":
            _emit(arg, rng, out, groups, pattern)
        elif name == "BRANCH":
            _emit(rng.choice(arg[1]), rng, out, groups, pattern)
        elif name == "GROUPREF":
            out.append(groups.get(arg, ""))
        elif name != "AT":  # anchors produce nothing
            raise ValueError(
                f"pattern {pattern!r}: cannot generate strings for its {name.lower()}; "
                "give the schema an example that matches"
            )


def _class_members(name: str, arg: Any, pattern: str) -> list[str]:
    if name == "ANY":
        return list(_ALPHABET)
    if name == "NOT_LITERAL":
        return [c for c in _ALPHABET if ord(c) != arg]
    negated = bool(arg) and str(arg[0][0]) == "NEGATE"
    members = [c for c in _ALPHABET if _in_class(arg, c) != negated]
    if not members and not negated:  # a class of characters outside the alphabet, e.g. [é]
        members = [chr(a) for op, a in arg if str(op) == "LITERAL"]
        members += [chr(a[0]) for op, a in arg if str(op) == "RANGE"]
    if not members:
        raise ValueError(f"pattern {pattern!r}: a character class matches none of {_ALPHABET!r}")
    return members


_CATEGORIES: dict[str, Callable[[str], bool]] = {
    "CATEGORY_DIGIT": str.isdigit,
    "CATEGORY_SPACE": str.isspace,
    "CATEGORY_WORD": lambda c: c.isalnum() or c == "_",
}


def _in_class(items: Any, char: str) -> bool:
    for op, arg in items:
        kind = str(op)
        if kind == "LITERAL" and ord(char) == arg:
            return True
        if kind == "RANGE" and arg[0] <= ord(char) <= arg[1]:
            return True
        if kind == "CATEGORY":
            category = str(arg)
            test = _CATEGORIES[category.replace("_NOT", "")]
            if test(char) != ("_NOT_" in category):
                return True
    return False
