"""Contract assertions inside ordinary tests: is this request/response pair what the spec says?

For repos that test their own clients or servers: record an exchange (however it was made) and
ask whether the spec of one of mockgate's APIs allows it. The operation is found from the method
and the URL's path; the URL's host is ignored, so a pair recorded against a mock on any port is
judged against the spec. openapi-core judges parameters, bodies, statuses and headers.

What a recorded pair leaves out is not judged (a client test rarely records its credential, and
never the server's every header), so each part is judged as far as it was given:

- the URL's path and query, the status and the response body: always (``response_body=None``
  is a response without a body);
- the request's security: with ``security="auto"`` (the default) only when the request carries
  some credential the spec's security schemes name (a header, query parameter or cookie), with
  ``True`` always, with ``False`` never. A credential is judged by where it is and its form
  (``Authorization: Bearer <token>``), never by its value;
- the request body: only when ``request_body`` is given (``b""`` is an empty body sent);
- the response headers: only when ``response_headers`` is given.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.request import (
    V30RequestBodyValidator,
    V30RequestParametersValidator,
)
from openapi_core.validation.request.exceptions import (
    MissingParameterError,
    ParameterValidationError,
    RequestBodyValidationError,
)
from openapi_core.validation.response import V30ResponseDataValidator
from openapi_core.validation.response.exceptions import (
    DataValidationError,
    HeaderValidationError,
    MissingHeaderError,
)

from mockgate.core.cookies import cookie_values
from mockgate.openapi.catalog import ApiSpec, get_api
from mockgate.openapi.routes import RouteTable

__all__ = ["ContractViolation", "Headers", "Security", "assert_conforms", "exchange_errors"]

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
"""A dict (any mapping: httpx's, requests') or a list of ``(name, value)`` pairs."""

Security = Literal["auto"] | bool
"""Whether the request's credentials are judged: ``"auto"`` when it carries any, or always/never."""


class ContractViolation(AssertionError):
    """A recorded exchange the spec does not allow."""


def assert_conforms(
    api: str,
    *,
    method: str,
    url: str,
    status: int,
    response_body: Any = None,
    response_headers: Headers | None = None,
    request_headers: Headers | None = None,
    request_body: Any = None,
    security: Security = "auto",
) -> None:
    """Raise ``ContractViolation`` naming the operation and every way the exchange departs
    from ``api``'s spec, each once. See ``exchange_errors`` for the arguments."""
    __tracebackhide__ = True  # pytest shows the caller's line, not this one
    errors = exchange_errors(
        api,
        method=method,
        url=url,
        status=status,
        response_body=response_body,
        response_headers=response_headers,
        request_headers=request_headers,
        request_body=request_body,
        security=security,
    )
    if errors:
        exchange = f"{method.upper()} {url} -> {status}"
        route = _checker(api).routes.match(method, urlsplit(url).path or "/")
        where = (
            f"{exchange} ({route.operation_id}, {route.method} {route.template})"
            if route
            else exchange
        )
        lines = "".join(f"\n  - {error}" for error in errors)
        raise ContractViolation(f"{where} does not conform to the {api} spec:{lines}")


def exchange_errors(
    api: str,
    *,
    method: str,
    url: str,
    status: int,
    response_body: Any = None,
    response_headers: Headers | None = None,
    request_headers: Headers | None = None,
    request_body: Any = None,
    security: Security = "auto",
) -> list[str]:
    """Every way the exchange departs from ``api``'s spec, each once and starting with the side
    it is on (``request ...``, ``response ...``); empty when it conforms.

    ``url`` is absolute or a path, with its query. Bodies are bytes, JSON text or parsed JSON
    (a dict, a list...). What is judged when: see the module's docstring.
    """
    if security not in ("auto", True, False):
        raise ValueError(f"security={security!r}: use 'auto', True or False")
    checker = _checker(api)
    parts = urlsplit(url)
    path = parts.path or "/"
    route = checker.routes.match(method, path)
    if route is None:
        return [checker.not_in_spec(method.upper(), path)]
    headers = _header_dict(request_headers)
    request = MockRequest(
        checker.host_url,
        route.method.lower(),  # HEAD is judged as the GET it is served by
        path,
        args=parse_qs(parts.query, keep_blank_values=True),
        headers=headers,
        cookies=_cookies(headers.get("cookie", "")),
        data=_bytes(request_body),
        content_type=headers.get("content-type", "application/json"),
    )
    operation = checker.spec.operation(route.method, route.template)
    errors = checker.security_errors(operation, request.parameters, security)
    errors += _collect("request", lambda: checker.parameters.iter_request_errors(request))
    if request_body is not None:
        errors += _collect("request", lambda: checker.body.iter_request_errors(request))
    errors += checker.response_errors(operation, request, status, response_body, response_headers)
    return list(dict.fromkeys(errors))


@dataclass(frozen=True)
class _Scheme:
    """Where one security scheme's credential goes, and what form it takes there."""

    name: str
    location: str  # header, query or cookie
    key: str  # the header, parameter or cookie name
    auth: str = ""  # the Authorization header's scheme (bearer, basic); "" for an apiKey

    @classmethod
    def from_spec(cls, name: str, spec: Mapping[str, Any]) -> _Scheme:
        if spec.get("type") == "apiKey":
            return cls(name, spec["in"], spec["name"])
        # http schemes, and oauth2/openIdConnect, whose tokens travel as bearer tokens
        auth = str(spec.get("scheme", "bearer")).lower() if spec.get("type") == "http" else ""
        return cls(name, "header", "Authorization", auth or "bearer")

    def carried(self, parameters: Any) -> bool:
        """Whether the request has anything where this credential goes (in any form)."""
        if self.location == "cookie":
            # next-auth's cookie takes a __Secure- prefix on HTTPS
            names = (self.key, f"__Secure-{self.key}")
            return bool(cookie_values([parameters.header.get("cookie", "")], names))
        return self.key in self._source(parameters)

    def met(self, parameters: Any) -> bool:
        """Whether the request carries this credential in its form (any value)."""
        if self.location == "header" and self.key == "Authorization":
            auth, _, token = str(parameters.header.get("authorization", "")).partition(" ")
            return auth.lower() == self.auth and bool(token.strip())
        if self.location == "cookie":
            return self.carried(parameters)
        return bool(self._source(parameters).get(self.key))

    def describe(self) -> str:
        if self.location == "header" and self.key == "Authorization":
            return f"{self.name} (Authorization: {self.auth.title()} …)"
        return f"{self.name} ({self.location} {self.key})"

    def _source(self, parameters: Any) -> Any:
        return parameters.query if self.location == "query" else parameters.header


class _Checker:
    """One API's spec as the checks need it, built once per API."""

    def __init__(self, spec: ApiSpec) -> None:
        self.spec = spec
        self.routes = RouteTable.from_spec(spec.resolved)
        self.templates = list(spec.resolved.get("paths", {}))
        servers = spec.document.get("servers") or [{"url": "http://localhost"}]
        self.host_url: str = servers[0]["url"]  # openapi-core matches the spec's own server
        self.default_security = spec.resolved.get("security")
        schemes = spec.resolved.get("components", {}).get("securitySchemes", {})
        self.schemes = {name: _Scheme.from_spec(name, s) for name, s in schemes.items()}
        # The bundled specs are checked by their own tests; None is openapi-core's "no spec
        # check" (OpenAPI.check_spec tests for it), which Config's annotation leaves out.
        config = Config(spec_validator_cls=None)  # type: ignore[arg-type]
        self.response = OpenAPI.from_dict(spec.resolved, config=config)

        def view(**validators: Any) -> OpenAPI:
            return OpenAPI(self.response.spec, config=replace(config, **validators))

        # Security is judged here rather than by openapi-core (see security_errors), the body
        # only when given: so each part of the request has its own validator.
        self.parameters = view(request_validator_cls=V30RequestParametersValidator)
        self.body = view(request_validator_cls=V30RequestBodyValidator)
        self.response_data = view(response_validator_cls=V30ResponseDataValidator)

    def not_in_spec(self, method: str, path: str) -> str:
        """Why ``method path`` is no operation of the spec, with the paths close to it."""
        allowed = self.routes.allowed(path)
        if allowed:
            return f"request: {path} has no {method} operation (it allows {', '.join(allowed)})"
        close = _closest(path, self.templates)
        hint = (
            f"closest: {', '.join(close)}"
            if close
            else f"`mockgate specs show {self.spec.name}` lists them"
        )
        return f"request: no path of the spec matches {path} ({hint})"

    def security_errors(
        self, operation: Mapping[str, Any], parameters: Any, security: Security
    ) -> list[str]:
        """The one problem with the request's credentials, if they are judged and wanting."""
        requirements = operation.get("security", self.default_security) or []
        if security is False or not requirements or any(not r for r in requirements):
            return []  # not judged, or a public operation
        alternatives = [[self.schemes[name] for name in r] for r in requirements]
        if security == "auto" and not any(s.carried(parameters) for s in self.schemes.values()):
            return []
        if any(all(s.met(parameters) for s in alternative) for alternative in alternatives):
            return []
        wanted = " or ".join(" and ".join(s.describe() for s in a) for a in alternatives)
        where = (
            "request_headers=…"
            if all(s.location != "query" for a in alternatives for s in a)
            else "request_headers=… or the url's query"
        )
        return [
            f"request: no credential for security scheme {wanted}: pass {where} or security=False"
        ]

    def response_errors(
        self,
        operation: Mapping[str, Any],
        request: MockRequest,
        status: int,
        body: Any,
        headers: Headers | None,
    ) -> list[str]:
        declared = operation.get("responses", {})
        code = str(status)
        if not any(key in declared for key in (code, f"{code[0]}XX", "default")):
            return [
                f"response: status {status} is not declared for {operation['operationId']} "
                f"(declared: {', '.join(declared)})"
            ]
        given = _header_dict(headers)
        response = MockResponse(
            _bytes(body) or b"",
            status,
            headers=given,
            content_type=given.get("content-type", "application/json"),
        )
        openapi = self.response_data if headers is None else self.response
        return _collect("response", lambda: openapi.iter_response_errors(request, response))


@cache
def _checker(api: str) -> _Checker:
    return _Checker(get_api(api))


def _closest(path: str, templates: list[str]) -> list[str]:
    """The (at most three) templates most like ``path``, each compared with its parameters
    filled from ``path`` (``/api/sessions/{id}`` as ``/api/sessions/sess_1``)."""
    segments = path.split("/")

    def filled(template: str) -> str:
        parts = template.split("/")
        return "/".join(
            segments[i] if part.startswith("{") and i < len(segments) else part
            for i, part in enumerate(parts)
        )

    scores = [(difflib.SequenceMatcher(None, path, filled(t)).ratio(), t) for t in templates]
    ranked = sorted((s for s in scores if s[0] >= 0.6), key=lambda s: -s[0])  # stable: spec order
    return [template for _, template in ranked[:3]]


def _header_dict(headers: Headers | None) -> dict[str, str]:
    """Lower-case names; a repeated header's values joined as HTTP joins them."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    joined: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        separator = "; " if key == "cookie" else ", "
        joined[key] = f"{joined[key]}{separator}{value}" if key in joined else str(value)
    return joined


def _bytes(body: Any) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def _cookies(header: str) -> dict[str, str]:
    pairs = (part.partition("=") for part in header.split(";"))
    return {name.strip(): value.strip() for name, sep, value in pairs if sep}


def _collect(side: str, errors: Callable[[], Iterable[BaseException]]) -> list[str]:
    """Every problem ``errors`` yields, as lines. openapi-core raises, rather than reports, on
    some malformed input (a body that is not UTF-8 or not JSON): that is a problem too."""
    found: list[str] = []
    try:
        for error in errors():
            found += _describe(side, error)
    except (ValueError, TypeError, LookupError, RecursionError) as exc:
        found.append(f"{side}: could not be checked ({type(exc).__name__}: {exc})")
    return found


def _describe(side: str, error: BaseException) -> list[str]:
    """openapi-core's ``error`` as one line per problem, each saying where: ``request query
    parameter limit: ...``, ``response body at sessions/0/id: 7 is not of type 'string'``."""
    where = f"{side} {_where(error)}".rstrip()
    cause: BaseException | None = error
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            return [
                f"{where} at {'/'.join(map(str, e.absolute_path))}: {e.message}"
                if e.absolute_path
                else f"{where}: {e.message}"
                for e in schema_errors
            ]
        cause = cause.__cause__
    if isinstance(error, MissingParameterError | MissingHeaderError):
        return [f"{where}: required, missing"]  # openapi-core's text would name it again
    # openapi-core's own text often repeats its cause's: say the cause alone when there is one.
    return [f"{where}: {error.__cause__ if error.__cause__ is not None else error}"]


def _where(error: BaseException) -> str:
    if isinstance(error, ParameterValidationError):
        return f"{error.location} parameter {error.name}"
    if isinstance(error, RequestBodyValidationError | DataValidationError):
        return "body"
    if isinstance(error, HeaderValidationError):
        return f"header {error.name}"
    return ""
