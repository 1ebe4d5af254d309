"""Each proxied exchange judged by openapi-core against one bundled spec.

openapi-core reads requests and responses through small protocols; ``ProxiedRequest`` and
``ProxiedResponse`` are those protocols over what the proxy has at hand (raw bytes, Starlette's
case-insensitive headers and multi-value query). Everything costly (the spec, its validators,
the route table) is built once, by ``SpecValidator.from_api``.

Bodies are validated when they are JSON or text. Any other body (an image, an octet stream) is
checked for its status, its content type and the declared headers only: its bytes are the
upstream's business, and they pass through untouched.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.exceptions import (
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)
from openapi_core.validation.response import V30ResponseHeadersValidator
from openapi_core.validation.response.exceptions import (
    DataValidationError,
    HeaderValidationError,
)
from starlette.datastructures import Headers, QueryParams

from mockgate.core.cookies import cookie_values
from mockgate.openapi.catalog import ApiSpec, get_api
from mockgate.openapi.routes import Route, RouteTable

__all__ = [
    "ProxiedRequest",
    "ProxiedResponse",
    "SpecValidator",
    "describe_error",
    "is_textual",
    "media_type",
]


def media_type(content_type: str) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return content_type.split(";", 1)[0].strip().lower()


def is_textual(content_type: str) -> bool:
    """Whether a body of this type is validated (JSON or text) rather than passed as bytes."""
    kind = media_type(content_type)
    return kind.startswith("text/") or kind == "application/json" or kind.endswith("+json")


@dataclass
class ProxiedRequest:
    """openapi-core's ``Request`` protocol over a request the proxy received.

    Not frozen: the protocol declares ``parameters`` a settable attribute (openapi-core fills in
    ``parameters.path`` once it has matched the route)."""

    host_url: str
    path: str
    method: str  # lower case, as openapi-core expects
    parameters: RequestParameters
    body: bytes | None
    content_type: str

    @classmethod
    def build(
        cls,
        host_url: str,
        method: str,
        path: str,
        query: str,
        headers: Headers,
        body: bytes,
    ) -> ProxiedRequest:
        cookies = _cookies(headers.getlist("cookie"))
        return cls(
            host_url=host_url,
            path=path,
            method=method.lower(),
            parameters=RequestParameters(query=QueryParams(query), header=headers, cookie=cookies),
            body=body or None,
            content_type=headers.get("content-type", ""),
        )


@dataclass(frozen=True)
class ProxiedResponse:
    """openapi-core's ``Response`` protocol over the upstream's answer (body decoded)."""

    status_code: int
    headers: Headers
    data: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class SpecValidator:
    """openapi-core's validators for one API, built once and reused for every exchange."""

    def __init__(self, spec: ApiSpec) -> None:
        self.spec = spec
        self.routes = RouteTable.from_spec(spec.resolved)
        # openapi-core finds the operation from the full URL: the spec's own server, whatever
        # host the client used to reach the proxy.
        servers = spec.document.get("servers") or [{"url": "http://localhost"}]
        self.host_url: str = servers[0]["url"]
        # The bundled specs are checked by `mockgate specs validate` (and the test suite):
        # openapi-core need not check them again at every start.
        # None is openapi-core's documented "no spec check" (OpenAPI.check_spec tests for it),
        # but Config's annotation leaves None out.
        unchecked = Config(spec_validator_cls=None)  # type: ignore[arg-type]  # see above
        self._openapi = OpenAPI.from_dict(spec.resolved, config=unchecked)
        # A second view of the same (already checked) spec that validates a response's status
        # and headers but not its body: for bodies that are not JSON or text.
        self._headers_only = OpenAPI(
            self._openapi.spec,
            config=replace(unchecked, response_validator_cls=V30ResponseHeadersValidator),
        )

    @classmethod
    def from_api(cls, api: str) -> SpecValidator:
        validator = cls(get_api(api))
        validator.precompile()
        return validator

    def precompile(self) -> None:
        """Build openapi-core's validators now rather than on the first exchange."""
        for openapi in (self._openapi, self._headers_only):
            _ = openapi.request_validator, openapi.response_validator

    def route(self, method: str, path: str) -> Route | None:
        """The operation ``method path`` is for, or None when the spec has no such operation."""
        return self.routes.match(method, path)

    def not_in_spec(self, method: str, path: str) -> str:
        """Why ``method path`` is no operation of the spec, in one sentence."""
        allowed = self.routes.allowed(path)
        if allowed:
            return (
                f"{method} {path} is not in the {self.spec.name} spec: "
                f"{path} allows {', '.join(allowed)}"
            )
        return f"{method} {path} is not in the {self.spec.name} spec: no such path"

    def request_errors(self, request: ProxiedRequest) -> list[str]:
        """Every way ``request`` departs from its operation (empty when it conforms)."""
        return _collect(lambda: self._openapi.iter_request_errors(request))

    def response_errors(
        self, request: ProxiedRequest, response: ProxiedResponse, route: Route
    ) -> list[str]:
        """Every way ``response`` departs from what ``route`` declares (empty when it conforms)."""
        if not is_textual(response.content_type):
            found = _collect(lambda: self._headers_only.iter_response_errors(request, response))
            return found + self._undeclared_media_type(route, response)
        return _collect(lambda: self._openapi.iter_response_errors(request, response))

    def declares(self, route: Route, status: int) -> bool:
        """Whether ``route``'s operation declares a response for ``status`` (the status
        itself, its ``NXX`` range or ``default``)."""
        responses = self.spec.operation(route.method, route.template).get("responses", {})
        code = str(status)
        return any(key in responses for key in (code, f"{code[0]}XX", "default"))

    def _undeclared_media_type(self, route: Route, response: ProxiedResponse) -> list[str]:
        declared = _declared_media_types(
            self.spec.operation(route.method, route.template), response.status_code
        )
        actual = media_type(response.content_type)
        if not declared or any(fnmatch.fnmatch(actual, pattern) for pattern in declared):
            return []
        return [
            f"Content-Type {actual or '(none)'} is not declared for {response.status_code} "
            f"(declared: {', '.join(declared)})"
        ]


def _declared_media_types(operation: Mapping[str, Any], status: int) -> list[str]:
    responses = operation.get("responses", {})
    code = str(status)
    for key in (code, f"{code[0]}XX", "default"):
        if key in responses:
            return list(responses[key].get("content", {}))
    return []


def _cookies(headers: list[str]) -> dict[str, str]:
    """Every cookie by name (its first value), parsed as the mocks parse them."""
    names = {
        pair.partition("=")[0].strip() for h in headers for pair in h.split(";") if "=" in pair
    }
    return {name: found[0] for name in names if name and (found := cookie_values(headers, (name,)))}


def _collect(errors: Callable[[], Iterable[BaseException]]) -> list[str]:
    """Every problem ``errors`` yields. openapi-core raises, rather than reports, on some
    malformed input (a body that is not UTF-8, JSON nested too deep for Python, a garbled
    Content-Type): that becomes a problem too, never a failure of the proxy."""
    found: list[str] = []
    try:
        for error in errors():
            found += describe_error(error)
    except (ValueError, TypeError, LookupError, RecursionError) as exc:
        found.append(
            f"could not be checked: openapi-core failed on it ({type(exc).__name__}: {exc})"
        )
    return found


def describe_error(error: BaseException) -> list[str]:
    """openapi-core's ``error`` as one line per problem, each saying where: ``query parameter
    limit: ...``, ``body at sessions/0/id: 7 is not of type 'string'``, ``credentials: ...``."""
    where = _where(error)
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
    text = str(error.__cause__) if error.__cause__ is not None else str(error)
    text = text.removeprefix(f"{type(error).__name__}: ")
    return [f"{where}: {text}" if where else text]


def _where(error: BaseException) -> str:
    if isinstance(error, ParameterValidationError):
        return f"{error.location} parameter {error.name}"
    if isinstance(error, RequestBodyValidationError):
        return "request body"
    if isinstance(error, SecurityValidationError):
        return "credentials"
    if isinstance(error, HeaderValidationError):
        return f"header {error.name}"
    if isinstance(error, DataValidationError):
        return "body"
    return ""  # e.g. an undeclared status: its message says it all
