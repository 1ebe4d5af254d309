"""Object-store keys of evidence images: the documented layout and the rules a key must obey.

A key names an object in the mock's store (the captures collection), never a file: the image
proxy looks it up by string equality and renders the image from the capture, so no key can reach
the filesystem. Keys are still checked strictly, as the real proxy must check them before asking
MinIO, and the refusal says why:

- empty, or longer than 1024 characters (the S3/MinIO key limit);
- a control character (U+0000-U+001F) or a backslash;
- absolute (a leading ``/``);
- path traversal: ``..`` anywhere;
- a ``%``: keys are never percent-encoded, and ``%2e``, ``%2f``, ``%5c`` would turn into
  traversal on a second decoding.

The spec's ``key`` pattern encodes the same rules. A key that passes but does not follow the
documented layout is simply not found (404): the layout is described, not enforced.
"""

from __future__ import annotations

import re

from mockgate.apis.piorchestrator import stamps

__all__ = ["MAX_KEY_LENGTH", "MalformedKey", "check_key", "object_key"]

MAX_KEY_LENGTH = 1024

_CONTROL = re.compile(r"[\x00-\x1f]")


class MalformedKey(ValueError):
    """A key the proxy refuses outright (400), with the rule it breaks."""


def object_key(
    *, container_id: str, session_id: str, capture_tag: str, created_at: str, evidence_id: str
) -> str:
    """``evidence/{container_id}/{session_id}/{TAG}_{YYYYMMDDTHHMMSS}_{evidence_id[:8]}.jpg``."""
    taken = stamps.compact(created_at)
    return f"evidence/{container_id}/{session_id}/{capture_tag}_{taken}_{evidence_id[:8]}.jpg"


def check_key(key: str) -> None:
    """Raise ``MalformedKey`` when ``key`` may not even be looked up."""
    if not key:
        raise MalformedKey("invalid object key: must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise MalformedKey(f"invalid object key: longer than {MAX_KEY_LENGTH} characters")
    if _CONTROL.search(key):
        raise MalformedKey("invalid object key: control characters are not allowed")
    if "\\" in key:
        raise MalformedKey("invalid object key: backslashes are not allowed")
    if key.startswith("/"):
        raise MalformedKey("invalid object key: absolute keys are not allowed")
    if ".." in key:
        raise MalformedKey("invalid object key: path traversal is not allowed")
    if "%" in key:
        raise MalformedKey("invalid object key: percent-encoding is not allowed")
