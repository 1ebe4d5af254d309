"""``create_app``: one mock per API, as an ASGI app wired to its context.

Requests to the API's operations go through mockgate's own pipeline: ``MockMiddleware``
(request id, journal, faults, ``Prefer``, self-validation), the API's middleware (rate limits),
then a ``Dispatcher`` (security, parameters and body checked by rules compiled from the spec at
start-up, the handler — the snake_case of the operationId in ``mockgate/apis/<api>/handlers.py``
— or the spec's example). ``/__mockgate`` carries the admin API through the same pipeline.
``mockserver.docs`` serves Swagger UI and the JSON specs of the API and the admin API. Errors
of every kind reach the client in the API's own shape. In front of it all: the ``Host`` check
on every route (``mockserver.gates``), CORS (``mockserver.cors``), and the admin API's own
rules (no foreign origins, a JSON content type for writes, ``--admin-token``).
"""

from __future__ import annotations

import functools
from typing import Any

from mockgate.apis.base import DATASETS, load_api
from mockgate.apis.context import MockContext, MockOptions
from mockgate.apis.datasets import load_dataset
from mockgate.core.access import AdminPolicy, HostPolicy
from mockgate.core.clock import Clock
from mockgate.core.cors import CorsPolicy
from mockgate.core.store import Store
from mockgate.core.store.memory import MemoryStore
from mockgate.core.stubs import StubBook
from mockgate.mockserver.admin import ADMIN, admin_error_body, admin_handlers
from mockgate.mockserver.asgi import Receive, Scope, Send
from mockgate.mockserver.cors import CorsLayer
from mockgate.mockserver.dispatch import Dispatcher
from mockgate.mockserver.docs import ADMIN_DOCS, DocsApp, docs_paths
from mockgate.mockserver.gates import AdminGate, HostGate
from mockgate.mockserver.guards import GuardMiddleware
from mockgate.mockserver.middleware import ADMIN_PREFIX, MockMiddleware
from mockgate.openapi.catalog import ApiSpec, get_api
from mockgate.openapi.operations import compile_operations
from mockgate.openapi.routes import RouteTable
from mockgate.openapi.schemas import ResponseValidator
from mockgate.reports.coverage import Coverage

__all__ = ["MockApp", "context_of", "create_app", "docs_paths"]


def create_app(
    spec: ApiSpec | str,
    options: MockOptions | None = None,
    *,
    clock: Clock | None = None,
    store: Store | None = None,
    stubs: StubBook | None = None,
) -> MockApp:
    """The mock of the API ``spec`` describes (a bundled API's name: its bundled document).

    ``clock`` defaults to the real time; ``store`` to one seeded with ``options.dataset``
    (a store given is taken to hold it: a reset after the clock changed seeds it again);
    ``stubs`` to none (a state file's, to keep them across restarts and reloads).
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
        stubs=stubs if stubs is not None else StubBook(),
        # A named dataset follows the clock: a reset after the clock changed seeds it again.
        reseed=(
            functools.partial(plugin.seed, options.dataset, options.seed)
            if options.dataset in DATASETS
            else None
        ),
        seeded_changes=clock.changes,
    )
    ctx.coverage = Coverage.for_spec(spec)
    if options.validate_responses:
        ctx.validator = ResponseValidator.from_spec(spec.resolved)
        ctx.validator.precompile()

    docs = DocsApp(spec)
    admin_routes = RouteTable.from_spec(ADMIN.document, base_path=ADMIN_PREFIX)
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
        docs=docs,
    )
    # Outermost first; the API's own middleware (e.g. rate limits) runs after faults and Prefer,
    # before authentication.
    inner: Any = root
    stack: list[tuple[type, dict[str, Any]]] = []
    stack.append((MockMiddleware, {"ctx": ctx, "docs_prefixes": docs.prefixes}))
    guards = plugin.guards(ctx)
    if guards:
        stack.append((GuardMiddleware, {"ctx": ctx, "guards": guards}))
    for middleware, middleware_options in reversed(stack):
        inner = middleware(inner, **middleware_options)
    # In front of it all: the Host check, then CORS (it answers preflights before anything
    # else, and its headers reach the admin's refusals too): any origin for the API and its
    # docs, credentials for the origins given; for the admin, only those. Then the admin's rules.
    trusted = options.cors_origins if options.cors else ()
    app: Any = AdminGate(
        inner,
        ctx,
        AdminPolicy.from_options(trusted, options.admin_token),
        admin_error_body,
        docs_prefixes=ADMIN_DOCS,
    )
    app = CorsLayer(
        app,
        api=CorsPolicy.of(options.cors_origins, enabled=options.cors),
        admin=CorsPolicy.of(trusted, others=False, enabled=options.cors),
        name=api,
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

    def __init__(self, api: Dispatcher, admin: Dispatcher, docs: DocsApp) -> None:
        self.api = api
        self.admin = admin
        self.docs = docs
        self.docs_prefixes = docs.prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if path.startswith(self.docs_prefixes) and scope["method"] in ("GET", "HEAD"):
            await self.docs(scope, receive, send)
        elif path.startswith(ADMIN_PREFIX):
            await self.admin(scope, receive, send)
        else:
            await self.api(scope, receive, send)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
