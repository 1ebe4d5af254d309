"""Evidence captures: how a stored capture looks to a client at a given moment.

A stored capture (collection ``captures``, keyed by ``evidence_id``) is an ``EvidenceCapture``
as it is once everything about it is settled: identity, ``capture_tag``, ``status``,
``created_at``; a successful one also ``content_type``, ``object_key`` and ``upload_status``
(``upload_error`` when the upload failed); a failed or timed-out one ``failure_reason``. It never
holds an image: the image is rendered from the capture (``images``), and ``image_size_bytes`` is
the rendered JPEG's length (a stored ``image_size_bytes`` is the size the image is padded to, see
``images.Shot``). The only ``image_data`` it may hold is ``""``, the documents' own way of saying
"absent": the image was cleared from memory once uploaded (``CLEARED``).

Time decides the rest (``view``):

- the upload to the object store finishes ``upload_delay`` seconds (2-9, fixed per capture) after
  the capture; before that the capture has no ``object_key`` or ``upload_status``, and the image
  proxy does not know the key;
- the image stays inline (``image_data``, base64) while the capture is younger than
  ``INLINE_TTL`` (24 h); afterwards it is only in the object store, through the image proxy
  (unless its upload failed: then it is gone). A ``CLEARED`` capture leaves memory earlier, as
  soon as it is in the object store (the docs dataset's ``AFTER_CLOSE``, as the evidence
  document shows it); until then it is inline like any other.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from mockgate.apis.piorchestrator import stamps

__all__ = [
    "CAPTURE_TAGS",
    "CLEARED",
    "CONTENT_TYPE",
    "INLINE_TTL",
    "in_object_store",
    "inline",
    "ordered",
    "succeeded",
    "upload_delay",
    "uploaded",
    "view",
]

CAPTURE_TAGS = ("BEFORE_OPEN", "AFTER_OPEN", "BEFORE_CLOSE", "AFTER_CLOSE")
INLINE_TTL = timedelta(hours=24)
CONTENT_TYPE = "image/jpeg"
CLEARED = ""
"""A stored ``image_data``: the image leaves memory once it is in the object store."""

_IDENTITY = ("evidence_id", "capture_tag", "status", "device_id", "container_id", "session_id")
_SERVED = ("uploaded", "unverified")  # upload statuses under which the object exists


def succeeded(capture: Mapping[str, Any]) -> bool:
    return capture.get("status") == "captured"


def upload_delay(capture: Mapping[str, Any]) -> int:
    """Seconds from the capture to the end of its upload (2-9, from the evidence id)."""
    digest = hashlib.sha256(str(capture["evidence_id"]).encode()).digest()
    return 2 + digest[0] % 8


def uploaded(capture: Mapping[str, Any], now: datetime) -> bool:
    """Whether the upload attempt of a successful capture is over (whatever its outcome)."""
    if not succeeded(capture) or "upload_status" not in capture:
        return False
    done = stamps.parse(capture["created_at"]) + timedelta(seconds=upload_delay(capture))
    return now >= done


def in_object_store(capture: Mapping[str, Any], now: datetime) -> bool:
    """Whether the image proxy serves the capture's ``object_key`` at ``now``."""
    return (
        uploaded(capture, now)
        and capture.get("upload_status") in _SERVED
        and bool(capture.get("object_key"))
    )


def inline(capture: Mapping[str, Any], now: datetime) -> bool:
    """Whether the image is still in the in-memory store: younger than ``INLINE_TTL`` and, for a
    ``CLEARED`` capture, not yet in the object store."""
    if not succeeded(capture) or now - stamps.parse(capture["created_at"]) >= INLINE_TTL:
        return False
    return capture.get("image_data") != CLEARED or not in_object_store(capture, now)


def ordered(captures: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Captures in the order they were taken."""
    return sorted(captures, key=lambda c: (c["created_at"], c["evidence_id"]))


def view(
    capture: Mapping[str, Any], now: datetime, image: bytes | None, *, slot: bool = False
) -> dict[str, Any]:
    """The capture as the API shows it at ``now``; optional fields are left out, never null.

    ``image`` is the capture's JPEG (None for one without an image). ``slot`` adds
    ``captured_at``, as the pair endpoint's slots carry it.
    """
    body: dict[str, Any] = {key: capture[key] for key in _IDENTITY}
    if capture.get("failure_reason"):
        body["failure_reason"] = capture["failure_reason"]
    body["created_at"] = capture["created_at"]
    if slot:
        body["captured_at"] = capture["created_at"]
    if not succeeded(capture) or image is None:
        return body
    if inline(capture, now):
        body["image_data"] = base64.b64encode(image).decode("ascii")
    body["content_type"] = capture.get("content_type", CONTENT_TYPE)
    body["image_size_bytes"] = len(image)
    if uploaded(capture, now):
        if capture.get("object_key"):
            body["object_key"] = capture["object_key"]
        body["upload_status"] = capture["upload_status"]
        if capture.get("upload_error"):
            body["upload_error"] = capture["upload_error"]
    return body
