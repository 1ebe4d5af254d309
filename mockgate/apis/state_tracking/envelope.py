"""The API's error envelope: ``statusCode``, ``error`` code, ``message``, ``details`` (for
validation), ``request_id`` (also in ``X-Request-Id``), ``timestamp``, ``path``; and
``retry_after`` on 429.

Two refinements over the bare envelope:

- a 400 for a *state rule* (``StateRuleError``: heartbeat of a finished session, an illegal
  task transition...) carries no ``details``, which the spec's ``InvalidState`` response allows;
  every other 400 lists what failed (``details`` falls back to the message);
- ``/health/ready`` answers 503 with its own documented body (``ready: false``,
  ``database: "disconnected"``), not the envelope, so a fault injected on ``getReadiness``
  (``{"operation": "getReadiness", "status": 503}``) looks exactly like the documented outage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockgate.core.errors import ApiError, RequestInfo
from mockgate.core.timestamps import format_timestamp

__all__ = ["StateRuleError", "error_body"]

READINESS_PATH = "/health/ready"

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


@dataclass(frozen=True)
class StateRuleError(ApiError):
    """A 400 for a request the resource's current state does not allow."""


def error_body(error: ApiError, request: RequestInfo) -> dict[str, Any]:
    """``error`` in the API's envelope (see the module)."""
    stamp = format_timestamp(request.now)
    if error.status == 503 and request.path == READINESS_PATH:
        return {"ready": False, "timestamp": stamp, "database": "disconnected"}
    code = _CODES.get(error.status, "internal_error" if error.status >= 500 else "validation_error")
    body: dict[str, Any] = {"statusCode": error.status, "error": code, "message": error.message}
    if error.status == 400 and not isinstance(error, StateRuleError):
        # The documented validation envelope always lists what failed.
        body["details"] = [str(d) for d in error.details] or [error.message]
    body |= {"request_id": request.request_id, "timestamp": stamp, "path": request.path}
    retry_after = error.headers.get("Retry-After")
    if error.status == 429 and retry_after is not None and retry_after.isdigit():
        body["retry_after"] = int(retry_after)
    return body
