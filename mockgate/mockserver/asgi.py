"""The ASGI plumbing the mock's layers share: types, reading a bounded body, replaying it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import ClientDisconnect

__all__ = [
    "MAX_BODY_BYTES",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "declared_length",
    "read_body",
    "replay",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY_BYTES = 10 * 1024 * 1024


def declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length``, when it has a usable one."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def read_body(receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The whole request body, or None as soon as it is larger than ``limit`` (the rest is
    never read, so a huge body costs no memory).

    Raises ``ClientDisconnect`` when the client is gone before the body ended (it left, or the
    server gave up waiting: ``ServerLimits.body_timeout``): a truncated body is never served.
    """
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields ``body`` (already read) first, then whatever follows."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
