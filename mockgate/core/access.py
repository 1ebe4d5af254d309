"""Who may reach a mock: the ``Host`` names it answers, the origins its admin API trusts, and
what a call to the admin API must carry.

A web page in the developer's browser can reach a mock on loopback in two ways: by DNS rebinding
(the page's own name re-resolved to 127.0.0.1, so its requests carry that name as ``Host``) and
cross-origin (``fetch``, a form post: its requests carry the page's ``Origin``). These rules
refuse both, as plain functions of a request's headers; ``mockserver.gates`` applies them on
the wire.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from mockgate.core.errors import ApiError

__all__ = [
    "ADMIN_TOKEN_HEADER",
    "AdminPolicy",
    "HostPolicy",
    "allowed_host_entry",
    "cors_origin_entry",
    "is_loopback",
    "origin_key",
    "same_origin",
    "split_host",
]

ADMIN_TOKEN_HEADER = "X-Mockgate-Token"
# What a simple cross-site request (a form post, a `no-cors` fetch) can send without a CORS
# preflight is a GET, HEAD or POST with a form or text content type: these need more.
_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
# One machine's loopback under its three usual names: a developer's page may be opened by any.
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
# WHATWG URL's "ends in a number": browsers parse such a host as IPv4 (127.1, 0x7f.1), so no
# DNS name a page controls can look like one.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


def split_host(value: str) -> tuple[str, int | None] | None:
    """(name, port) of a ``Host`` header value: the name in lower case without a trailing dot,
    an IPv6 literal in brackets; None when ``value`` is not a host."""
    value = value.strip().lower()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or not _is_ipv6(name) or (rest and not rest.startswith(":")):
            return None
        name, port_text = f"[{name}]", rest[1:]
    else:
        name, _, port_text = value.partition(":")
        name = name.removesuffix(".")
        if not _NAME.fullmatch(name):
            return None
    if not port_text:
        return name, None
    if not (port_text.isascii() and port_text.isdigit()) or int(port_text) > 65535:
        return None
    return name, int(port_text)


def allowed_host_entry(text: str) -> str:
    """``text`` (``--allowed-host``) as an entry of ``HostPolicy.allowed``: a host name, or a
    name after a dot (``.example.test``: that name and every name under it). ``ValueError``
    saying what is wrong."""
    value = text.strip().lower().rstrip(".")
    subdomains = value.startswith(".")
    name = value[1:] if subdomains else value
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"{text!r} is not a host name: give the name alone (no scheme, port or path), "
            "e.g. myapp.test, or .myapp.test for it and its subdomains"
        )
    return value


@dataclass(frozen=True)
class HostPolicy:
    """The ``Host`` names a mock answers: ``localhost`` and every ``*.localhost``, any IP literal
    (a rebinding page can only reach the mock through a DNS name), and ``allowed`` (entries from
    ``allowed_host_entry``). The port is not part of the rule."""

    allowed: tuple[str, ...] = ()

    def allows(self, value: str) -> bool:
        """Whether a request with this ``Host`` header value is served."""
        host = split_host(value)
        if host is None:
            return False
        name = host[0]
        if name == "localhost" or name.endswith(".localhost") or _is_ip_literal(name):
            return True
        return any(
            name == entry or (entry.startswith(".") and (name == entry[1:] or name.endswith(entry)))
            for entry in self.allowed
        )

    def refusal(self, values: Iterable[str], http_version: str) -> str | None:
        """Why a request with these ``Host`` values is refused (None: it is served). HTTP/1.1
        requires the header; HTTP/1.0 may go without."""
        values = list(values)
        if not values:
            if http_version == "1.0":
                return None
            return "A request without a Host header is refused (HTTP/1.1 requires one)."
        for value in values:
            if self.allows(value):
                continue
            host = split_host(value)
            if host is None:
                return f"Host {value!r} is not a host name."
            return (
                f"Host {value!r} is not served: a mock answers localhost, *.localhost and IP "
                "addresses, and the names given with --allowed-host (this refuses DNS "
                f"rebinding). To serve this name, start the mock with --allowed-host {host[0]}."
            )
        return None


def cors_origin_entry(text: str) -> str:
    """``text`` (``--cors-origin``) checked to be an origin (scheme, host, optional port), a
    trailing slash dropped. ``ValueError`` saying what is wrong."""
    value = text.strip().removesuffix("/")
    if value in ("*", "null"):
        raise ValueError(
            f"{text!r}: every origin is already answered without credentials; --cors-origin "
            "names a page's origin that may also send credentials, e.g. http://localhost:5173"
        )
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # raises on a port that is no port
    except ValueError:
        parts = None
    if (
        parts is None
        or not _SCHEME.fullmatch(parts.scheme.lower())
        or not parts.hostname
        or parts.username is not None
        or parts.path
        or parts.query
        or parts.fragment
        or "?" in value
        or "#" in value
    ):
        raise ValueError(
            f"{text!r} is not an origin: give a page's scheme, host and port, without a path, "
            "e.g. http://localhost:5173"
        )
    return value


def origin_key(origin: str) -> str:
    """``origin`` as origins are compared: scheme and host in lower case, the scheme's default
    port filled in, and ``localhost``, ``127.0.0.1`` and ``[::1]`` as one name. A value that is
    no URL (``null``) stays as it is, in lower case."""
    text = origin.strip().lower().removesuffix("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    if not parts.scheme or not parts.hostname:
        return text
    name = parts.hostname.rstrip(".")
    if ":" in name:
        name = f"[{name}]"
    if name in _LOOPBACK_NAMES:
        name = "localhost"
    port = port or _DEFAULT_PORTS.get(parts.scheme)
    return f"{parts.scheme}://{name}" + (f":{port}" if port else "")


def is_loopback(address: str) -> bool:
    """Whether listening on ``address`` (``serve --host``) is reachable from this machine only."""
    address = address.strip().lower().strip("[]")
    if address == "localhost" or address.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def same_origin(origin: str, host: str, scheme: str) -> bool:
    """Whether a request with ``Origin: origin`` comes from the origin it is sent to (its
    ``Host`` and the URL scheme it came in by), default ports filled in."""
    try:
        parts = urlsplit(origin.strip())
        origin_port = parts.port
    except ValueError:
        return False
    target = split_host(host)
    if parts.scheme.lower() != scheme or parts.hostname is None or target is None:
        return False
    name = parts.hostname.lower().rstrip(".")
    if ":" in name:
        name = f"[{name}]"
    default = _DEFAULT_PORTS.get(scheme)
    return name == target[0] and (origin_port or default) == (target[1] or default)


@dataclass(frozen=True)
class AdminPolicy:
    """What a call to the admin API (``/__mockgate``) must carry.

    - No ``Origin`` other than the mock's own or one of ``origins`` (``--cors-origin``; compared
      by ``origin_key``, so ``localhost`` and ``127.0.0.1`` on one port are one), and no
      ``Sec-Fetch-Site: cross-site`` unless from one of ``origins``: other pages get 403,
      whatever the method, CORS preflights included.
    - With a ``token`` (``--admin-token``), ``X-Mockgate-Token: <token>`` on every call but the
      admin's docs and the CORS preflights of ``origins``: else 401.
    - ``POST``, ``PUT``, ``PATCH`` and ``DELETE`` with ``Content-Type: application/json``, body
      or not, a type no simple cross-site request can send (so a browser asks first, and is
      refused): else 415. A call from the mock's own origin (its admin Swagger UI, whose
      bodyless calls carry no type) is exempt: a browser sets ``Origin`` and a page cannot.
    """

    origins: frozenset[str] = frozenset()
    token: str | None = None

    @classmethod
    def from_options(cls, origins: Iterable[str], token: str | None) -> AdminPolicy:
        return cls(frozenset(origin_key(o) for o in origins), token)

    def refusal(
        self, method: str, headers: Mapping[str, str], scheme: str, *, docs: bool = False
    ) -> ApiError | None:
        """The error to answer a call to the admin API with; None to serve it. ``headers``
        have lower-case names; ``docs``: the call is for the admin's Swagger UI or spec."""
        refused = self.origin_refusal(headers, scheme)
        if refused is not None:
            return refused
        origin = headers.get("origin")
        own = origin is not None and same_origin(origin, headers.get("host", ""), scheme)
        trusted = origin is not None and origin_key(origin) in self.origins
        preflight = method == "OPTIONS" and "access-control-request-method" in headers
        if docs or (trusted and preflight):  # a preflight carries no token: CORS answers it
            return None
        if self.token is not None and not _token_matches(headers, self.token):
            return ApiError(
                401,
                f"The admin API needs the header {ADMIN_TOKEN_HEADER}: <token> (this mock was "
                "started with --admin-token)",
            )
        if method in _STATE_CHANGING and not own and not _is_json(headers.get("content-type")):
            return ApiError(
                415,
                f"{method} on the admin API needs the header Content-Type: application/json, "
                "with or without a body",
            )
        return None

    def origin_refusal(self, headers: Mapping[str, str], scheme: str) -> ApiError | None:
        """The 403 for a call from a page of another origin (None: same origin, trusted, or not
        from a page)."""
        origin = headers.get("origin")
        own = origin is not None and same_origin(origin, headers.get("host", ""), scheme)
        trusted = origin is not None and origin_key(origin) in self.origins
        if origin is not None and not (own or trusted):
            return ApiError(
                403,
                f"The admin API refuses cross-origin requests (Origin: {origin}); to allow "
                f"this origin, start the mock with --cors-origin {origin}",
            )
        if headers.get("sec-fetch-site", "").lower() == "cross-site" and not trusted:
            return ApiError(403, "The admin API refuses cross-site requests (Sec-Fetch-Site)")
        return None


def _token_matches(headers: Mapping[str, str], token: str) -> bool:
    # Header values arrive decoded as latin-1: back to their bytes, compared in constant time.
    given = headers.get(ADMIN_TOKEN_HEADER.lower(), "").encode("latin-1")
    return hmac.compare_digest(given, token.encode())


def _is_json(content_type: str | None) -> bool:
    return content_type is not None and (
        content_type.split(";")[0].strip().lower() == "application/json"
    )


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _is_ip_literal(name: str) -> bool:
    return name.startswith("[") or bool(_NUMERIC_LABEL.fullmatch(name.rsplit(".", 1)[-1]))
