"""One request and its response, as the semantic checks and the reports see it."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Exchange"]


@dataclass(frozen=True)
class Exchange:
    """A request to one operation and what came back."""

    operation_id: str
    method: str
    path: str  # the path template, e.g. /api/sessions/{id}
    url: str  # the full URL that was requested
    status: int
    response_headers: Mapping[str, str]  # lower-case names
    content: bytes
    query: Mapping[str, Any] = field(default_factory=dict)
    path_params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None

    @cached_property
    def json(self) -> Any:
        """The response body parsed as JSON, or None when it is not JSON."""
        if "json" not in self.content_type:
            return None
        try:
            return json.loads(self.content)
        except ValueError:
            return None

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "").split(";")[0].strip().lower()

    def curl(self) -> str:
        """A ready-to-run ``curl`` command that sends this request again."""
        parts = ["curl", "-sS", "-i", "-X", self.method]
        for name, value in self.headers.items():
            parts += ["-H", f"{name}: {value}"]
        if self.body is not None:
            payload = self.body if isinstance(self.body, str) else json.dumps(self.body)
            if not any(n.lower() == "content-type" for n in self.headers):
                parts += ["-H", "Content-Type: application/json"]
            parts += ["--data-raw", payload]
        parts.append(self.url)
        return shlex.join(parts)

    def describe(self) -> str:
        """``GET /api/sessions?limit=5 -> 200``."""
        url = urlsplit(self.url)
        target = f"{url.path}?{url.query}" if url.query else url.path
        return f"{self.method} {target} -> {self.status}"
