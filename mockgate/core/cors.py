"""CORS: which pages in a browser may read a mock's answers, and with what headers.

Every origin reads the APIs without credentials (``Access-Control-Allow-Origin: *``). The
origins given with ``--cors-origin`` also may send credentials (cookies, ``credentials:
"include"``): they get their own origin back with ``Access-Control-Allow-Credentials: true``.
Origins are compared by ``access.origin_key``: ``localhost``, ``127.0.0.1`` and ``[::1]`` on one
scheme and port are one origin. The admin API shares its answers with the given origins only
(``others=False``); ``access.AdminPolicy`` refuses the rest.

A request whose answer the browser will hide from the page gets a ``refusal``: the reason, for
the server's log, since the server itself answered it and the page sees only "CORS error".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mockgate.core.access import origin_key

__all__ = ["ALLOWED_METHODS", "EXPOSED_HEADERS", "CorsAnswer", "CorsPolicy"]

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# What a page may read of a response besides the CORS-safelisted headers.
EXPOSED_HEADERS = (
    "X-Request-Id",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
)
MAX_AGE = 600  # seconds a browser may keep a preflight's answer

Headers = tuple[tuple[str, str], ...]
_EXPOSE: Headers = (("Access-Control-Expose-Headers", ", ".join(EXPOSED_HEADERS)),)


@dataclass(frozen=True)
class CorsAnswer:
    """The CORS headers of one response, and why the browser will hide it from the page (None:
    it will not)."""

    headers: Headers = ()
    refusal: str | None = None


@dataclass(frozen=True)
class CorsPolicy:
    """``credentialed``: the ``origin_key`` of every origin that may send credentials;
    ``others``: every other origin reads without them; ``enabled``: False with ``--no-cors``."""

    credentialed: frozenset[str] = frozenset()
    others: bool = True
    enabled: bool = True

    @classmethod
    def of(cls, origins: Iterable[str], *, others: bool = True, enabled: bool = True) -> CorsPolicy:
        return cls(frozenset(origin_key(o) for o in origins), others, enabled)

    def request(self, origin: str, *, same_origin: bool, cookies: bool) -> CorsAnswer:
        """The headers of the answer to a request (not a preflight) sent with ``Origin:
        origin``; ``same_origin``: sent to the origin it comes from; ``cookies``: it carries
        some (a browser sends them cross-origin only in credentials mode)."""
        if not self.enabled:
            return CorsAnswer(refusal=None if same_origin else _OFF)
        if origin_key(origin) in self.credentialed:
            return CorsAnswer(_credentialed(origin) + _EXPOSE)
        if not self.others:
            return CorsAnswer(refusal=None if same_origin else _untrusted(origin))
        refusal = None if same_origin or not cookies else _needs_credentials(origin)
        return CorsAnswer((("Access-Control-Allow-Origin", "*"), *self._vary(), *_EXPOSE), refusal)

    def preflight(
        self,
        origin: str,
        method: str,
        headers: str | None,
        *,
        same_origin: bool,
        private_network: bool = False,
    ) -> CorsAnswer:
        """The answer to a preflight (``OPTIONS`` with ``Access-Control-Request-Method:
        method`` and ``-Headers: headers``); no headers: it is not answered as one (the request
        goes on to the mock, which answers it as any ``OPTIONS``). ``private_network``: the
        browser asks whether a public page may reach a private address."""
        if not self.enabled:
            return CorsAnswer(refusal=None if same_origin else _OFF)
        credentialed = origin_key(origin) in self.credentialed
        if not (credentialed or self.others):
            return CorsAnswer(refusal=None if same_origin else _untrusted(origin))
        if method not in ALLOWED_METHODS:
            return CorsAnswer(
                refusal=f"the preflight asks for the method {method!r}; the mocks allow "
                f"{', '.join(ALLOWED_METHODS)}"
            )
        allow = _credentialed(origin) if credentialed else (("Access-Control-Allow-Origin", "*"),)
        answer = [
            *allow,
            *([] if credentialed else self._vary()),
            ("Access-Control-Allow-Methods", ", ".join(ALLOWED_METHODS)),
            ("Access-Control-Max-Age", str(MAX_AGE)),
        ]
        if headers:  # echoed: a wildcard would not cover Authorization
            answer.append(("Access-Control-Allow-Headers", headers))
        if private_network:
            answer.append(("Access-Control-Allow-Private-Network", "true"))
        return CorsAnswer(tuple(answer))

    def _vary(self) -> Headers:
        # Once some origins are answered differently, a cache must keep answers per origin.
        return (("Vary", "Origin"),) if self.credentialed else ()


_OFF = "CORS is off (--no-cors), so no Access-Control-Allow-Origin is sent"
# How much of a client's Origin a reason quotes: the header is the client's, of any size.
_QUOTED = 200


def _credentialed(origin: str) -> Headers:
    return (
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Credentials", "true"),
        ("Vary", "Origin"),
    )


def _untrusted(origin: str) -> str:
    return (
        "the admin API answers only the origins given with --cors-origin; to allow this one, "
        f"start the mock with --cors-origin {origin[:_QUOTED]}"
    )


def _needs_credentials(origin: str) -> str:
    return (
        "it carries cookies, and only the origins given with --cors-origin may send "
        f"credentials; to allow this one, start the mock with --cors-origin {origin[:_QUOTED]}"
    )
