"""The PiOrchestrator mock: live camera sessions, evidence captures with real JPEGs, the image
proxy, and the degradations the dashboard must survive. The config-UI port needs no
credentials.

Store: ``sessions`` (internal records, see ``sessions``), ``captures`` (``EvidenceCapture``
records without ``image_data``, see ``captures``), ``live`` (the demo's spawner, see ``live``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from mockgate.apis.base import MockApi, RequestGuard
from mockgate.apis.context import MockContext
from mockgate.apis.piorchestrator import dataset as seed_data
from mockgate.apis.piorchestrator import handlers, stamps
from mockgate.apis.piorchestrator.degradation import SCENARIOS
from mockgate.apis.piorchestrator.guards import key_guard, unregistered_routes
from mockgate.core.errors import ApiError, RequestInfo
from mockgate.core.store import Snapshot

__all__ = ["API", "PiOrchestrator"]

_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
    503: "SERVICE_UNAVAILABLE",
}


class PiOrchestrator(MockApi):
    name = "piorchestrator"
    handlers = handlers
    record_schemas: ClassVar[dict[str, str]] = {"captures": "EvidenceCapture"}
    internal_collections: ClassVar[tuple[str, ...]] = ("sessions", "live")
    scenarios: ClassVar[dict[str, str]] = SCENARIOS

    def seed(self, dataset: str, seed: int, now: datetime) -> Snapshot:
        if dataset == "empty":
            return seed_data.empty()
        if dataset == "docs":
            return seed_data.docs()
        return seed_data.demo(seed, now)

    def error_body(self, error: ApiError, request: RequestInfo) -> dict[str, Any]:
        """``{success: false, status: "error", error, code, details?, timestamp}``; ``details``
        names the offending parameter and says what is wrong where the message does not
        (``{"parameter": "limit", "query.limit": "'abc' is not of type 'integer'"}``)."""
        body: dict[str, Any] = {
            "success": False,
            "status": "error",
            "error": error.message,
            "code": _CODES.get(error.status, f"HTTP_{error.status}"),
        }
        if error.details:
            names = {d.path.rpartition(".")[2] for d in error.details if d.path}
            details: dict[str, Any] = {"parameter": names.pop()} if len(names) == 1 else {}
            details |= {
                d.path or "request": d.message for d in error.details if d.message != error.message
            }
            if details:
                body["details"] = details
        body["timestamp"] = stamps.stamp(request.now)
        return body

    def guards(self, ctx: MockContext) -> list[RequestGuard]:
        return [unregistered_routes(ctx), key_guard]

    def credentials_help(self, ctx: MockContext) -> list[str]:
        return ["no credentials (config-UI port)"]


API = PiOrchestrator()
