"""The ``Prefer`` request header, as Prism reads it (``Prefer: code=404, example=failed-session``),
and the reply it asks for.

Frontend developers already drive Prism mocks this way, so mockgate's mock understands the same
preferences: ``code`` (respond with this status), ``example`` (this named example), ``dynamic``
(a schema-generated body instead of an example) and ``delay`` (milliseconds to wait first).

RFC 7240 asks a server to ignore preferences it does not understand, so unknown tokens are
skipped; a known preference with a value that cannot be honoured is a client mistake worth a 400,
so it raises ``PreferError`` saying what was expected.

The reply a preference asks for is answered in place of the handler, so only after the request
passed authentication and validation, as a real call would have to.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mockgate.core.errors import MockError
from mockgate.core.replies import Reply
from mockgate.openapi import dynamic, examples

__all__ = ["MAX_DELAY_MS", "PreferError", "Preferences", "parse_prefer", "preferred_reply"]

MAX_DELAY_MS = 60_000
"""Longer delays would outlast most client and proxy timeouts; a test wanting that is mistaken."""

_NUMBER = re.compile(r"[0-9]{1,6}")  # ASCII digits; a bound keeps int() cheap


class PreferError(ValueError):
    """A known preference with a value the mock cannot honour."""


@dataclass(frozen=True)
class Preferences:
    """What a request prefers; ``None`` / ``False`` where it expressed no preference."""

    code: int | None = None
    example: str | None = None
    dynamic: bool = False
    delay_ms: int | None = None


def parse_prefer(values: Iterable[str]) -> Preferences:
    """The preferences in every ``Prefer`` header of a request (each may hold several).

    Preferences are separated by ``,`` (``;`` too: RFC 7240 uses it for preference parameters,
    which Prism users write as if they were preferences). Names are case-insensitive. As RFC 7240
    says, when a preference is given more than once only the first counts.
    """
    seen: dict[str, str | None] = {}
    for value in values:
        for key, raw in _tokens(value):
            seen.setdefault(key.lower(), raw)
    return Preferences(
        code=_code(seen["code"]) if "code" in seen else None,
        example=_example(seen["example"]) if "example" in seen else None,
        dynamic=_dynamic(seen["dynamic"]) if "dynamic" in seen else False,
        delay_ms=_delay(seen["delay"]) if "delay" in seen else None,
    )


def _tokens(header: str) -> Iterator[tuple[str, str | None]]:
    """``(name, value)`` per preference: ``None`` for a bare name, quoted values unquoted."""
    for element in _split(header):
        key, equals, value = element.partition("=")
        key, value = key.strip(), value.strip()
        if not key:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        yield key, value if equals else None


def _split(header: str) -> Iterator[str]:
    """The header cut at each ``,`` or ``;`` outside a quoted string."""
    start, quoted, escaped = 0, False, False
    for index, char in enumerate(header):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char in ",;" and not quoted:
            yield header[start:index]
            start = index + 1
    yield header[start:]


def _code(raw: str | None) -> int:
    if raw is None or not _NUMBER.fullmatch(raw) or not 100 <= int(raw) <= 599:
        raise PreferError(f"Prefer {_shown('code', raw)}: expected an HTTP status 100-599")
    return int(raw)


def _example(raw: str | None) -> str:
    if not raw:
        raise PreferError(
            f"Prefer {_shown('example', raw)}: expected an example name, "
            'e.g. example=documented or example="failed-session"'
        )
    return raw


def _dynamic(raw: str | None) -> bool:
    # A bare ``dynamic`` reads as "I prefer dynamic", like RFC 7240's value-less preferences.
    if raw is None or raw.lower() == "true":
        return True
    if raw.lower() == "false":
        return False
    raise PreferError(f"Prefer {_shown('dynamic', raw)}: expected true or false")


def _delay(raw: str | None) -> int:
    if raw is None or not _NUMBER.fullmatch(raw) or int(raw) > MAX_DELAY_MS:
        raise PreferError(
            f"Prefer {_shown('delay', raw)}: expected whole milliseconds 0-{MAX_DELAY_MS}"
        )
    return int(raw)


def _shown(key: str, raw: str | None) -> str:
    """The preference as the client wrote it, clipped: error messages end up in logs."""
    if raw is None:
        return key
    return f"{key}={raw if len(raw) <= 40 else raw[:40] + '…'}"


def preferred_reply(
    operation: Mapping[str, Any], prefs: Preferences, *, seed: int, request_id: str
) -> Reply | None:
    """The reply ``prefs`` asks of ``operation`` (a resolved Operation Object), or None when it
    asks for none (a delay only). Raises ``MockError`` for what the spec cannot answer."""
    if prefs.code is None and prefs.example is None and not prefs.dynamic:
        return None
    if prefs.dynamic and prefs.example is None:
        return _generated(operation, prefs.code, random.Random(f"{seed}:{request_id}"))
    try:
        return examples.choose_example(operation, status=prefs.code, name=prefs.example)
    except examples.NoExample as exc:
        code = prefs.code
        if code is not None and code >= 400 and str(code) in operation.get("responses", {}):
            # A declared error without an example: the API's error shape says it.
            raise MockError(code, f"Response {code} asked for") from None
        raise MockError(400, f"Prefer: {exc}") from None


def _generated(operation: Mapping[str, Any], status: int | None, rng: random.Random) -> Reply:
    responses = operation.get("responses", {})
    successes = [s for s in responses if s.startswith("2")]
    code = str(status) if status else min(successes, default="")
    media = responses.get(code, {}).get("content", {}).get("application/json")
    if not media or "schema" not in media:
        raise MockError(400, f"Prefer: dynamic=true: response {code or '2xx'} has no JSON schema")
    return Reply(int(code), "application/json", dynamic.generate(media["schema"], rng=rng))
