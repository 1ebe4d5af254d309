"""One request and its response, as the semantic checks and the reports see it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from mockgate.reports.curl import curl_command
from mockgate.reports.secrets import Secrets

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
    # The request body's bytes as sent, when known: the reproduction sends exactly them.
    request_content: bytes | None = None

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

    def curl(self, secrets: Secrets | None = None) -> str:
        """A ``curl`` command that sends this request again, ``secrets`` read from their
        environment variables."""
        headers = dict(self.headers)
        content = self.request_content
        if content is None and self.body is not None:
            content = (self.body if isinstance(self.body, str) else json.dumps(self.body)).encode()
            if not any(n.lower() == "content-type" for n in headers):
                headers["Content-Type"] = "application/json"
        return curl_command(self.method, self.url, headers, content, secrets)

    def describe(self) -> str:
        """``GET /api/sessions?limit=5 -> 200``."""
        url = urlsplit(self.url)
        target = f"{url.path}?{url.query}" if url.query else url.path
        return f"{self.method} {target} -> {self.status}"
