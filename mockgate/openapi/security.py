"""Who a request is from, by an operation's security requirements.

OpenAPI's rule: the requirements are alternatives and the first one met wins; an empty list (or
an empty requirement) means public. A credential that is present but not accepted is as good as
none (401); a read-only principal on anything but a read is refused (403). Which credentials are
valid is the API's business (``MockApi.authenticate``).

No connexion or starlette here: the module is pure core and is testable without HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockgate.core.cookies import cookie_values
from mockgate.core.errors import MockError

__all__ = ["Credentials", "Principal", "SecurityRule"]

_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """Who a credential belongs to."""

    id: str
    read_only: bool = False


@dataclass(frozen=True)
class Credentials:
    """Where a request may carry credentials."""

    method: str
    headers: Mapping[str, str]  # lower-case names
    cookie_headers: Sequence[str]
    query: Mapping[str, str]


@dataclass(frozen=True)
class _Scheme:
    kind: str  # "bearer" or "apiKey"
    location: str  # where an apiKey is: header, query or cookie
    name: str

    def candidates(self, request: Credentials) -> list[str]:
        if self.kind == "bearer":
            auth_type, _, token = request.headers.get("authorization", "").partition(" ")
            token = token.strip()
            return [token] if auth_type.lower() == "bearer" and token else []
        value: str | None = None
        if self.location == "header":
            value = request.headers.get(self.name.lower())
            return [value] if value else []
        if self.location == "query":
            value = request.query.get(self.name)
            return [value] if value else []
        # A cookie and its __Secure- twin (used on HTTPS); every value, first valid wins.
        return cookie_values(request.cookie_headers, (self.name, f"__Secure-{self.name}"))


@dataclass(frozen=True)
class SecurityRule:
    alternatives: tuple[tuple[_Scheme, ...], ...]  # empty: public

    @classmethod
    def from_spec(
        cls, requirements: Sequence[Mapping[str, Any]] | None, schemes: Mapping[str, Any]
    ) -> SecurityRule:
        alternatives = []
        for requirement in requirements or ():
            if not requirement:
                return cls(())  # an empty requirement: anyone may call
            alternatives.append(tuple(_scheme(schemes[name]) for name in requirement))
        return cls(tuple(alternatives))

    @property
    def query_names(self) -> frozenset[str]:
        """Query parameters that carry credentials (they are not unknown parameters)."""
        return frozenset(s.name for alt in self.alternatives for s in alt if s.location == "query")

    def authenticate(
        self, request: Credentials, verify: Callable[[str], Principal | None]
    ) -> Principal | None:
        """The principal of the first requirement ``request`` meets; None for a public
        operation. Raises ``MockError`` 401 when none is met, 403 for a read-only principal
        asking for anything but a read."""
        if not self.alternatives:
            return None
        for alternative in self.alternatives:
            principal = _meet(alternative, request, verify)
            if principal is None:
                continue
            if principal.read_only and request.method not in _READS:
                raise MockError(403, "The credentials do not allow this operation")
            return principal
        raise MockError(401, "Missing or invalid credentials")


def _meet(
    alternative: tuple[_Scheme, ...],
    request: Credentials,
    verify: Callable[[str], Principal | None],
) -> Principal | None:
    principal = None
    for scheme in alternative:
        principal = next(
            (p for c in scheme.candidates(request) if (p := verify(c)) is not None), None
        )
        if principal is None:
            return None
    return principal


def _scheme(spec: Mapping[str, Any]) -> _Scheme:
    if spec.get("type") == "http" and str(spec.get("scheme", "")).lower() == "bearer":
        return _Scheme("bearer", "header", "Authorization")
    if spec.get("type") == "apiKey":
        return _Scheme("apiKey", spec["in"], spec["name"])
    raise ValueError(f"security scheme {spec!r} is not supported by mockgate (bearer, apiKey)")
