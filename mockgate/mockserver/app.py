"""``create_app``: one mock per API, as an ASGI app wired to its context.

Requests to the API's operations go through mockgate's own pipeline: ``MockMiddleware``
(request id, journal, faults, ``Prefer``, self-validation), the API's middleware (rate limits),
then a ``Dispatcher`` (security, parameters and body checked by rules compiled from the spec at
start-up, the handler — the snake_case of the operationId in ``mockgate/apis/<api>/handlers.py``
— or the spec's example). ``/__mockgate`` carries the admin API through the same pipeline.
Connexion serves Swagger UI and the JSON specs, built on first use. Errors of every kind reach
the client in the API's own shape. In front of it all (``mockserver.gates``): the ``Host`` check
on every route, and the admin API's own rules (no foreign origins, a JSON content type for
writes, ``--admin-token``).
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from starlette.middleware.cors import CORSMiddleware

from mockgate.apis.base import load_api
from mockgate.apis.context import MockContext, MockOptions
from mockgate.apis.datasets import load_dataset
from mockgate.core.access import AdminPolicy, HostPolicy
from mockgate.core.clock import Clock
from mockgate.core.store import Store
from mockgate.core.store.memory import MemoryStore
from mockgate.mockserver.admin import ADMIN, admin_error_body, admin_handlers
from mockgate.mockserver.asgi import Receive, Scope, Send
from mockgate.mockserver.dispatch import Dispatcher
from mockgate.mockserver.gates import AdminGate, HostGate
from mockgate.mockserver.guards import GuardMiddleware
from mockgate.mockserver.middleware import ADMIN_PREFIX, MockMiddleware, SlashlessDocs
from mockgate.openapi.catalog import ApiSpec, get_api
from mockgate.openapi.operations import compile_operations
from mockgate.openapi.routes import RouteTable
from mockgate.openapi.schemas import ResponseValidator

if TYPE_CHECKING:
    from connexion import AsyncApp

__all__ = ["MockApp", "context_of", "create_app", "docs_paths"]

# Where each API's Swagger UI and JSON spec are served: state-tracking documents its own.
_DOCS = {"state-tracking": ("/api/docs", "/api/docs/openapi.json")}
_DEFAULT_DOCS = ("/docs", "/openapi.json")
# Further paths of the same JSON spec: the real state-tracking server's (NestJS' default).
_SPEC_ALIASES = {"state-tracking": ("/api/docs-json",)}


def docs_paths(api: str) -> tuple[str, str]:
    """(Swagger UI path, JSON spec path) of ``api``'s mock."""
    return _DOCS.get(api, _DEFAULT_DOCS)


def create_app(
    spec: ApiSpec | str,
    options: MockOptions | None = None,
    *,
    clock: Clock | None = None,
    store: Store | None = None,
) -> MockApp:
    """The mock of the API ``spec`` describes (a bundled API's name: its bundled document).

    ``clock`` defaults to the real time; ``store`` to one seeded with ``options.dataset``.
    """
    if isinstance(spec, str):
        spec = get_api(spec)
    options = options or MockOptions()
    api = spec.name
    plugin = load_api(api)
    clock = clock or Clock()
    started_at = clock.now()
    scenario = options.scenario
    if scenario is not None and scenario not in plugin.scenarios:
        known = ", ".join(plugin.scenarios) or "none"
        raise ValueError(f"{api} has no scenario {scenario!r} (scenarios: {known})")
    if store is None:
        dataset = load_dataset(plugin, spec, options.dataset, seed=options.seed, now=started_at)
        store = MemoryStore(dataset)
    ctx = MockContext(
        spec=spec,
        api=plugin,
        store=store,
        clock=clock,
        options=options,
        started_at=started_at,
        routes=RouteTable.from_spec(spec.resolved),
        scenario=scenario,
    )
    if options.validate_responses:
        ctx.validator = ResponseValidator.from_spec(spec.resolved)
        ctx.validator.precompile()

    ui_path, spec_path = docs_paths(api)
    aliases = _SPEC_ALIASES.get(api, ())
    admin_routes = RouteTable.from_spec(ADMIN.document, base_path=ADMIN_PREFIX)
    admin_docs = (f"{ADMIN_PREFIX}/ui", f"{ADMIN_PREFIX}/openapi.json")
    root = _Root(
        api=Dispatcher(
            ctx,
            compile_operations(spec.resolved, plugin.handlers, ctx),
            ctx.routes,
            plugin.error_body,
            verify=lambda credential: plugin.authenticate(ctx, credential),
        ),
        admin=Dispatcher(
            ctx,
            compile_operations(ADMIN.resolved, admin_handlers, ctx),
            admin_routes,
            admin_error_body,
        ),
        docs=_LazyDocs(api, spec.document, ui_path, spec_path, aliases),
        docs_prefixes=(ui_path, spec_path, *aliases, *admin_docs),
    )
    # Outermost first; the API's own middleware (e.g. rate limits) runs after faults and Prefer,
    # before authentication.
    inner: Any = root
    stack: list[tuple[type, dict[str, Any]]] = []
    stack.append((SlashlessDocs, {"ui_path": ui_path}))
    stack.append((MockMiddleware, {"ctx": ctx, "docs_prefixes": (ui_path, spec_path, *aliases)}))
    guards = plugin.guards(ctx)
    if guards:
        stack.append((GuardMiddleware, {"ctx": ctx, "guards": guards}))
    for middleware, middleware_options in reversed(stack):
        inner = middleware(inner, **middleware_options)
    # In front of it all: the Host check, then CORS (it answers preflights before anything
    # else): the API's for the API and its docs; for the admin, only the origins given.
    cors = _cors_options(options.cors_origins)
    api_side = CORSMiddleware(inner, **cors) if options.cors else inner
    trusted = options.cors_origins if options.cors else ()
    admin_side = CORSMiddleware(inner, **cors) if trusted else inner
    app: Any = AdminGate(
        api_side,
        admin_side,
        ctx,
        AdminPolicy.from_options(trusted, options.admin_token),
        admin_error_body,
        docs_prefixes=admin_docs,
    )
    app = HostGate(app, ctx, HostPolicy(options.allowed_hosts), admin_error_body)
    return MockApp(app, ctx)


class MockApp:
    """One mock as an ASGI app (what ``create_app`` returns), with its context."""

    def __init__(self, app: Any, ctx: MockContext) -> None:
        self._app = app
        self.context = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # nothing to start or stop: the mock is built already
            await _lifespan(receive, send)
            return
        await self._app(scope, receive, send)


def context_of(app: MockApp) -> MockContext:
    """The ``MockContext`` of an app built by ``create_app`` (for tests and the CLI)."""
    return app.context


class _Root:
    """Sends each request to the API's operations, the admin API's, or the docs."""

    def __init__(
        self, api: Dispatcher, admin: Dispatcher, docs: _LazyDocs, docs_prefixes: tuple[str, ...]
    ) -> None:
        self.api = api
        self.admin = admin
        self.docs = docs
        self.docs_prefixes = docs_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if path.startswith(self.docs_prefixes) and scope["method"] in ("GET", "HEAD"):
            await self.docs(scope, receive, send)
        elif path.startswith(ADMIN_PREFIX):
            await self.admin(scope, receive, send)
        else:
            await self.api(scope, receive, send)


class _LazyDocs:
    """Swagger UI and the JSON spec of the API and of the admin API, served by Connexion; the
    spec's ``aliases`` serve the same JSON as its path.

    Built on the first request for them: most runs of a mock never open the docs, and building
    Connexion's app is most of a mock's start-up time.
    """

    def __init__(
        self,
        api: str,
        document: dict[str, Any],
        ui_path: str,
        spec_path: str,
        aliases: tuple[str, ...] = (),
    ) -> None:
        self._args = (api, document, ui_path, spec_path)
        self._spec_path = spec_path
        self._aliases = aliases
        self._app: AsyncApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:
            self._app = _docs_app(*self._args)
        if scope["path"] in self._aliases:
            scope = {**scope, "path": self._spec_path, "raw_path": self._spec_path.encode()}
        await self._app(scope, receive, send)


def _docs_app(api: str, document: dict[str, Any], ui_path: str, spec_path: str) -> AsyncApp:
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
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path=ui_path, spec_path=spec_path),
    )
    app.add_api(
        copy.deepcopy(ADMIN.document),
        base_path=ADMIN_PREFIX,
        name="mockgate-admin",
        resolver=Resolver(lambda _: _never_called),
    )
    return app


async def _never_called() -> None:  # operations are served by the dispatchers, not Connexion
    raise AssertionError("the docs app serves only the docs")


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _cors_options(origins: tuple[str, ...]) -> dict[str, Any]:
    # Browsers refuse credentials with a wildcard origin, so credentials need an explicit list.
    return {
        "allow_origins": list(origins) or ["*"],
        "allow_credentials": bool(origins),
        "allow_methods": ["*"],
        "allow_headers": ["*"],
        "expose_headers": [
            "X-Request-Id",
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
            "Retry-After",
        ],
    }
