"""Sending a request on to the upstream and reading its answer, both within bounds.

The request goes out as the client sent it (method, raw path and query, headers, body) with
what a reverse proxy changes: hop-by-hop headers dropped, ``Host`` the upstream's, the client
added to ``X-Forwarded-For``. The answer is read raw (still compressed if it was), as it
arrives, so it reaches the client byte-identical; ``decoded`` gives a body as the validator
must see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import httpx

__all__ = [
    "Answer",
    "BodyTooLarge",
    "Upstream",
    "UpstreamResponse",
    "decoded",
    "forwardable",
    "upstream_headers",
]

# RFC 9110 section 7.6.1, plus what an HTTP/1.1 proxy must never pass on.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


class BodyTooLarge(Exception):
    """A body exceeded the proxy's bound."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


def forwardable(
    raw: Iterable[tuple[bytes, bytes]], *, drop: Iterable[str] = ()
) -> list[tuple[bytes, bytes]]:
    """``raw`` headers without hop-by-hop ones (and those ``Connection`` names) and ``drop``."""
    headers = list(raw)
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.decode("latin-1").split(",")
    }
    skip = _HOP_BY_HOP | named | {d.lower() for d in drop}
    return [(n, v) for n, v in headers if n.decode("latin-1").lower() not in skip]


def upstream_headers(
    raw: list[tuple[bytes, bytes]], *, client: str, scheme: str
) -> list[tuple[bytes, bytes]]:
    """The client's headers as the upstream gets them: hop-by-hop ones dropped, ``Host`` left
    to the upstream's URL, the client appended to ``X-Forwarded-For``, ``X-Forwarded-Proto``
    and (unless a proxy before set it) ``X-Forwarded-Host`` saying how the client came."""
    first = {name.lower(): value for name, value in reversed(raw)}
    replaced = ("host", "content-length", "x-forwarded-for", "x-forwarded-proto")
    headers = forwardable(raw, drop=replaced)
    chain = b", ".join(v for n, v in raw if n.lower() == b"x-forwarded-for")
    headers.append(
        (b"x-forwarded-for", chain + b", " + client.encode() if chain else client.encode())
    )
    headers.append((b"x-forwarded-proto", scheme.encode()))
    if b"host" in first and b"x-forwarded-host" not in first:
        headers.append((b"x-forwarded-host", first[b"host"]))
    return headers


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    headers: list[tuple[bytes, bytes]]  # as sent, minus hop-by-hop
    body: bytes  # raw: still content-encoded if the upstream compressed it


class Answer:
    """The upstream's answer as it arrives: status and headers first, the body read on demand
    (raw: still content-encoded if the upstream compressed it), so it can be passed on as it
    comes. Whoever opened it closes it (``aclose``)."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.headers = forwardable(response.headers.raw)
        self.received = 0  # body bytes read so far
        self._response = response
        self._chunks = response.aiter_raw()

    @property
    def content_type(self) -> str:
        return str(self._response.headers.get("content-type", ""))

    @property
    def declared_length(self) -> int | None:
        declared = self._response.headers.get("content-length", "")
        return int(declared) if declared.isdigit() else None

    async def read_up_to(self, limit: int) -> tuple[bytes, bool]:
        """The body's first bytes, read until it ends or passes ``limit`` bytes, and whether
        that is all of it. Nothing is read when its declared length is already over."""
        declared = self.declared_length
        if declared is not None and declared > limit:
            return b"", False
        chunks: list[bytes] = []
        while self.received <= limit:
            chunk = await self.next_chunk()
            if chunk is None:
                return b"".join(chunks), True
            chunks.append(chunk)
        return b"".join(chunks), False

    async def next_chunk(self) -> bytes | None:
        """The body's next bytes as they came from the network; None once it has ended.
        Raises ``httpx.HTTPError`` when the upstream breaks off."""
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            return None
        self.received += len(chunk)
        return chunk

    def whole(self, body: bytes) -> UpstreamResponse:
        """The answer, with ``body`` its complete (raw) body."""
        return UpstreamResponse(self.status, self.headers, body)

    async def aclose(self) -> None:
        await self._response.aclose()


class Upstream:
    """One upstream server behind one shared ``httpx.AsyncClient`` (pooled connections)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = httpx.URL(base_url)
        # Each connect and read is bounded too; the proxy's deadline bounds the whole exchange.
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        # Redirects reach the client as they are; proxies from the environment are not used:
        # the upstream is named explicitly.
        self._client = httpx.AsyncClient(
            transport=transport, timeout=self.timeout, follow_redirects=False, trust_env=False
        )

    def url_for(self, raw_path: bytes, query: bytes) -> httpx.URL:
        """The upstream URL of a request for ``raw_path?query`` (encoding kept as sent)."""
        prefix = self.base_url.raw_path.split(b"?")[0].rstrip(b"/")
        target = prefix + raw_path + (b"?" + query if query else b"")
        return self.base_url.copy_with(raw_path=target)

    async def open(
        self,
        method: str,
        raw_path: bytes,
        query: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> Answer:
        """Forward the request and return its answer once its head has come, the body still to
        read; raises ``httpx.HTTPError`` when the upstream cannot be reached or times out."""
        # httpx.Request adds nothing but Host (from the URL) and Content-Length (from the body),
        # unlike client.build_request, which would add the client's default headers.
        request = httpx.Request(
            method,
            self.url_for(raw_path, query),
            headers=headers,
            content=body or None,
            extensions={"timeout": self.timeout.as_dict()},
        )
        return Answer(await self._client.send(request, stream=True))

    async def aclose(self) -> None:
        await self._client.aclose()


def decoded(response: UpstreamResponse, limit: int) -> bytes:
    """The body with its ``Content-Encoding`` undone (what a client reads), at most ``limit``
    bytes; raises ``BodyTooLarge`` beyond (a compressed body may expand without bound)."""
    if not any(name.lower() == b"content-encoding" for name, _ in response.headers):
        return response.body
    plain = httpx.Response(response.status, headers=response.headers, stream=_Slices(response.body))
    chunks, size = [], 0
    for chunk in plain.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class _Slices(httpx.SyncByteStream):
    """A body in small slices, so decoding it can stop at the bound before expanding it all."""

    def __init__(self, body: bytes, size: int = 16 * 1024) -> None:
        self.body, self.size = body, size

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.body), self.size):
            yield self.body[start : start + self.size]
