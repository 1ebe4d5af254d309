"""Proxies under test: in-process (Starlette's TestClient) in front of an in-process upstream."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mockgate.proxy.app import Proxy, ProxyOptions, create_proxy_app, proxy_of

UPSTREAM = "http://upstream.test"


class ProxyClient(TestClient):
    """A client of one proxy, with the proxy (its violations) at hand."""

    proxy: Proxy


@pytest.fixture
def through_proxy() -> Iterator[Callable[..., ProxyClient]]:
    """``through_proxy(api, upstream, **options)``: a client of a proxy for ``api`` in front of
    ``upstream`` (an ASGI app, or any httpx transport; served in-process), with ``ProxyOptions``.
    """
    with contextlib.ExitStack() as stack:

        def make(api: str, upstream: Any, *, url: str = UPSTREAM, **options: Any) -> ProxyClient:
            transport = (
                upstream
                if isinstance(upstream, httpx.AsyncBaseTransport)
                else httpx.ASGITransport(app=upstream)
            )
            app = create_proxy_app(api, url, ProxyOptions(**options), transport=transport)
            client = stack.enter_context(
                ProxyClient(app, base_url="http://localhost", raise_server_exceptions=True)
            )
            client.proxy = proxy_of(app)
            return client

        yield make
