"""What a finding shows of the response that proved it: the status, the headers that decide how
a client reads it, and the body's beginning - with the run's credentials kept out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockgate.reports.exchange import Exchange
from mockgate.reports.secrets import Secrets
from mockgate.reports.text import printable

if TYPE_CHECKING:
    from mockgate.reports.findings import Finding

__all__ = [
    "BODY_CHARS",
    "SHOWN_HEADERS",
    "body_excerpt",
    "finding_text",
    "reproduce_heading",
    "response_evidence",
    "shown_headers",
]

BODY_CHARS = 1000
SHOWN_HEADERS = ("content-type", "location", "www-authenticate", "retry-after", "allow")
_TEXTUAL = ("json", "text", "xml", "html", "javascript", "x-www-form-urlencoded")


def response_evidence(exchange: Exchange, secrets: Secrets | None = None) -> str:
    """``HTTP 401``, the headers that matter (``SHOWN_HEADERS`` and ``X-RateLimit-*``), a blank
    line and the body, cut to ``BODY_CHARS``; non-text bodies by size and type."""
    lines = [f"HTTP {exchange.status}"]
    lines += [f"{name}: {value}" for name, value in shown_headers(exchange).items()]
    body = body_excerpt(exchange)
    if body:
        lines += ["", body]
    return printable((secrets or Secrets()).redact("\n".join(lines)))


def shown_headers(exchange: Exchange) -> dict[str, str]:
    """The response headers that decide how a client reads it, as they are spelled."""
    headers = {name.lower(): value for name, value in exchange.response_headers.items()}
    shown = [name for name in SHOWN_HEADERS if name in headers]
    shown += sorted(name for name in headers if name.startswith("x-ratelimit-"))
    return {_title(name): headers[name] for name in shown}


def body_excerpt(exchange: Exchange) -> str:
    """The body's beginning (at most ``BODY_CHARS``), or its size and type when it is not text;
    empty for an empty body."""
    content = exchange.content
    if not content:
        return ""
    kind = exchange.content_type
    if kind and not any(word in kind for word in _TEXTUAL):
        return f"<{len(content)} bytes of {kind}>"
    text = content[: BODY_CHARS * 4].decode("utf-8", errors="replace")
    if not kind and "\ufffd" in text:
        return f"<{len(content)} bytes, no Content-Type>"
    if len(text) <= BODY_CHARS and len(content) <= BODY_CHARS * 4:
        return text
    return f"{text[:BODY_CHARS]}… ({len(content)} bytes in all)"


def _title(name: str) -> str:
    """``x-ratelimit-remaining`` -> ``X-RateLimit-Remaining``, as the headers are spelled."""
    return "-".join(
        "RateLimit" if part == "ratelimit" else "WWW" if part == "www" else part.capitalize()
        for part in name.split("-")
    )


def reproduce_heading(finding: Finding, secrets: Secrets) -> str:
    """``Reproduce:``, naming the variables the commands read and what to set them to."""
    used = secrets.referenced_in("\n".join(finding.reproduction))
    if not used:
        return "Reproduce:"
    return f"Reproduce (set {secrets.describe(used)}):"


def finding_text(finding: Finding, secrets: Secrets) -> str:
    """The message, the response that showed it and the commands that reproduce it."""
    parts = [finding.message]
    if finding.exchanges:
        parts += ["", "Response:", response_evidence(finding.exchanges[-1], secrets)]
    if finding.reproduction:
        parts += ["", reproduce_heading(finding, secrets), *finding.reproduction]
    return printable(secrets.redact("\n".join(parts)))
