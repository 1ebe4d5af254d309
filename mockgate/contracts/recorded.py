"""Contract assertions inside ordinary tests: is this request/response pair what the spec says?

For repos that test their own clients or servers: record an exchange (however it was made) and
ask openapi-core whether the spec of one of mockgate's APIs allows it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from mockgate.openapi.catalog import get_api

__all__ = ["ContractViolation", "assert_conforms", "exchange_errors"]


class ContractViolation(AssertionError):
    """A recorded exchange the spec does not allow."""


@cache
def _openapi(api: str) -> OpenAPI:
    return OpenAPI.from_dict(get_api(api).resolved)


def exchange_errors(
    api: str,
    *,
    method: str,
    url: str,
    status: int,
    response_body: Any = None,
    response_headers: Mapping[str, str] | None = None,
    request_body: Any = None,
    request_headers: Mapping[str, str] | None = None,
) -> list[str]:
    """Every way the exchange departs from ``api``'s spec (empty when it conforms).

    ``url`` may be absolute or a path; bodies may be bytes, text or JSON-able values.
    """
    parts = urlsplit(url)
    host = get_api(api).document["servers"][0]["url"]
    args = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(parts.query).items()}
    headers = {k.lower(): v for k, v in (request_headers or {}).items()}
    request = MockRequest(
        host,
        method.lower(),
        parts.path or "/",
        args=args,
        headers=headers,
        cookies=_cookies(headers.get("cookie", "")),
        data=_bytes(request_body),
        content_type=headers.get("content-type", "application/json"),
    )
    response_hdrs = dict(response_headers or {})
    content_type = next(
        (v for k, v in response_hdrs.items() if k.lower() == "content-type"), "application/json"
    )
    response = MockResponse(
        _bytes(response_body) or b"", status, headers=response_hdrs, content_type=content_type
    )
    openapi = _openapi(api)
    errors = [_describe(e) for e in openapi.iter_request_errors(request)]
    errors += [_describe(e) for e in openapi.iter_response_errors(request, response)]
    return errors


def assert_conforms(api: str, **exchange: Any) -> None:
    """Raise ``ContractViolation`` listing every way the exchange departs from the spec."""
    errors = exchange_errors(api, **exchange)
    if errors:
        where = f"{exchange.get('method', '?').upper()} {exchange.get('url', '?')}"
        raise ContractViolation(f"{where} -> {exchange.get('status')}:\n  " + "\n  ".join(errors))


def _bytes(body: Any) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def _cookies(header: str) -> dict[str, str]:
    pairs = (part.partition("=") for part in header.split(";"))
    return {name.strip(): value.strip() for name, sep, value in pairs if sep}


def _describe(error: Exception) -> str:
    """openapi-core's error, with the schema failures behind it spelled out one by one."""
    cause: BaseException | None = error
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            details = [
                f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                for e in schema_errors
            ]
            return f"{type(error).__name__}: " + "; ".join(details)
        cause = cause.__cause__
    messages = [str(error)]
    if error.__cause__ is not None:
        messages.append(str(error.__cause__))
    return ": ".join(messages)
