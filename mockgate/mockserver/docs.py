"""A mock's docs: Swagger UI at ``/docs/`` and the JSON spec at ``/openapi.json`` on every API
(state-tracking's documented ``/api/docs`` paths too), and the admin API's under
``/__mockgate``.

The JSON specs are served here, with the mock's own URL (from the request's ``Host``, which
``gates.HostGate`` has already judged) first in ``servers``, so Swagger UI's "Try it out" calls
the mock that served the page. Connexion renders the Swagger UI pages and their assets, built on
first use: most runs of a mock never open the docs, and building Connexion's app is most of a
mock's start-up time. Each page is titled with its document (the admin's with the mock's API).
"""

from __future__ import annotations

import copy
import html
import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any

import orjson

from mockgate.mockserver.admin import ADMIN
from mockgate.mockserver.asgi import Message, Receive, Scope, Send
from mockgate.mockserver.middleware import ADMIN_PREFIX
from mockgate.openapi.catalog import ApiSpec

if TYPE_CHECKING:
    from connexion import AsyncApp

__all__ = ["ADMIN_DOCS", "DocsApp", "docs_paths"]

_UI = "/docs"
_SPEC = "/openapi.json"
ADMIN_DOCS = (f"{ADMIN_PREFIX}/ui", f"{ADMIN_PREFIX}/openapi.json")
"""The admin API's Swagger UI and JSON spec, on every mock."""
# Further paths of the same pages: state-tracking documents its own; `/api/docs-json` is the
# real state-tracking server's (NestJS' default).
_DOCUMENTED_UI = {"state-tracking": ("/api/docs",)}
_DOCUMENTED_SPEC = {"state-tracking": ("/api/docs/openapi.json", "/api/docs-json")}


def docs_paths(api: str) -> tuple[str, str]:
    """(Swagger UI path, JSON spec path) of ``api``'s mock: the same on every API."""
    del api  # every API has them; some have further, documented ones (``DocsApp.prefixes``)
    return _UI, _SPEC


class DocsApp:
    """Swagger UI and the JSON spec of ``spec``'s API and of the admin API (ASGI, GET/HEAD)."""

    def __init__(self, spec: ApiSpec) -> None:
        self._spec = spec
        self._ui_aliases = _DOCUMENTED_UI.get(spec.name, ())
        self._spec_paths = (_SPEC, *_DOCUMENTED_SPEC.get(spec.name, ()))
        self.prefixes = (_UI, *self._ui_aliases, *self._spec_paths, *ADMIN_DOCS)
        """What a request's path starts with to be one for the docs."""
        self._pages = (f"{_UI}/", f"{ADMIN_DOCS[0]}/")
        self._app: AsyncApp | None = None

    @cached_property
    def _document(self) -> dict[str, Any]:
        # One document, as written ($ref kept: clients generated from it get named types), with
        # any other file it refers to inlined, so a browser can follow every reference.
        return self._spec.bundle()

    @cached_property
    def _admin_document(self) -> dict[str, Any]:
        # The same admin API on every port: its title says which mock this one is.
        document = copy.deepcopy(ADMIN.document)
        document["info"]["title"] = f"mockgate admin — {self._spec.name}"
        return document

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if path in self._spec_paths:
            await _send_json(send, self.served_document(_own_url(scope)))
            return
        if path in (_UI, *self._ui_aliases):
            # The page itself, not Connexion's redirect: state-tracking documents `GET /api/docs`
            # as 200 HTML. A <base> keeps the page's relative links working.
            await self._page(f"{_UI}/", scope, receive, send, base=f"{path}/")
            return
        for alias in self._ui_aliases:
            if path.startswith(f"{alias}/"):
                path = _UI + path[len(alias) :]
        page = path.removesuffix("index.html")
        if page in self._pages:
            await self._page(page, scope, receive, send)
            return
        await self._connexion()({**scope, "path": path, "raw_path": path.encode()}, receive, send)

    def served_document(self, own_url: str | None) -> dict[str, Any]:
        """The API's document as served to ``own_url``: that URL first in ``servers``, then the
        document's own servers."""
        servers = self._document.get("servers", [])
        if own_url is not None:
            others = [server for server in servers if server.get("url") != own_url]
            servers = [{"url": own_url, "description": "This mock."}, *others]
        return {**self._document, "servers": servers}

    async def _page(
        self, page: str, scope: Scope, receive: Receive, send: Send, base: str | None = None
    ) -> None:
        """Connexion's Swagger UI page at ``page``, titled with its document; with a ``<base>``
        when served at another path than its own."""
        messages: list[Message] = []

        async def hold(message: Message) -> None:
            messages.append(message)

        await self._connexion()({**scope, "path": page, "raw_path": page.encode()}, receive, hold)
        start = next(m for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        if start["status"] == 200:
            document = self._document if page == self._pages[0] else self._admin_document
            title = html.escape(str(document["info"]["title"]))
            body = body.replace(b"<title>Swagger UI</title>", f"<title>{title}</title>".encode())
            if base is not None:
                body = body.replace(b"<head>", f'<head><base href="{base}">'.encode(), 1)
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _connexion(self) -> AsyncApp:
        if self._app is None:
            self._app = _swagger_ui(self._spec.name, self._document, self._admin_document)
        return self._app


def _own_url(scope: Scope) -> str | None:
    """The URL the client reached the mock at: its scheme and ``Host`` (None without one, as
    HTTP/1.0 allows)."""
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
    return None if not host else f"{scope.get('scheme', 'http')}://{host}"


async def _send_json(send: Send, value: Any) -> None:
    body = orjson.dumps(value)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _swagger_ui(api: str, document: dict[str, Any], admin: dict[str, Any]) -> AsyncApp:
    # Imported here: Connexion takes ~0.2 s to import, and only the docs need it.
    from connexion import AsyncApp
    from connexion.options import SwaggerUIOptions
    from connexion.resolver import Resolver

    # It warns of every security scheme without a verification function ("x-apikeyInfoFunc
    # missing"): this app serves no operation, so none is needed.
    logging.getLogger("connexion.security").setLevel(logging.ERROR)
    app = AsyncApp(f"mockgate.{api}.docs")
    app.add_api(
        copy.deepcopy(document),
        name=api,
        resolver=Resolver(lambda _: _never_called),
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path=_UI, spec_path=_SPEC),
    )
    app.add_api(
        copy.deepcopy(admin),
        base_path=ADMIN_PREFIX,
        name="mockgate-admin",
        resolver=Resolver(lambda _: _never_called),
    )
    return app


async def _never_called() -> None:  # operations are served by the dispatchers, not Connexion
    raise AssertionError("the docs app serves only the docs")
