"""The mock's users and how a request proves to be one of them.

The real app asks next-auth's ``auth()``, which reads the session cookie. The mock keeps one opaque
token per user and accepts it either as that cookie's value or as a bearer token (the spec's two
security schemes), so browsers and non-browser clients can both sign in.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["SESSION_COOKIE_NAMES", "User", "authenticate", "holder_of"]

# next-auth v5 names its cookie with the `__Secure-` prefix on HTTPS deployments.
SESSION_COOKIE_NAMES = ("authjs.session-token", "__Secure-authjs.session-token")


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    email: str
    # Kept out of repr so that a logged user never leaks a working credential.
    token: str = field(repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> User:
        return cls(id=data["id"], name=data["name"], email=data["email"], token=data["token"])

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def authenticate(
    users: Iterable[User], *, cookie: str | None, authorization: str | None
) -> User | None:
    """The user whose token the request carries, or ``None``.

    ``cookie`` is the raw ``Cookie`` header; the value of ``authjs.session-token`` or
    ``__Secure-authjs.session-token`` is a candidate token (a malformed header yields no candidate,
    never an error; next-auth's chunked ``.0``/``.1`` cookies are not reassembled, as mock tokens
    are short). ``authorization`` is the raw ``Authorization`` header; ``Bearer <token>`` (scheme
    in any case) is a candidate too. Cookie candidates are tried first, as the real app reads only
    the cookie; the first candidate that equals a user's token wins. Anything else gives ``None``.
    """
    known = tuple(users)
    candidates = [*_cookie_tokens(cookie), *_bearer_tokens(authorization)]
    for candidate in candidates:
        user = holder_of(known, candidate)
        if user is not None:
            return user
    return None


def holder_of(users: Iterable[User], candidate: str) -> User | None:
    """The user whose token is ``candidate``, or ``None``."""
    # `compare_digest` refuses non-ASCII `str`; bytes take any header value. `surrogatepass` keeps
    # even a lone surrogate from raising. Every user is compared, so timing does not tell which
    # position matched.
    offered = candidate.encode("utf-8", "surrogatepass")
    found = None
    for user in users:
        if user.token and hmac.compare_digest(offered, user.token.encode("utf-8")):
            found = found or user
    return found


def _cookie_tokens(header: str | None) -> Iterator[str]:
    # A hand parser instead of `http.cookies.SimpleCookie`: SimpleCookie drops the whole header
    # when one pair has a value it dislikes (a space, a stray quote) and raises `CookieError` on a
    # name like `bad,name`, while browsers send such cookies from other sites on the same host.
    # This follows RFC 6265 section 5.4 as browsers send it, like starlette's
    # `cookie_parser`: `name=value` pairs split on `;`, surrounding whitespace and one pair of
    # double quotes removed. A repeated name (cookies set for different paths) yields each value.
    if not header:
        return
    for pair in header.split(";"):
        name, sep, value = pair.partition("=")
        if not sep or name.strip() not in SESSION_COOKIE_NAMES:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if value:
            yield value


def _bearer_tokens(header: str | None) -> Iterator[str]:
    # RFC 7235: `credentials = auth-scheme [ 1*SP token68 ]`, scheme case-insensitive. Exactly two
    # parts, so `Bearer a b` is no credential at all rather than a guess at one.
    if not header:
        return
    parts = header.split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        yield parts[1]
