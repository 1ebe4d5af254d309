"""A session's evidence: the capture list with its summary, the before/after pair, the objects
behind the image proxy.

The pair (contract ``v1``): ``before`` is the session's successful ``BEFORE_OPEN`` capture and
``after`` its successful ``AFTER_CLOSE`` (the latest, when a tag was retried), each a full capture
object with ``created_at`` and ``captured_at``, or ``null``. ``pair_status`` counts the filled
slots: 2 ``complete``, 1 ``incomplete``, 0 ``missing``. When one slot is empty, the filled one
says why in ``missing_reason`` (where the document's example puts it):

- ``SESSION_IN_PROGRESS``: the session is still active; ``retry_after_seconds`` says when the
  next capture is due;
- ``CAPTURE_FAILED``: the session ended and every attempt at the other tag failed;
- ``CAPTURE_NOT_TAKEN``: the session ended without attempting the other tag.

An active session's pair carries ``retry_after_seconds`` whenever it is not complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from mockgate.apis.piorchestrator import images, stamps
from mockgate.apis.piorchestrator.captures import in_object_store, succeeded, view
from mockgate.apis.piorchestrator.sessions import summary

__all__ = [
    "CONTRACT_VERSION",
    "DEFAULT_RETRY_AFTER",
    "capture_image",
    "find_object",
    "pair",
    "session_evidence",
]

CONTRACT_VERSION = "v1"
DEFAULT_RETRY_AFTER = 30
"""The document's ``retry_after_seconds``, for an active session with no capture scheduled."""


def capture_image(capture: Mapping[str, Any]) -> bytes | None:
    """The JPEG of a successful capture (rendered once, then cached); None for a failed one."""
    if not succeeded(capture):
        return None
    return images.jpeg(images.Shot.from_capture(capture))


def session_evidence(
    session: Mapping[str, Any], captures: Sequence[Mapping[str, Any]], now: datetime
) -> dict[str, Any]:
    """The evidence list's ``data``: every capture (in the order taken) and the summary."""
    return {
        "session_id": session["session_id"],
        "container_id": session["container_id"],
        "captures": [view(c, now, capture_image(c)) for c in captures],
        "summary": summary(captures),
    }


def pair(
    session: Mapping[str, Any],
    captures: Sequence[Mapping[str, Any]],
    now: datetime,
    *,
    retry_after: int | None = None,
) -> dict[str, Any]:
    """The pair endpoint's ``data``. ``retry_after``: seconds until the session's next capture
    (for an active session; ``DEFAULT_RETRY_AFTER`` when unknown)."""
    before = _latest(captures, "BEFORE_OPEN")
    after = _latest(captures, "AFTER_CLOSE")
    filled = [c for c in (before, after) if c is not None]
    status = ("missing", "incomplete", "complete")[len(filled)]
    active = session["status"] == "active"
    reason = None
    if status == "incomplete":
        other = "AFTER_CLOSE" if after is None else "BEFORE_OPEN"
        reason = _missing_reason(session, captures, other)
    data: dict[str, Any] = {
        "contract_version": CONTRACT_VERSION,
        "session_id": session["session_id"],
        "container_id": session["container_id"],
        "pair_status": status,
        "before": _slot(before, now, reason),
        "after": _slot(after, now, reason),
        "queried_at": stamps.stamp(now),
    }
    if active and status != "complete":
        data["retry_after_seconds"] = DEFAULT_RETRY_AFTER if retry_after is None else retry_after
    return data


def find_object(
    captures: Iterable[Mapping[str, Any]], key: str, now: datetime
) -> Mapping[str, Any] | None:
    """The capture whose image is in the object store under ``key`` at ``now`` (a plain string
    comparison over the store's records: nothing else is consulted)."""
    for capture in captures:
        if capture.get("object_key") == key and in_object_store(capture, now):
            return capture
    return None


def _latest(captures: Sequence[Mapping[str, Any]], tag: str) -> Mapping[str, Any] | None:
    found = [c for c in captures if c["capture_tag"] == tag and succeeded(c)]
    return found[-1] if found else None


def _missing_reason(
    session: Mapping[str, Any], captures: Sequence[Mapping[str, Any]], tag: str
) -> str:
    if session["status"] == "active":
        return "SESSION_IN_PROGRESS"
    if any(c["capture_tag"] == tag for c in captures):
        return "CAPTURE_FAILED"
    return "CAPTURE_NOT_TAKEN"


def _slot(
    capture: Mapping[str, Any] | None, now: datetime, reason: str | None
) -> dict[str, Any] | None:
    if capture is None:
        return None
    body = view(capture, now, capture_image(capture), slot=True)
    if reason is not None:
        body["missing_reason"] = reason
    return body
