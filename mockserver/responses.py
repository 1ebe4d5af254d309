"""Building responses the way every mock sends them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response

from mockserver.errors import ApiError
from mockserver.plugin import RequestInfo

if TYPE_CHECKING:
    from mockserver.context import MockContext
    from mockserver.examples import ExampleChoice

__all__ = ["encode_json", "error_response", "example_response", "json_response"]


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON, keys in the order the handler built them."""
    try:
        return orjson.dumps(body)
    except TypeError:  # what orjson refuses (non-string keys, integers over 64 bits)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(encode_json(body), status, headers, media_type="application/json")


def error_response(ctx: MockContext, error: ApiError, request: RequestInfo) -> Response:
    """``error`` in the API's own shape, with the headers the error needs (e.g. ``Allow``)."""
    body = ctx.api.error_body(error, request)
    return json_response(body, error.status, error.headers)


def example_response(choice: ExampleChoice) -> Response:
    """A spec example as the response it describes."""
    media_type, body = choice.media_type, choice.body
    if media_type is None or body is None:
        content = b""
    elif "json" in media_type:
        content = encode_json(body)
    else:
        content = body if isinstance(body, bytes) else str(body).encode()
    return Response(content, choice.status, choice.headers, media_type=media_type)
