"""Building responses the way every mock sends them."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from mockgate.apis.base import MockApi
from mockgate.core.errors import ApiError, RequestInfo
from mockgate.core.replies import Reply

if TYPE_CHECKING:
    from mockgate.apis.context import MockContext

__all__ = [
    "JSON_VALUE",
    "PARSER_REFUSAL",
    "JsonResponse",
    "encode_json",
    "error_response",
    "json_response",
    "new_request_id",
    "parser_refusal",
    "reply_response",
]

PARSER_REFUSAL = (
    "The request is not valid HTTP/1.1 and was not read. Check the request line (METHOD "
    "/path HTTP/1.1, ASCII only) and the headers: no control characters, no folded lines, "
    "names without spaces, one Content-Length and not both Content-Length and Transfer-Encoding."
)


def new_request_id() -> str:
    # Unique enough to tell requests apart, not a secret: no need for uuid4's system entropy.
    return f"req-{random.getrandbits(64):016x}"


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON, keys in the order the handler built them."""
    try:
        return orjson.dumps(body)
    except TypeError:  # what orjson refuses (non-string keys, integers over 64 bits)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


JSON_VALUE = "mockgate.json"
"""Key of the value a JSON response encodes, on its ``http.response.body`` message."""


class JsonResponse(Response):
    """A JSON response whose body message also carries the value it encodes, so response
    self-validation judges that value instead of parsing the bytes back (a middleware that
    rewrites the body drops the key, and the bytes are parsed again)."""

    media_type = "application/json"

    def __init__(
        self, value: Any, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        self.value = value
        super().__init__(encode_json(value), status, headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.body":
                message[JSON_VALUE] = self.value
            await send(message)

        await super().__call__(scope, receive, tagged)


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return JsonResponse(body, status, headers)


def error_response(ctx: MockContext, error: ApiError, request: RequestInfo) -> Response:
    """``error`` in the API's own shape, with the headers the error needs (e.g. ``Allow``)."""
    body = ctx.api.error_body(error, request)
    return json_response(body, error.status, error.headers)


def parser_refusal(api: MockApi, now: Callable[[], datetime]) -> Callable[[int, str], bytes]:
    """The body of a refusal by the server's HTTP protocol, before any app saw the request (what
    its parser cannot read, a head too large or too slow, a body too slow, one connection too
    many), in ``api``'s error shape: ``body(status, message)``. Nothing of the request is known
    there: not its method, nor its path."""

    def body(status: int, message: str) -> bytes:
        info = RequestInfo("", "", new_request_id(), now())
        return encode_json(api.error_body(ApiError(status, message), info))

    return body


def reply_response(reply: Reply) -> Response:
    """A ``Reply`` as the response it describes."""
    media_type, body = reply.media_type, reply.body
    if media_type == "application/json" and body is not None and not isinstance(body, bytes):
        return JsonResponse(body, reply.status, reply.headers)
    if media_type is None or body is None:
        content = b""
    elif isinstance(body, bytes):  # already encoded
        content = body
    elif "json" in media_type:
        content = encode_json(body)
    else:
        content = str(body).encode()
    return Response(content, reply.status, reply.headers, media_type=media_type)
