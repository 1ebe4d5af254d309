"""What each mocked API adds to the machinery every mock shares.

An API's package under ``mockgate/apis/<name>/`` defines a ``MockApi`` subclass and exposes an
instance as ``API``; its ``handlers`` module holds one coroutine per operationId (snake_case).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from mockgate.core.errors import ApiError, RequestInfo
from mockgate.core.store import Snapshot
from mockgate.openapi.security import Principal

if TYPE_CHECKING:
    from mockgate.apis.context import MockContext

__all__ = ["DATASETS", "GuardedRequest", "MockApi", "RequestGuard", "load_api"]

DATASETS = ("demo", "docs", "empty")


@dataclass(frozen=True)
class GuardedRequest:
    """What a request guard sees of a request for one of the API's operations."""

    operation_id: str
    method: str
    path: str
    query: str  # the raw query string
    headers: Mapping[str, str]  # lower-case names; the first value of a repeated header


RequestGuard = Callable[[GuardedRequest], ApiError | Mapping[str, str] | None]
"""Says, before the operation runs, what the API adds to serving a request: an ``ApiError`` to
answer with instead (later guards and the operation do not run), headers for whatever the
response turns out to be, or None."""


class MockApi:
    """The base every API's mock extends; defaults suit an API without auth or state."""

    name: str = ""
    handlers: ModuleType | None = None
    # Collections whose records are the API's own objects, by the spec schema they follow
    # (checked when a user's dataset file is loaded), and collections of internal records.
    record_schemas: ClassVar[dict[str, str]] = {}
    internal_collections: ClassVar[tuple[str, ...]] = ()
    # Named behaviours a client can switch to (``--scenario``, ``PUT /__mockgate/scenario``),
    # with what each does.
    scenarios: ClassVar[dict[str, str]] = {}

    def seed(self, dataset: str, seed: int, now: datetime) -> Snapshot:
        """The state for one of ``DATASETS``, deterministic for (dataset, seed, now)."""
        return {}

    def default_keys(self) -> tuple[str, ...]:
        """Credentials accepted when the user configures none (printed at start-up)."""
        return ()

    def authenticate(self, ctx: MockContext, credential: str) -> Principal | None:
        """The principal ``credential`` belongs to, or None when it is not valid."""
        return Principal("dev") if credential in ctx.api_keys else None

    def error_body(self, error: ApiError, request: RequestInfo) -> dict[str, Any]:
        """``error`` in this API's documented error shape."""
        raise NotImplementedError

    def guards(self, ctx: MockContext) -> list[RequestGuard]:
        """This API's request guards, in the order they run (e.g. rate limits). They see each
        request for one of the API's operations (never ``/__mockgate``, the docs or an unknown
        route) after faults and ``Prefer``, before authentication."""
        return []

    def credentials_help(self, ctx: MockContext) -> list[str]:
        """Lines for the start-up banner telling a person how to authenticate."""
        return [f"API key: {key}" for key in ctx.api_keys]


def load_api(name: str) -> MockApi:
    """The plugin of the API ``name`` (``state-tracking`` lives in ``apis/state_tracking``)."""
    module = importlib.import_module(f"mockgate.apis.{name.replace('-', '_')}")
    api = module.API
    if not isinstance(api, MockApi):
        raise TypeError(f"mockgate.apis.{name}.API is not a MockApi")
    return api
