"""``CorsLayer``: ``core.cors``'s rules on the wire, in front of the API and the admin API.

It answers the preflights its policy allows, adds the CORS headers to every other answer, and
logs (``mockgate.cors``, WARNING) why a page's answer will be hidden by the browser: once per
origin and reason, since a page repeats its requests.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from mockgate.core.access import same_origin
from mockgate.core.cors import CorsAnswer, CorsPolicy
from mockgate.mockserver.asgi import Message, Receive, Scope, Send
from mockgate.mockserver.middleware import ADMIN_PREFIX

__all__ = ["CorsLayer"]

log = logging.getLogger("mockgate.cors")
# Refusals remembered (so logged once); past it, new ones are no longer logged: a client
# sending a new Origin on every request cannot grow the set or flood the log.
_LOGGED_MAX = 256
_QUOTED = 200  # characters of a client's Origin or path a line quotes


class CorsLayer:
    """CORS for ``app``: ``api``'s rules for the API and its docs, ``admin``'s for
    ``/__mockgate``."""

    def __init__(self, app: Any, api: CorsPolicy, admin: CorsPolicy, name: str) -> None:
        self.app = app
        self.api = api
        self.admin = admin
        self.name = name
        self._logged: set[tuple[str, str]] = set()
        # A page sends the same Origin and Host on every request: judge each pair once.
        self._request = functools.lru_cache(maxsize=256)(self._request_answer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = host = method = requested = private = None
        cookies = False
        for key, value in scope["headers"]:
            if key == b"origin":
                origin = value.decode("latin-1")
            elif key == b"host":
                host = value.decode("latin-1")
            elif key == b"cookie":
                cookies = True
            elif key == b"access-control-request-method":
                method = value.decode("latin-1")
            elif key == b"access-control-request-headers":
                requested = value.decode("latin-1")
            elif key == b"access-control-request-private-network":
                private = value.decode("latin-1")
        if origin is None:
            await self.app(scope, receive, send)
            return
        admin = scope["path"].startswith(ADMIN_PREFIX)
        scheme = scope.get("scheme", "http")
        preflight = scope["method"] == "OPTIONS" and method is not None
        if preflight:
            policy = self.admin if admin else self.api
            answer = policy.preflight(
                origin,
                method or "",
                requested,
                same_origin=same_origin(origin, host or "", scheme),
                private_network=private == "true",
            )
        else:
            answer = self._request(admin, origin, host or "", scheme, cookies)
        if answer.refusal is not None:
            self._log(origin, scope, answer.refusal)
        if preflight and answer.headers:
            await _preflight_answer(answer, send)
        elif answer.headers:
            await self.app(scope, receive, _adding(answer, send))
        else:
            await self.app(scope, receive, send)

    def _request_answer(
        self, admin: bool, origin: str, host: str, scheme: str, cookies: bool
    ) -> CorsAnswer:
        policy = self.admin if admin else self.api
        own = same_origin(origin, host, scheme)
        return policy.request(origin, same_origin=own, cookies=cookies)

    def _log(self, origin: str, scope: Scope, reason: str) -> None:
        seen = (origin, reason)
        if seen in self._logged or len(self._logged) >= _LOGGED_MAX:
            return
        self._logged.add(seen)
        log.warning(
            "%s: CORS refused Origin %s (%s %s): %s",
            self.name,
            _escaped(origin[:_QUOTED]),
            scope["method"],
            _escaped(scope["path"][:_QUOTED]),
            _escaped(reason),
        )


async def _preflight_answer(answer: CorsAnswer, send: Send) -> None:
    headers = _encoded(answer)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [*headers, (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def _adding(answer: CorsAnswer, send: Send) -> Send:
    """``send``, adding ``answer``'s headers to the response's (a ``Vary`` merged into the
    response's own)."""
    added = _encoded(answer)

    async def adding(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            for key, value in added:
                if key == b"vary":
                    kept = [v for k, v in headers if k == b"vary"]
                    headers = [(k, v) for k, v in headers if k != b"vary"]
                    value = b", ".join([*kept, value])
                headers.append((key, value))
            message["headers"] = headers
        await send(message)

    return adding


@functools.lru_cache(maxsize=256)
def _encoded(answer: CorsAnswer) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((k.lower().encode(), v.encode("latin-1")) for k, v in answer.headers)


def _escaped(text: str) -> str:
    # Header values and paths are the client's: no control character reaches the log as such.
    return text.encode("unicode_escape").decode("ascii")
