"""The admin API every mock carries under ``/__mockgate``: its spec and its handlers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mockserver.admin import handlers as admin_handlers

__all__ = ["ADMIN_SPEC", "admin_handlers"]

ADMIN_SPEC: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "admin.yaml").read_text(encoding="utf-8")
)
