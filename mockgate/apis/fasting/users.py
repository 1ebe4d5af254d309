"""The mock's users and whose a credential is.

The real app asks next-auth's ``auth()``, which reads the session cookie. The mock keeps one opaque
token per user; the app's security handlers take a candidate from the spec's two schemes (the
``authjs.session-token`` cookie or ``Authorization: Bearer``) and ``holder_of`` says whose it is.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["User", "holder_of"]


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


def holder_of(users: Iterable[User], candidate: str) -> User | None:
    """The user whose token is exactly ``candidate`` (the first, should two share it), or ``None``.

    A user with an empty token is never anyone's holder, so an empty credential matches nobody.
    """
    # `compare_digest` refuses non-ASCII `str`; bytes take any header value. `surrogatepass` keeps
    # even a lone surrogate from raising. Every user is compared, so timing does not tell which
    # position matched.
    offered = candidate.encode("utf-8", "surrogatepass")
    found = None
    for user in users:
        if user.token and hmac.compare_digest(offered, user.token.encode("utf-8")):
            found = found or user
    return found
