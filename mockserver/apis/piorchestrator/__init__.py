"""The PiOrchestrator mock. For now every operation answers with its spec's example (live
sessions, evidence and generated images are the next issue); errors already have the
documented envelope. The config-UI port needs no credentials."""

from __future__ import annotations

from typing import Any

from mockserver.errors import ApiError
from mockserver.plugin import MockApi, RequestInfo
from mockserver.timestamps import format_timestamp

__all__ = ["API", "PiOrchestrator"]

_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
    503: "SERVICE_UNAVAILABLE",
}


class PiOrchestrator(MockApi):
    name = "piorchestrator"

    def error_body(self, error: ApiError, request: RequestInfo) -> dict[str, Any]:
        body: dict[str, Any] = {
            "success": False,
            "status": "error",
            "error": error.message,
            "code": _CODES.get(error.status, f"HTTP_{error.status}"),
        }
        if error.details:
            body["details"] = {d.path: d.message for d in error.details}
        body["timestamp"] = format_timestamp(request.now)
        return body

    def credentials_help(self, ctx: Any) -> list[str]:
        return ["no credentials (config-UI port)"]


API = PiOrchestrator()
