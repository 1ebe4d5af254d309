"""Seed data for the PiOrchestrator mock: a generated demo, and the documents' own records.

Both return a snapshot of the store: ``sessions`` and ``captures`` (see ``sessions`` and
``captures`` for their records) and, for the demo, the ``live`` collection's spawner.

The demo (``demo``, a pure function of ``(seed, now)``) has a session in every state the
dashboard shows, with consistent counters because they are derived from the captures:

- five active sessions at different points of their scripts (just started, waiting for
  ``AFTER_CLOSE``, retrying after a camera timeout, about to fail, about to end partial), which
  play on as the clock runs (``live``), and one stuck active session that went stale 15-20
  minutes ago;
- twenty ended sessions spread over the last three days (so some images are still inline and
  the older ones only behind the image proxy): complete ones with two or four captures, one
  complete after a retried timeout, failed ones, partial ones, one whose uploads all failed
  (its images are lost once the 24 h TTL has passed) and one whose uploads stayed unverified.

The documents' records (``docs``) are read from ``fixtures/doc-examples/piorchestrator.json``:
the list example's two sessions and the evidence example's two captures, verbatim (the
documented ``image_size_bytes`` are kept: the images are padded to them). A documented capture
shown without ``image_data`` (``AFTER_CLOSE``) is object-store only, as the document shows it:
stored ``CLEARED``, its image served by the image proxy alone. The counters are
derived, so records are added where the documents show counters without the captures behind
them: ``sess-abc123`` (4 successful captures) gets an ``AFTER_OPEN`` and a ``BEFORE_CLOSE``
capture between the documented two, ``sess-def456`` (2 failed, ``last_error`` a
``BEFORE_OPEN`` timeout at 10:05:15) a failed ``BEFORE_OPEN`` attempt and that timeout. A
session that ended keeps ``elapsed_seconds`` as documented (``ended_at`` = start + elapsed).
The document's incomplete-pair example contradicts the list (it shows a captured
``AFTER_CLOSE`` for the failed ``sess-def456``) and is not reproduced.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from mockgate.apis.piorchestrator import ids, live, stamps
from mockgate.apis.piorchestrator.captures import CLEARED, CONTENT_TYPE
from mockgate.apis.piorchestrator.keys import object_key
from mockgate.core.clock import ID_ANCHOR
from mockgate.core.resources import fixtures_dir
from mockgate.core.store import Snapshot

__all__ = ["demo", "docs", "empty"]

# The ended sessions of the demo, newest first: (outcome, uploads).
_HISTORY = (
    ("complete", "normal"),
    ("full", "normal"),
    ("failed", "normal"),
    ("complete", "unverified"),
    ("retry", "normal"),
    ("partial", "normal"),
    ("complete", "normal"),
    ("complete", "normal"),
    ("full", "normal"),
    ("complete", "failed"),
    ("failed", "normal"),
    ("complete", "normal"),
    ("partial", "normal"),
    ("complete", "normal"),
    ("retry", "normal"),
    ("full", "normal"),
    ("complete", "normal"),
    ("failed", "normal"),
    ("complete", "normal"),
    ("complete", "normal"),
)
_HISTORY_SPAN = timedelta(hours=72)
# The live sessions: (outcome, seconds since the start: a range).
_ACTIVE = (
    ("complete", (2, 2)),  # nothing captured yet
    ("complete", (30, 50)),  # BEFORE_OPEN taken, AFTER_CLOSE due in a minute or two
    ("retry", (45, 55)),  # a BEFORE_OPEN timeout, the retry under way
    ("failed", (15, 25)),  # will time out twice and fail
    ("partial", (100, 140)),  # BEFORE_OPEN taken, AFTER_CLOSE will time out twice
)
_STUCK_AGE = (900, 1200)


def empty() -> Snapshot:
    return {"sessions": {}, "captures": {}}


def demo(seed: int, now: datetime) -> Snapshot:
    """The demo dataset for ``(seed, now)``."""
    containers = live.fleet(seed)
    moment = stamps.stamp(now)
    snapshot = empty()
    taken: set[str] = set()

    def add(index: int, slot: int, ago: float, outcome: str, uploads: str = "normal") -> None:
        rng = random.Random(f"piorchestrator-demo:{seed}:{index}")
        container_id, device_id = containers[slot]
        session_id = ids.unique_short_id("sess", rng, taken)
        taken.add(session_id)
        started_at = stamps.stamp(now - timedelta(seconds=ago))
        # Evidence ids as if seeded at ID_ANCHOR, the same on every start (object keys carry
        # the capture time by their documented layout: they follow the clock, as timestamps).
        anchored = stamps.stamp(ID_ANCHOR - timedelta(seconds=ago))
        id_shift = stamps.parse(anchored) - stamps.parse(started_at)
        session = live.new_session(
            rng,
            session_id=session_id,
            container_id=container_id,
            device_id=device_id,
            started_at=started_at,
            outcome=outcome,
            uploads=uploads,
            id_shift=id_shift,
        )
        session, captured = live.advance(session, moment)
        snapshot["sessions"][session_id] = session
        for capture in captured:
            snapshot["captures"][capture["evidence_id"]] = capture

    rng = random.Random(f"piorchestrator-demo:{seed}")
    for index, (outcome, (low, high)) in enumerate(_ACTIVE):
        add(index, index, rng.randint(low, high), outcome)
    add(len(_ACTIVE), live.ROTATION, rng.randint(*_STUCK_AGE), "stuck")
    step = _HISTORY_SPAN.total_seconds() / len(_HISTORY)
    for position, (outcome, uploads) in enumerate(_HISTORY):
        ago = 1200 + position * step + rng.uniform(0, step * 0.6)
        index = len(_ACTIVE) + 1 + position
        add(index, position % live.ROTATION, ago, outcome, uploads)
    snapshot["live"] = {live.SPAWNER: live.spawner(seed, moment, first_container=len(_ACTIVE))}
    return snapshot


def docs() -> Snapshot:
    """The documents' example records (see the module's docstring)."""
    path = fixtures_dir() / "doc-examples" / "piorchestrator.json"
    examples = {e["id"]: e["body"] for e in json.loads(path.read_text("utf-8"))["examples"]}
    listed = examples["list-diagnostic-sessions-200"]["data"]["sessions"]
    documented = examples["get-session-evidence-200"]["data"]["captures"]
    captures = [_documented_capture(c) for c in documented]
    device = captures[0]["device_id"]
    captures += _docs_additions(device)
    sessions: dict[str, Any] = {}
    for item in listed:
        session: dict[str, Any] = {
            "session_id": item["session_id"],
            "container_id": item["container_id"],
            "device_id": item.get("last_error", {}).get("device_id", device),
            "started_at": item["started_at"],
            "status": item["status"],
        }
        if item["status"] != "active":
            session["ended_at"] = stamps.shift(item["started_at"], item["elapsed_seconds"])
        if item.get("last_error", {}).get("correlation_id"):
            session["correlation_id"] = item["last_error"]["correlation_id"]
        sessions[item["session_id"]] = session
    return {"sessions": sessions, "captures": {c["evidence_id"]: c for c in captures}}


def _documented_capture(capture: dict[str, Any]) -> dict[str, Any]:
    """A documented capture as stored: its ``image_data`` (a placeholder) dropped, the image being
    rendered; ``CLEARED`` where the document shows none (object store only)."""
    stored = {k: v for k, v in capture.items() if k != "image_data"}
    if "image_data" not in capture:
        stored["image_data"] = CLEARED
    return stored


def _docs_additions(device: str) -> list[dict[str, Any]]:
    """The captures the documents' counters imply but do not show."""

    def capture(
        evidence_id: str, session: str, container: str, tag: str, at: str, **more: Any
    ) -> dict[str, Any]:
        record = {
            "evidence_id": evidence_id,
            "capture_tag": tag,
            "status": more.pop("status", "captured"),
            "device_id": device,
            "container_id": container,
            "session_id": session,
            "created_at": at,
        }
        if record["status"] == "captured":
            record["content_type"] = CONTENT_TYPE
            record["object_key"] = object_key(
                container_id=container,
                session_id=session,
                capture_tag=tag,
                created_at=at,
                evidence_id=evidence_id,
            )
            record["upload_status"] = "uploaded"
        return record | more

    return [
        capture(
            "0195a1b2-0001-7a10-8c00-0000000000a1",
            "sess-abc123",
            "ctr-001",
            "AFTER_OPEN",
            "2026-02-20T10:00:20Z",
        ),
        capture(
            "0195a1b2-0002-7a10-8c00-0000000000a2",
            "sess-abc123",
            "ctr-001",
            "BEFORE_CLOSE",
            "2026-02-20T10:01:30Z",
        ),
        capture(
            "0195a1b2-0003-7b20-9d00-0000000000d1",
            "sess-def456",
            "ctr-002",
            "BEFORE_OPEN",
            "2026-02-20T10:05:05Z",
            status="failed",
            failure_reason="Camera returned HTTP 500",
        ),
        capture(
            "0195a1b2-0004-7b20-9d00-0000000000d2",
            "sess-def456",
            "ctr-002",
            "BEFORE_OPEN",
            "2026-02-20T10:05:15Z",
            status="timeout",
            failure_reason=live.TIMEOUT_REASON,
        ),
    ]
