"""The state-tracking mock: sessions of Claude project work in docker slots of machines, their
tasks, stalls and recovery, behind API keys and the documented rate limits.

Modules (pure core first, no HTTP): ``rules`` (how the core says no), ``sessions``, ``tasks``,
``machines``, ``recovery``, ``health`` (the session health score), ``paging``, ``ids``,
``pulses`` (the demo's simulated heartbeats), ``tracker/`` (the operations over a ``Store``),
``dataset``, ``ratelimit`` (windows on the clock), ``vitals`` (health endpoint figures);
``limiter`` (the rate limits as a request guard), ``envelope`` (the error shape) and
``handlers``.

**API keys.** ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; the default dev key is
``st_mockgate_dev_key``. A configured key written ``readonly:KEY`` (``--api-key
state-tracking=readonly:KEY``) makes ``KEY`` a read-only key: it may read, and gets 403
``forbidden`` on every write (any method but GET/HEAD/OPTIONS).

**Rate limits** are on unless ``rate_limit`` is ``"off"``: ``None``/``"docs"`` the documented
tiers, ``"N"`` N requests per minute on every limited route; each route counts apart, per API key
(see ``ratelimit`` and ``limiter``).
"""

from __future__ import annotations

import functools
import hmac
import json
from datetime import datetime
from typing import Any, ClassVar

from mockgate.apis.base import MockApi, RequestGuard
from mockgate.apis.context import MockContext
from mockgate.apis.state_tracking import handlers
from mockgate.apis.state_tracking.dataset import docs_dataset, empty_dataset, generate
from mockgate.apis.state_tracking.envelope import error_body
from mockgate.apis.state_tracking.limiter import RateLimitGuard
from mockgate.apis.state_tracking.ratelimit import RateLimiter, limits_from_spec
from mockgate.core.errors import ApiError, RequestInfo
from mockgate.core.store import Snapshot
from mockgate.openapi.security import Principal

__all__ = ["API", "READ_ONLY_PREFIX", "StateTracking"]

READ_ONLY_PREFIX = "readonly:"


class StateTracking(MockApi):
    name = "state-tracking"
    handlers = handlers
    record_schemas: ClassVar[dict[str, str]] = {
        "sessions": "Session",
        "tasks": "Task",
        "machines": "Machine",
    }
    # See ``tracker`` for what each holds.
    internal_collections: ClassVar[tuple[str, ...]] = (
        "projects",
        "failures",
        "pulses",
        "settings",
        "sequences",
    )

    def seed(self, dataset: str, seed: int, now: datetime) -> Snapshot:
        if dataset == "empty":
            return empty_dataset()
        if dataset == "docs":
            return docs_dataset()
        # A fresh copy each time: the caller owns what it gets.
        snapshot: Snapshot = json.loads(_demo_json(seed, now))
        return snapshot

    def default_keys(self) -> tuple[str, ...]:
        return ("st_mockgate_dev_key",)

    def authenticate(self, ctx: MockContext, credential: str) -> Principal | None:
        """A configured key, read-only when configured as ``readonly:KEY``."""
        for index, entry in enumerate(ctx.api_keys, start=1):
            read_only = entry.startswith(READ_ONLY_PREFIX)
            key = entry.removeprefix(READ_ONLY_PREFIX) if read_only else entry
            if key and hmac.compare_digest(key.encode(), credential.encode()):
                return Principal(f"{'read-only-' if read_only else ''}key-{index}", read_only)
        return None

    def error_body(self, error: ApiError, request: RequestInfo) -> dict[str, Any]:
        return error_body(error, request)

    def guards(self, ctx: MockContext) -> list[RequestGuard]:
        option = ctx.options.rate_limit
        if option == "off":
            return []
        if option not in (None, "docs") and not str(option).isdigit():
            raise ValueError(f"rate limit {option!r}: expected off, docs or a number per minute")
        per_minute = None if option in (None, "docs") else int(option)
        routes = limits_from_spec(ctx.spec.document, per_minute)
        limiter = RateLimiter()
        ctx.on_reset.append(limiter.clear)  # a reset starts every key's windows afresh
        return [RateLimitGuard(ctx, limiter, routes)]

    def credentials_help(self, ctx: MockContext) -> list[str]:
        lines = []
        for entry in ctx.api_keys:
            if entry.startswith(READ_ONLY_PREFIX):
                key = entry.removeprefix(READ_ONLY_PREFIX)
                lines.append(f"Authorization: Bearer {key}  or  X-API-Key: {key}  (read-only)")
            else:
                lines.append(f"Authorization: Bearer {entry}  or  X-API-Key: {entry}")
        return lines


@functools.lru_cache(maxsize=4)
def _demo_json(seed: int, now: datetime) -> str:
    """The demo snapshot for ``(seed, now)`` as JSON: mocks are rebuilt with the same seed and
    start again and again (tests, a frozen clock), and each decodes its own copy."""
    return json.dumps(generate(seed, now), ensure_ascii=False)


API = StateTracking()
