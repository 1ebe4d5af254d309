"""Passing the upstream's answer on to the client as it arrives, within the exchange's deadline.

Memory stays bounded whatever the answer's size: a chunk is read from the upstream only once
the client has taken the one before (the server's flow control). The deadline (``--timeout``)
runs on: once the client has the status line nothing else can be said, so an upstream that is
still sending when it passes (or a client still reading) gets the connection closed mid-body,
and the client sees a cut response, never one that looks complete. ``on_end`` hears how it
ended before the client gets its last byte, so the exchange is on record when the client is
done.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import anyio
import httpx
from starlette.types import Message, Receive, Scope, Send

from mockgate.proxy.forward import Answer

__all__ = ["Cut", "Relay"]


class Cut(enum.Enum):
    """Why the client got only part of a response."""

    UPSTREAM_TIMED_OUT = "upstream timed out"
    UPSTREAM_BROKE_OFF = "upstream broke off"
    CLIENT_TOO_SLOW = "client too slow"
    CLIENT_WENT_AWAY = "client went away"


class Relay:
    """An ASGI response: ``answer``'s status and headers, ``head`` (its body's first bytes,
    already read), then the rest as it comes until ``deadline`` (``anyio.current_time()``).
    ``on_end(size, cut, why)`` is called once: ``cut`` None and ``size`` the whole body's when
    it is complete, else ``size`` the bytes the client was sent."""

    def __init__(
        self,
        answer: Answer,
        head: bytes,
        *,
        deadline: float,
        on_end: Callable[[int, Cut | None, str], None],
    ) -> None:
        self.answer, self.head, self.deadline = answer, head, deadline
        self._sent = 0
        self._on_end: Callable[[int, Cut | None, str], None] | None = on_end

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
                await self._pass_on(send)
                group.cancel_scope.cancel()
        finally:
            self._end(Cut.CLIENT_WENT_AWAY, "the client closed the connection")
            with anyio.CancelScope(shield=True):
                await self.answer.aclose()

    async def _pass_on(self, send: Send) -> None:
        headers = [(name.lower(), value) for name, value in self.answer.headers]
        start = {"type": "http.response.start", "status": self.answer.status, "headers": headers}
        if not await self._send(send, start):
            return
        # One chunk in hand: the end is known (and reported) before the last one is sent.
        pending, self.head = self.head, b""
        while True:
            try:
                with anyio.fail_at(self.deadline):
                    chunk = await self.answer.next_chunk()
            except TimeoutError:
                self._end(Cut.UPSTREAM_TIMED_OUT, "the upstream was still sending")
                return
            except httpx.HTTPError as exc:
                self._end(Cut.UPSTREAM_BROKE_OFF, str(exc) or type(exc).__name__)
                return
            if chunk is None:
                break
            if pending and not await self._send(send, _body(pending, more=True)):
                return
            self._sent += len(pending)
            pending = chunk
        self._end(None, "")
        await self._send(send, _body(pending, more=False))

    async def _send(self, send: Send, message: Message) -> bool:
        """Send ``message`` by the deadline; False (and the exchange ended) if the client did
        not take it in time."""
        try:
            with anyio.fail_at(self.deadline):
                await send(message)
        except TimeoutError:
            self._end(Cut.CLIENT_TOO_SLOW, "the client was still reading")
            return False
        return True

    def _end(self, cut: Cut | None, why: str) -> None:
        if self._on_end is not None:
            on_end, self._on_end = self._on_end, None
            on_end(self.answer.received if cut is None else self._sent, cut, why)


def _body(chunk: bytes, *, more: bool) -> Message:
    return {"type": "http.response.body", "body": chunk, "more_body": more}


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    # The request body has been read: what comes now is the client leaving.
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()
