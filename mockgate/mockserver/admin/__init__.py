"""The admin API every mock carries under ``/__mockgate``: its spec and its handlers."""

from __future__ import annotations

from pathlib import Path

from mockgate.mockserver.admin import handlers as admin_handlers
from mockgate.openapi.catalog import ApiSpec

__all__ = ["ADMIN", "admin_handlers"]

ADMIN = ApiSpec(name="mockgate-admin", path=Path(__file__).parent / "admin.yaml")
