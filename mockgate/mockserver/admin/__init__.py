"""The admin API every mock carries under ``/__mockgate``: its spec and its handlers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mockgate.core.errors import ApiError, RequestInfo
from mockgate.mockserver.admin import handlers as admin_handlers
from mockgate.openapi.catalog import ApiSpec

__all__ = ["ADMIN", "admin_error_body", "admin_handlers"]

ADMIN = ApiSpec(name="mockgate-admin", path=Path(__file__).parent / "admin.yaml")


def admin_error_body(error: ApiError, request: RequestInfo) -> dict[str, Any]:
    """The admin API's error shape: ``{"error", "status"}``, ``details`` for invalid fields."""
    body: dict[str, Any] = {"error": error.message, "status": error.status}
    if error.details:
        body["details"] = [{"path": d.path, "message": d.message} for d in error.details]
    return body
