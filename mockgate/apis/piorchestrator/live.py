"""Live sessions: what happens while the virtual clock runs, applied lazily and deterministically.

A session's life is a *script* written when the session is created: its captures (complete
records, evidence ids and upload outcomes included) and its end, each stamped with the moment
it happens. Whatever has not happened yet waits in the session record under ``pending``;
``catch_up`` moves every step stamped at or before now into the store before a request is
answered. There is no background task, and a reading of the clock always shows the same state,
however often (or rarely) anyone looked.

A script, in seconds (every number drawn from a ``random.Random`` seeded by a string):

- ``BEFORE_OPEN`` 3-12 s after the start; the container is then opened and used;
- ``AFTER_CLOSE`` 60-180 s after ``BEFORE_OPEN`` (``full``: ``AFTER_OPEN`` 15-40 s after
  ``BEFORE_OPEN``, ``BEFORE_CLOSE`` 30-90 s later, ``AFTER_CLOSE`` 20-60 s after that);
- a camera timeout is recorded 30 s after its attempt ("Camera timeout after 30s"); the next
  attempt follows 5 s later;
- the session ends 2-6 s after its last capture: ``complete`` with both sides of the pair,
  ``partial`` when both ``AFTER_CLOSE`` attempts timed out, ``failed`` when both ``BEFORE_OPEN``
  attempts failed (the session gets a ``correlation_id`` for ``last_error``).

Outcomes (``OUTCOMES``): ``complete``, ``full`` (all four tags), ``retry`` (a ``BEFORE_OPEN``
timeout, then success), ``failed``, ``partial``, and ``stuck`` (``BEFORE_OPEN`` and then nothing:
it stays active and goes stale; only the demo dataset has one). Uploads take 2-9 s
(``captures.upload_delay``) and 5% fail, 5% stay unverified, unless the session is created with
``uploads="failed"`` (the object store was down) or ``"unverified"``.

New sessions keep arriving: the internal ``live`` collection's ``spawner`` record starts one
every 60-240 s (``SPAWN_GAP``) on the next container of the fleet (in turn, so a container never
runs two sessions at once), at most ``MAX_SPAWNED`` per mock.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from mockgate.apis.piorchestrator import ids, stamps
from mockgate.apis.piorchestrator.captures import CONTENT_TYPE
from mockgate.apis.piorchestrator.keys import object_key
from mockgate.core.store import Store

__all__ = [
    "MAX_SPAWNED",
    "OUTCOMES",
    "SPAWNER",
    "SPAWN_GAP",
    "TIMEOUT_REASON",
    "advance",
    "catch_up",
    "fleet",
    "new_session",
    "next_capture_in",
    "spawn_due",
    "spawner",
]

# Outcome → weight among the sessions the spawner starts.
OUTCOMES = {"complete": 55, "full": 10, "retry": 10, "failed": 15, "partial": 10, "stuck": 0}
SPAWN_GAP = (60, 240)
MAX_SPAWNED = 5000
SPAWNER = "spawner"
TIMEOUT_REASON = "Camera timeout after 30s"
ROTATION = 10
"""Containers the spawner takes in turn (the fleet has one more, for the demo's stuck session)."""

_CAMERA_ERRORS = (
    "Camera returned HTTP 500",
    "Camera busy: capture already in progress",
    "Image decode failed: truncated JPEG",
)
_UPLOAD_ERRORS = (
    "MinIO: connection refused",
    "MinIO: upload timed out after 10s",
    "MinIO: bucket evidence not found",
)


def fleet(seed: int) -> list[tuple[str, str]]:
    """The containers and the camera mounted on each: ``[(container_id, device_id), ...]``."""
    rng = random.Random(f"piorchestrator-fleet:{seed}")
    return [(f"ctr-{n:03d}", f"espcam-{rng.getrandbits(24):06x}") for n in range(1, ROTATION + 2)]


def new_session(
    rng: random.Random,
    *,
    session_id: str,
    container_id: str,
    device_id: str,
    started_at: str,
    outcome: str,
    uploads: str = "normal",
    id_shift: timedelta = timedelta(),
) -> dict[str, Any]:
    """An active session whose whole script is pending (``advance`` plays it). Its captures'
    evidence ids (UUIDv7) hold their moments moved by ``id_shift``."""
    session: dict[str, Any] = {
        "session_id": session_id,
        "container_id": container_id,
        "device_id": device_id,
        "started_at": started_at,
        "status": "active",
    }
    session["pending"] = _Script(rng, session, uploads, id_shift).write(outcome)
    return session


def advance(session: Mapping[str, Any], now: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The session after every pending step stamped at or before ``now`` (a stamp), and the
    captures those steps took. A session that is no longer active (a client changed it) drops
    its script. Pure: the arguments are not changed."""
    updated = dict(session)
    pending = list(session.get("pending") or ())
    if session.get("status") != "active":
        updated.pop("pending", None)
        return updated, []
    taken: list[dict[str, Any]] = []
    while pending and pending[0]["at"] <= now:
        step = pending.pop(0)
        if "capture" in step:
            taken.append(dict(step["capture"]))
        else:
            updated["status"] = step["end"]
            updated["ended_at"] = step["at"]
            if step.get("correlation_id"):
                updated["correlation_id"] = step["correlation_id"]
    if pending:
        updated["pending"] = pending
    else:
        updated.pop("pending", None)
    return updated, taken


def next_capture_in(session: Mapping[str, Any], now: datetime) -> int | None:
    """Whole seconds until the session's next capture is due (rounded up, at least 1); None
    when none is scheduled."""
    for step in session.get("pending") or ():
        if "capture" in step:
            return max(1, math.ceil((stamps.parse(step["at"]) - now).total_seconds()))
    return None


def spawner(seed: int, anchor: str, *, first_container: int = 0) -> dict[str, Any]:
    """The spawner record of a mock seeded at ``anchor``: its first session comes one gap later."""
    rng = random.Random(f"piorchestrator-spawn:{seed}:gap")
    return {
        "next_at": stamps.shift(anchor, rng.randint(*SPAWN_GAP)),
        "spawned": 0,
        "first_container": first_container,
    }


def spawn_due(
    record: Mapping[str, Any], seed: int, now: str, taken: set[str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The spawner after starting every session due by ``now``, and those sessions (with ids
    not in ``taken``, which grows with them)."""
    record = dict(record)
    born: list[dict[str, Any]] = []
    containers = fleet(seed)
    while record["spawned"] < MAX_SPAWNED and record["next_at"] <= now:
        index = record["spawned"]
        rng = random.Random(f"piorchestrator-spawn:{seed}:{index}")
        container_id, device_id = containers[(record["first_container"] + index) % ROTATION]
        session_id = ids.unique_short_id("sess", rng, taken)
        taken.add(session_id)
        outcome = rng.choices(list(OUTCOMES), weights=list(OUTCOMES.values()))[0]
        born.append(
            new_session(
                rng,
                session_id=session_id,
                container_id=container_id,
                device_id=device_id,
                started_at=record["next_at"],
                outcome=outcome,
            )
        )
        record["next_at"] = stamps.shift(record["next_at"], rng.randint(*SPAWN_GAP))
        record["spawned"] = index + 1
    return record, born


def catch_up(store: Store, seed: int, now: datetime) -> None:
    """Bring the store up to ``now``: start the sessions due, play the steps due."""
    moment = stamps.stamp(now)
    record = store.get("live", SPAWNER)
    if record is not None and record["spawned"] < MAX_SPAWNED and record["next_at"] <= moment:
        taken = {s["session_id"] for s in store.values("sessions")}
        record, born = spawn_due(record, seed, moment, taken)
        for session in born:
            store.put("sessions", session["session_id"], session)
        store.put("live", SPAWNER, record)
    for session in store.values("sessions"):
        pending = session.get("pending")
        if not pending or (pending[0]["at"] > moment and session.get("status") == "active"):
            continue
        updated, taken_now = advance(session, moment)
        for capture in taken_now:
            store.put("captures", capture["evidence_id"], capture)
        store.put("sessions", updated["session_id"], updated)


class _Script:
    """Writes the steps of one session (see the module's docstring for the timings)."""

    def __init__(
        self, rng: random.Random, session: Mapping[str, Any], uploads: str, id_shift: timedelta
    ) -> None:
        self.rng = rng
        self.session = session
        self.uploads = uploads
        self.id_shift = id_shift
        self.steps: list[dict[str, Any]] = []
        self.at = stamps.parse(session["started_at"])

    def write(self, outcome: str) -> list[dict[str, Any]]:
        rng = self.rng
        self.wait(rng.randint(3, 12))
        if outcome in ("retry", "failed"):
            self.timeout("BEFORE_OPEN")
            if outcome == "failed":
                if rng.random() < 0.5:
                    self.timeout("BEFORE_OPEN")
                else:
                    self.camera_error("BEFORE_OPEN")
                self.end("failed", correlation_id=ids.short_id("corr", rng))
                return self.steps
        self.capture("BEFORE_OPEN")
        if outcome == "stuck":
            return self.steps
        if outcome == "full":
            self.wait(rng.randint(15, 40))
            self.capture("AFTER_OPEN")
            self.wait(rng.randint(30, 90))
            self.capture("BEFORE_CLOSE")
            self.wait(rng.randint(20, 60))
        else:
            self.wait(rng.randint(60, 180))
        if outcome == "partial":
            self.timeout("AFTER_CLOSE")
            self.timeout("AFTER_CLOSE")
            self.end("partial")
            return self.steps
        self.capture("AFTER_CLOSE")
        self.end("complete")
        return self.steps

    def wait(self, seconds: int) -> None:
        self.at += timedelta(seconds=seconds)

    def capture(self, tag: str) -> None:
        record = self._record(tag, "captured")
        record["content_type"] = CONTENT_TYPE
        record["object_key"] = object_key(
            container_id=record["container_id"],
            session_id=record["session_id"],
            capture_tag=tag,
            created_at=record["created_at"],
            evidence_id=record["evidence_id"],
        )
        status, error = self._upload()
        record["upload_status"] = status
        if error:
            record["upload_error"] = error
        self.steps.append({"at": record["created_at"], "capture": record})

    def timeout(self, tag: str) -> None:
        self.wait(30)
        record = self._record(tag, "timeout", TIMEOUT_REASON)
        self.steps.append({"at": record["created_at"], "capture": record})
        self.wait(5)

    def camera_error(self, tag: str) -> None:
        self.wait(self.rng.randint(1, 4))
        record = self._record(tag, "failed", self.rng.choice(_CAMERA_ERRORS))
        self.steps.append({"at": record["created_at"], "capture": record})

    def end(self, status: str, *, correlation_id: str | None = None) -> None:
        self.wait(self.rng.randint(2, 6))
        step: dict[str, Any] = {"at": stamps.stamp(self.at), "end": status}
        if correlation_id:
            step["correlation_id"] = correlation_id
        self.steps.append(step)

    def _record(self, tag: str, status: str, reason: str | None = None) -> dict[str, Any]:
        session = self.session
        millis = self.rng.randint(0, 999)
        record: dict[str, Any] = {
            "evidence_id": ids.uuid7(
                self.at + timedelta(milliseconds=millis) + self.id_shift, self.rng
            ),
            "capture_tag": tag,
            "status": status,
            "device_id": session["device_id"],
            "container_id": session["container_id"],
            "session_id": session["session_id"],
            "created_at": stamps.stamp(self.at),
        }
        if reason:
            record["failure_reason"] = reason
        return record

    def _upload(self) -> tuple[str, str | None]:
        draw = self.rng.random()
        if self.uploads == "failed" or (self.uploads == "normal" and draw < 0.05):
            return "failed", self.rng.choice(_UPLOAD_ERRORS)
        if self.uploads == "unverified" or (self.uploads == "normal" and draw < 0.10):
            return "unverified", None
        return "uploaded", None
