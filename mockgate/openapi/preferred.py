"""Responses a client asks for with ``Prefer`` (Prism-compatible): a status, a named example,
data generated from the schema. Answered in place of the handler, so only after the request
passed authentication and validation, as a real call would have to."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from mockgate.apis.base import RequestInfo
from mockgate.core.errors import ApiError
from mockgate.mockserver.responses import error_response, example_response, json_response
from mockgate.openapi import dynamic, examples
from mockgate.openapi.prefer import Preferences

if TYPE_CHECKING:
    from mockgate.apis.context import MockContext

__all__ = ["preferred_response"]


def preferred_response(
    ctx: MockContext, operation_id: str, prefs: Preferences, info: RequestInfo
) -> Response | None:
    """The response ``prefs`` asks for, or None when it asks for none (a delay only)."""
    if prefs.code is None and prefs.example is None and not prefs.dynamic:
        return None
    operation = ctx.spec.operation_by_id(operation_id)
    if prefs.dynamic and prefs.example is None:
        return _dynamic(ctx, operation, prefs.code, info)
    try:
        choice = examples.choose_example(operation, status=prefs.code, name=prefs.example)
    except examples.NoExample as exc:
        code = prefs.code
        if code is not None and code >= 400 and str(code) in operation.get("responses", {}):
            # A declared error without an example: the API's error shape says it.
            return error_response(ctx, ApiError(code, f"Response {code} asked for"), info)
        return error_response(ctx, ApiError(400, f"Prefer: {exc}"), info)
    return example_response(choice)


def _dynamic(
    ctx: MockContext, operation: dict[str, Any], status: int | None, info: RequestInfo
) -> Response:
    responses = operation.get("responses", {})
    successes = [s for s in responses if s.startswith("2")]
    code = str(status) if status else min(successes, default="")
    media = responses.get(code, {}).get("content", {}).get("application/json")
    if not media or "schema" not in media:
        message = f"Prefer: dynamic=true: response {code or '2xx'} has no JSON schema"
        return error_response(ctx, ApiError(400, message), info)
    rng = random.Random(f"{ctx.options.seed}:{info.request_id}")
    return json_response(dynamic.generate(media["schema"], rng=rng), int(code))
