"""One view of an HTTP answer, whichever way the request went (httpx, raw ASGI, raw socket), and
what every error answer of a mock must be: a 4xx/5xx in its API's own documented error shape
(``components/schemas/Error``) with a message that says what went wrong."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import httpx

from mockgate.openapi.catalog import get_api
from mockgate.openapi.schemas import compile_schema

# Where each API's error body carries its human-readable message.
MESSAGE_FIELD = {
    "agentlens": "error",
    "fasting": "error",
    "piorchestrator": "error",
    "state-tracking": "message",
}


@dataclass(frozen=True)
class Reply:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    @classmethod
    def from_httpx(cls, response: httpx.Response) -> Reply:
        return cls(response.status_code, tuple(response.headers.raw), response.content)

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None

    def describe(self) -> str:
        return f"{self.status} {self.header('content-type')} {self.body[:300]!r}"


@functools.cache
def _error_validator(api: str) -> Any:
    schema = get_api(api).resolved["components"]["schemas"]["Error"]
    return compile_schema(schema, direction="response")


def error_problems(api: str, reply: Reply) -> list[str]:
    """Why ``reply`` is not an error in ``api``'s documented shape (empty: it is)."""
    media_type = (reply.header("content-type") or "").split(";")[0].strip()
    if media_type != "application/json":
        return [f"Content-Type is {media_type or 'missing'}, not application/json"]
    try:
        body = json.loads(reply.body)
    except ValueError:
        return ["the body is not JSON"]
    problems = [error.message for error in _error_validator(api).iter_errors(body)]
    message = body.get(MESSAGE_FIELD[api]) if isinstance(body, dict) else None
    if not problems and not (isinstance(message, str) and message.strip()):
        problems.append(f"no message in {MESSAGE_FIELD[api]!r}")
    return problems


def assert_no_file(reply: Reply) -> None:
    """No well-known system file's content in the answer (a traversal that reached the disk)."""
    for marker in (b"root:", b"[fonts]", b"[extensions]"):
        assert marker not in reply.body, f"a file was served: {reply.body[:300]!r}"


def message_of(api: str, reply: Reply) -> str:
    return str(json.loads(reply.body)[MESSAGE_FIELD[api]])


def assert_refused(
    api: str, reply: Reply, what: str, *, status: int | None = None, mentions: tuple[str, ...] = ()
) -> None:
    """``reply`` refuses ``what`` (a description of the request) with a 4xx (``status`` when
    given) in ``api``'s error shape whose message names one of ``mentions`` (case-insensitive)."""
    wanted = str(status) if status is not None else "a 4xx"
    refused = 400 <= reply.status < 500 and status in (None, reply.status)
    assert refused, (
        f"{api}: {what}: expected {wanted} in the API's error shape, got {reply.describe()}"
    )
    problems = error_problems(api, reply)
    assert not problems, (
        f"{api}: {what}: {reply.status} not in the API's error shape ({'; '.join(problems)}): "
        f"{reply.describe()}"
    )
    if mentions:
        message = message_of(api, reply)
        assert any(word.lower() in message.lower() for word in mentions), (
            f"{api}: {what}: the message {message!r} does not say what is wrong "
            f"(expected it to mention one of {mentions})"
        )
