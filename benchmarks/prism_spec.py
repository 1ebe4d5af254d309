"""The spec Prism serves in a benchmark: the API's own document, answering the captured payloads.

Prism's static mock answers an operation's first example. For the benchmark to compare servers
on the same bytes, each benchmarked operation's success response keeps one example only: the
body mockgate answered (captured just before). Everything else in the document stays as it is,
so Prism still routes, checks security and validates requests as the real spec says.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Capture", "prism_document", "write_prism_document"]


@dataclass(frozen=True)
class Capture:
    """What a mock answered to one benchmarked request."""

    method: str
    template: str  # the spec's path template, e.g. /api/sessions/{id}
    status: int
    content_type: str
    body: bytes

    def json_body(self) -> Any:
        return json.loads(self.body)


def prism_document(resolved: dict[str, Any], captures: Iterable[Capture]) -> dict[str, Any]:
    """A copy of ``resolved`` (a ``$ref``-free document) whose captured responses are the only
    example of their operation's status and media type.

    Raises ``KeyError`` when a capture names an operation, status or media type the document
    does not declare (the benchmark would otherwise compare Prism on another payload).
    """
    document = copy.deepcopy(resolved)
    for capture in captures:
        operation = document["paths"][capture.template][capture.method.lower()]
        media_type = capture.content_type.split(";")[0].strip()
        content = operation["responses"][str(capture.status)]["content"][media_type]
        content.pop("example", None)
        content["examples"] = {"mockgate": {"value": capture.json_body()}}
    return document


def write_prism_document(
    resolved: dict[str, Any], captures: Iterable[Capture], directory: Path
) -> Path:
    """``prism_document`` written as JSON into ``directory``; the file's path."""
    path = directory / "prism-spec.json"
    path.write_text(json.dumps(prism_document(resolved, captures)), encoding="utf-8")
    return path
