"""PiOrchestrator handlers: catch up with the clock, read the store, call the core, shape the
success envelope (``success``, ``status``, ``data``, ``timestamp``).

Every operation first lets the live sessions catch up with the virtual clock (``live``), so a
dashboard polling the mock sees sessions progress without a background task. One clock reading
serves the whole request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mockgate.apis.context import MockContext
from mockgate.apis.piorchestrator import evidence, live, stamps
from mockgate.apis.piorchestrator.captures import CONTENT_TYPE, ordered
from mockgate.apis.piorchestrator.keys import MalformedKey, check_key
from mockgate.apis.piorchestrator.sessions import session_list
from mockgate.core.errors import FieldError, MockError
from mockgate.core.replies import Reply

JsonReply = tuple[Any, int]

CACHE_CONTROL = "private, max-age=86400, immutable"
"""Objects are immutable per key (the key embeds the capture time and evidence id)."""


async def list_diagnostic_sessions(ctx: MockContext, limit: int | None = None) -> JsonReply:
    now = _now(ctx)
    data = session_list(ctx.store.values("sessions"), ctx.store.values("captures"), now, limit)
    return _success(data, now), 200


async def list_sessions(ctx: MockContext, limit: int | None = None) -> JsonReply:
    """The inferred route: the same list as the diagnostics route."""
    return await list_diagnostic_sessions(ctx, limit)


async def get_session_evidence(ctx: MockContext, session_id: str) -> JsonReply:
    now = _now(ctx)
    session, captures = _session(ctx, session_id)
    return _success(evidence.session_evidence(session, captures, now), now), 200


async def get_session_evidence_pair(ctx: MockContext, session_id: str) -> JsonReply:
    now = _now(ctx)
    session, captures = _session(ctx, session_id)
    retry = live.next_capture_in(session, now)
    return _success(evidence.pair(session, captures, now, retry_after=retry), now), 200


async def get_evidence_image(ctx: MockContext, key: str) -> Reply:
    try:
        check_key(key)
    except MalformedKey as exc:
        raise MockError(400, str(exc), (FieldError("key", str(exc)),)) from None
    now = _now(ctx)
    capture = evidence.find_object(ctx.store.values("captures"), key, now)
    image = evidence.capture_image(capture) if capture is not None else None
    if image is None:
        raise MockError(404, f"evidence image not found: {key}")
    etag = hashlib.md5(image, usedforsecurity=False).hexdigest()  # as S3 computes it
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": f'"{etag}"'}
    return Reply(200, CONTENT_TYPE, image, headers)


def _now(ctx: MockContext) -> datetime:
    """The clock's reading for this request, once the live sessions have caught up with it."""
    now = ctx.clock.now()
    live.catch_up(ctx.store, ctx.options.seed, now)
    return now


def _session(ctx: MockContext, session_id: str) -> tuple[Mapping[str, Any], list[Any]]:
    session = ctx.store.get("sessions", session_id)
    if session is None:
        raise MockError(404, f"session not found: {session_id}")
    captures = [c for c in ctx.store.values("captures") if c.get("session_id") == session_id]
    return session, ordered(captures)


def _success(data: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"success": True, "status": "success", "data": data, "timestamp": stamps.stamp(now)}
