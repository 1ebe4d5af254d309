"""The API's request guards (``PiOrchestrator.guards``), each for one rule the spec's request
validation cannot say:

- ``unregistered_routes``: under a degradation scenario, a 404 for the operations it unregisters
  (``degradation``).
- ``key_guard``: the image proxy's ``key`` checked by ``keys.check_key`` before the spec's pattern
  is, so a malformed key is refused with the rule it breaks (``invalid object key: path
  traversal is not allowed``, as the spec's example says) instead of a regular expression, and
  without echoing a hostile key back. Every ``key`` given must pass (a repeated parameter
  cannot smuggle one past the check).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from mockgate.apis.base import GuardedRequest, RequestGuard
from mockgate.apis.context import MockContext
from mockgate.apis.piorchestrator.degradation import ROUTE_NOT_FOUND, unregistered
from mockgate.apis.piorchestrator.keys import MalformedKey, check_key
from mockgate.core.errors import ApiError, FieldError

__all__ = ["IMAGE_OPERATION", "key_guard", "unregistered_routes"]

IMAGE_OPERATION = "getEvidenceImage"


def unregistered_routes(ctx: MockContext) -> RequestGuard:
    """A 404 for the operations the mock's current scenario unregisters (read per request: a
    client switches scenarios at run time)."""

    def guard(request: GuardedRequest) -> ApiError | None:
        if unregistered(ctx.scenario, request.operation_id):
            return ApiError(404, ROUTE_NOT_FOUND)
        return None

    return guard


def key_guard(request: GuardedRequest) -> ApiError | None:
    if request.operation_id != IMAGE_OPERATION:
        return None
    pairs = parse_qsl(request.query, keep_blank_values=True)
    keys = [value for name, value in pairs if name == "key"]
    # None given: request validation names the required parameter.
    for key in keys:
        try:
            check_key(key)
        except MalformedKey as exc:
            return ApiError(400, str(exc), (FieldError("key", str(exc)),))
    return None
