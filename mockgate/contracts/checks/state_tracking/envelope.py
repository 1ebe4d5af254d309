"""`error_envelope`: every error answer of the state-tracking API is its documented error
envelope, with the code the document's "Error Codes" table gives the status."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from mockgate.contracts.checks.state_tracking.answers import API
from mockgate.contracts.checks.support import parse_instant
from mockgate.contracts.registry import NotApplicable, response_check
from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.exchange import Exchange

__all__ = ["ERROR_CODES", "error_envelope"]

# The document's "Error Codes" table: HTTP status -> the envelope's `error` code.
ERROR_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    429: "rate_limit_exceeded",
    500: "internal_error",
    503: "service_unavailable",
    504: "timeout",
}


@response_check("error_envelope", apis=API)
def error_envelope(exchange: Exchange, api: ApiSpec) -> Iterator[str]:
    """Every 4xx/5xx JSON body is the API's error envelope: `statusCode` equal to the HTTP
    status, `error` the code the document's table gives that status (`validation_error` 400,
    `unauthorized` 401, `forbidden` 403, `not_found` 404, `conflict` 409,
    `rate_limit_exceeded` 429, `internal_error` 500, `service_unavailable` 503, `timeout`
    504; for a status the table does not list, any non-empty string), a string `message`, a
    string `request_id` (equal to the `X-Request-Id` header when both are non-empty), an
    RFC 3339 `timestamp` and `path`, the path that was requested; and `details`, a list of
    strings, on the 400s whose declared response requires it (input validation; state-rule
    400s such as a heartbeat of a finished session may leave it out).

    `path` may carry the query string (NestJS reports `request.url`) and may lack a prefix a
    reverse proxy strips (it must still be a path of the operation); percent-encoding is
    ignored. Bodies that are not JSON are not judged, nor statuses whose declared body is not
    the envelope (the `503` of `/health/ready`).
    """
    body = exchange.json
    if exchange.status < 400 or body is None:
        raise NotApplicable
    declared = _declared_schema(api, exchange)
    if declared is not None and "statusCode" not in _properties(declared):
        raise NotApplicable  # the operation declares its own body for this status
    if not isinstance(body, Mapping):
        yield f"the {exchange.status} body is {type(body).__name__}, not the error envelope"
        return
    yield from _envelope_problems(exchange, body, declared)


def _envelope_problems(
    exchange: Exchange, body: Mapping[str, Any], declared: Mapping[str, Any] | None
) -> Iterator[str]:
    status = exchange.status
    missing = [
        name
        for name in ("statusCode", "error", "message", "request_id", "timestamp", "path")
        if name not in body
    ]
    if missing:
        yield f"the {status} envelope lacks {', '.join(missing)}"
    code = body.get("statusCode")
    if "statusCode" in body and (isinstance(code, bool) or code != status):
        yield f"statusCode is {code!r}, but the HTTP status is {status}"
    error = body.get("error")
    expected = ERROR_CODES.get(status)
    if "error" in body:
        if expected is not None and error != expected:
            yield f"error is {error!r}; the document's code for {status} is {expected!r}"
        elif expected is None and (not isinstance(error, str) or not error):
            yield f"error is {error!r}, not a non-empty error code"
    if "message" in body and not isinstance(body["message"], str):
        yield f"message is {body['message']!r}, not a string"
    request_id = body.get("request_id")
    if "request_id" in body and not isinstance(request_id, str):
        yield f"request_id is {request_id!r}, not a string"
    header = exchange.response_headers.get("x-request-id")
    if isinstance(request_id, str) and request_id and header and header != request_id:
        yield f"request_id is {request_id!r}, but the X-Request-Id header is {header!r}"
    if "timestamp" in body and parse_instant(body["timestamp"]) is None:
        yield f"timestamp {body['timestamp']!r} is not an RFC 3339 date-time"
    if "path" in body and not _same_path(exchange, body["path"]):
        requested = urlsplit(exchange.url).path
        yield f"path is {body['path']!r}, but the request was for {requested!r}"
    details = body.get("details")
    if declared is not None and "details" in _required(declared) and "details" not in body:
        yield (
            f"a {status} for invalid input has no details (the declared response requires the "
            "list of problems)"
        )
    elif "details" in body and (
        not isinstance(details, list) or not all(isinstance(d, str) for d in details)
    ):
        yield f"details is {details!r}, not a list of strings"


def _declared_schema(api: ApiSpec, exchange: Exchange) -> dict[str, Any] | None:
    try:
        responses = api.operation_by_id(exchange.operation_id).get("responses", {})
    except KeyError:
        return None
    response = responses.get(str(exchange.status))
    if not isinstance(response, Mapping):
        return None
    for media, content in response.get("content", {}).items():
        if "json" in media and isinstance(content.get("schema"), Mapping):
            return dict(content["schema"])
    return None


def _properties(schema: Mapping[str, Any]) -> set[str]:
    found = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        found |= _properties(part)
    return found


def _required(schema: Mapping[str, Any]) -> set[str]:
    found = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        found |= _required(part)
    return found


def _same_path(exchange: Exchange, reported: Any) -> bool:
    if not isinstance(reported, str):
        return False
    requested = unquote(urlsplit(exchange.url).path)
    candidates = {unquote(reported), unquote(reported.split("?", 1)[0])}
    if requested in candidates:
        return True
    # Behind a proxy that strips a prefix, the server sees (and reports) the path without it.
    pattern = re.compile("^" + re.sub(r"\\\{[^}/]+\\\}", "[^/]+", re.escape(exchange.path)) + "$")
    return any(c.startswith("/") and requested.endswith(c) and pattern.match(c) for c in candidates)
