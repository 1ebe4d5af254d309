"""The state-tracking mock. For now every operation answers with its spec's example (the
stateful sessions, tasks, machines, rate limits and recovery are the next issue); errors and
authentication already behave as documented."""

from __future__ import annotations

from typing import Any

from mockserver.errors import ApiError
from mockserver.plugin import MockApi, RequestInfo
from mockserver.timestamps import format_timestamp

__all__ = ["API", "StateTracking"]

# The document's error codes by status; statuses it does not list borrow the nearest code.
_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "not_found",
    409: "conflict",
    413: "validation_error",
    429: "rate_limit_exceeded",
    500: "internal_error",
    501: "internal_error",
    503: "service_unavailable",
    504: "timeout",
}


class StateTracking(MockApi):
    name = "state-tracking"

    def default_keys(self) -> tuple[str, ...]:
        return ("st_mockgate_dev_key",)

    def error_body(self, error: ApiError, request: RequestInfo) -> dict[str, Any]:
        code = _CODES.get(
            error.status, "internal_error" if error.status >= 500 else "validation_error"
        )
        body: dict[str, Any] = {"statusCode": error.status, "error": code, "message": error.message}
        if error.status == 400:
            # The documented validation envelope always lists what failed.
            body["details"] = [str(d) for d in error.details] or [error.message]
        body |= {
            "request_id": request.request_id,
            "timestamp": format_timestamp(request.now),
            "path": request.path,
        }
        return body

    def credentials_help(self, ctx: Any) -> list[str]:
        return [f"Authorization: Bearer {k}  or  X-API-Key: {k}" for k in ctx.api_keys]


API = StateTracking()
