"""``Reply``: a response as plain data, what handlers, spec examples and ``Prefer`` answer with.

The core and the API rules say what to answer without knowing HTTP; the wiring
(``mockgate.mockserver.responses.reply_response``) turns a ``Reply`` into the bytes sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Reply"]


@dataclass(frozen=True)
class Reply:
    """``media_type`` and ``body`` are ``None`` when the response has no content (e.g. a 204).
    ``body`` is sent as is when it is ``bytes``; otherwise a JSON media type takes it as a JSON
    value, and any other as text."""

    status: int
    media_type: str | None
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
