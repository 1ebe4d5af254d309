"""``create_app``: one Connexion 3 ``AsyncApp`` per mocked API, wired to its context.

The app serves the bundled spec with strict request validation; handlers come from
``mockserver/apis/<api>/handlers.py`` by the snake_case of their operationId (bound to the
``MockContext``), and an operation without a handler answers with the spec's example. Errors of
every kind reach the client in the API's own shape. ``/__mockgate`` carries the admin API.
"""

from __future__ import annotations

import copy
import functools
import inspect
import logging
import re
from collections.abc import Iterable
from typing import Any

from connexion import AsyncApp
from connexion.context import scope as connexion_scope
from connexion.exceptions import OAuthResponseProblem, OAuthScopeProblem, ProblemException
from connexion.jsonifier import Jsonifier
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.security import NO_VALUE, ApiKeySecurityHandler, BearerSecurityHandler
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware

from mockserver import examples
from mockserver.admin import ADMIN_SPEC, admin_handlers
from mockserver.catalog import get_api
from mockserver.clock import Clock
from mockserver.context import MockContext, MockOptions
from mockserver.cookies import cookie_values
from mockserver.datasets import load_dataset
from mockserver.errors import ApiError, MockError, describe
from mockserver.middleware import ADMIN_PREFIX, MockMiddleware, SlashlessDocs
from mockserver.plugin import RequestInfo, load_api
from mockserver.preferred import preferred_response
from mockserver.responses import encode_json
from mockserver.routes import RouteTable
from mockserver.schemas import ResponseValidator
from mockserver.store import Store
from mockserver.store.memory import MemoryStore
from mockserver.validation import VALIDATORS

__all__ = ["context_of", "create_app", "docs_paths"]

log = logging.getLogger("mockgate")

# Where each API's Swagger UI and JSON spec are served: state-tracking documents its own.
_DOCS = {"state-tracking": ("/api/docs", "/api/docs/openapi.json")}
_DEFAULT_DOCS = ("/docs", "/openapi.json")


def docs_paths(api: str) -> tuple[str, str]:
    """(Swagger UI path, JSON spec path) of ``api``'s mock."""
    return _DOCS.get(api, _DEFAULT_DOCS)


def create_app(
    api: str,
    *,
    seed: int = 0,
    dataset: str = "demo",
    clock: Clock | None = None,
    store: Store | None = None,
    api_keys: Iterable[str] = (),
    validate_responses: bool = False,
    cors: bool = True,
    cors_origins: Iterable[str] = (),
    access_log: bool = False,
    rate_limit: str | None = None,
    scenario: str | None = None,
) -> AsyncApp:
    """The mock of ``api`` (one of the bundled APIs), seeded with ``dataset``."""
    spec = get_api(api)
    plugin = load_api(api)
    clock = clock or Clock()
    started_at = clock.now()
    options = MockOptions(
        seed=seed,
        dataset=dataset,
        api_keys=tuple(api_keys),
        validate_responses=validate_responses,
        cors=cors,
        cors_origins=tuple(cors_origins),
        access_log=access_log,
        rate_limit=rate_limit,
    )
    if scenario is not None and scenario not in plugin.scenarios:
        known = ", ".join(plugin.scenarios) or "none"
        raise ValueError(f"{api} has no scenario {scenario!r} (scenarios: {known})")
    if store is None:
        store = MemoryStore(load_dataset(plugin, spec, dataset, seed=seed, now=started_at))
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
    if validate_responses:
        ctx.validator = ResponseValidator.from_spec(spec.resolved)
        ctx.validator.precompile()

    ui_path, spec_path = docs_paths(api)
    app = AsyncApp(f"mockgate.{api}")
    app.add_api(
        copy.deepcopy(spec.document),
        jsonifier=_JSONIFIER,
        name=api,
        resolver=_Resolver(ctx),
        # Unknown query parameters are a 400 where an operation declares 400; elsewhere the
        # middleware drops them first (routes.Route.lenient_query).
        strict_validation=True,
        pythonic_params=True,
        validator_map=VALIDATORS,
        security_map=_security_map(),
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path=ui_path, spec_path=spec_path),
    )
    app.add_api(
        copy.deepcopy(ADMIN_SPEC),
        base_path=ADMIN_PREFIX,
        name="mockgate-admin",
        resolver=_Resolver(ctx, admin_handlers),
        strict_validation=True,
        pythonic_params=True,
        validator_map=VALIDATORS,
    )
    for error in (ProblemException, HTTPException, Exception):
        app.add_error_handler(error, _error_handler)
    # Outermost first (each one added at a position goes inside the ones added before):
    # CORS answers preflights before anything else; the API's own middleware (e.g. rate limits)
    # runs after faults and Prefer, before Connexion's security.
    stack: list[tuple[type, dict[str, Any]]] = []
    if cors:
        stack.append((CORSMiddleware, _cors_options(options.cors_origins)))
    stack.append((SlashlessDocs, {"ui_path": ui_path}))
    stack.append((MockMiddleware, {"ctx": ctx, "docs_prefixes": (ui_path, spec_path)}))
    stack += plugin.middleware(ctx)
    for middleware, middleware_options in stack:
        app.add_middleware(
            middleware, position=MiddlewarePosition.BEFORE_EXCEPTION, **middleware_options
        )
    app._mockgate_context = ctx  # type: ignore[attr-defined]  # read by context_of()
    return app


class _CompactJson(Jsonifier):
    """Handler bodies as the real servers send them: compact UTF-8 JSON, like every other body
    of the mock (Connexion's default indents, escapes non-ASCII and adds a newline)."""

    def dumps(self, data: Any, **kwargs: Any) -> str:
        return encode_json(data).decode()


_JSONIFIER = _CompactJson()


def context_of(app: AsyncApp) -> MockContext:
    """The ``MockContext`` of an app built by ``create_app`` (for tests and the CLI)."""
    return app._mockgate_context  # type: ignore[attr-defined,no-any-return]


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


class _Resolver(Resolver):
    """operationId → the handler of the same name (snake_case), bound to the context."""

    def __init__(self, ctx: MockContext, module: Any = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.module = module if module is not None else ctx.api.handlers

    def resolve_function_from_operation_id(self, operation_id: str) -> Any:
        ctx = self.ctx
        handler = getattr(self.module, _snake(operation_id), None)
        if handler is None:
            bound = functools.partial(_example_handler, ctx, operation_id)
        else:
            bound = functools.partial(handler, ctx)

        async def call(*args: Any, **kwargs: Any) -> Any:
            # connexion_scope: a proxy to the ASGI scope of the request being served.
            prefs = connexion_scope.get("mockgate.prefer")
            if prefs is not None:
                info = RequestInfo(
                    connexion_scope["method"],
                    connexion_scope["path"],
                    connexion_scope.get("mockgate.request_id", ""),
                    ctx.clock.now(),
                )
                response = preferred_response(ctx, operation_id, prefs, info)
                if response is not None:
                    return response
            return await bound(*args, **kwargs)

        # Connexion inspects the handler's signature on every request: give it the bound
        # handler's, computed once (inspect.signature returns a __signature__ as is).
        call.__signature__ = inspect.signature(bound)  # type: ignore[attr-defined]
        call.__name__ = _snake(operation_id)
        return call


async def _example_handler(ctx: MockContext, operation_id: str, **_: Any) -> Any:
    """An operation without a handler answers with its spec's first 2xx example."""
    operation = ctx.spec.operation_by_id(operation_id)
    try:
        choice = examples.choose_example(operation)
    except examples.NoExample as exc:
        # Answer with a status the operation declares, so even this stays within the contract.
        declared = operation.get("responses", {})
        status = next((int(s) for s in ("501", "503", "500") if s in declared), 501)
        raise MockError(status, f"{operation_id} is not implemented by this mock: {exc}") from None
    return choice.body, choice.status, choice.headers


def _snake(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


async def _error_handler(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    ctx: MockContext = request.scope["mockgate"]
    error = describe(exc)
    method, path = request.scope["method"], request.scope["path"]
    if error.status == 404 and ctx.routes.match(method, path) is None:
        error = ApiError(404, f"No operation at {method} {path}")
    elif error.status == 405:
        allowed = ctx.routes.allowed(path)
        error = ApiError(
            405,
            f"{method} is not allowed on {path}; use {', '.join(allowed)}",
            headers={"Allow": ", ".join(allowed)},
        )
    elif error.status >= 500 and not isinstance(exc, MockError):
        log.exception("%s %s failed", method, path, exc_info=exc)
    info = RequestInfo(method, path, request.scope.get("mockgate.request_id", ""), ctx.clock.now())
    if path.startswith(ADMIN_PREFIX):
        body: Any = {"error": error.message, "status": error.status}
        if error.details:
            body["details"] = [{"path": d.path, "message": d.message} for d in error.details]
    else:
        body = ctx.api.error_body(error, info)
    return ConnexionResponse(
        status_code=error.status,
        body=encode_json(body),
        content_type="application/json",
        headers=error.headers,
    )


def _verify(credential: str, request: ConnexionRequest) -> dict[str, Any] | None:
    ctx: MockContext = request.scope["mockgate"]
    principal = ctx.api.authenticate(ctx, credential)
    if principal is None:
        return None
    if principal.read_only and request.scope["method"] not in ("GET", "HEAD", "OPTIONS"):
        # Connexion's scope problem is how a valid credential without the right gets a 403.
        raise OAuthScopeProblem(token_scopes=["read"], required_scopes=["write"])
    return {"sub": principal.id, "principal": principal}


class _Bearer(BearerSecurityHandler):
    def _resolve_func(self, security_scheme: Any) -> Any:
        return _verify


class _ApiKey(ApiKeySecurityHandler):
    def _resolve_func(self, security_scheme: Any) -> Any:
        return _verify

    def _get_verify_func(
        self, api_key_info_func: Any, loc: str, name: str, required_scopes: Any
    ) -> Any:
        if loc != "cookie":
            return super()._get_verify_func(api_key_info_func, loc, name, required_scopes)

        def from_cookies(request: ConnexionRequest) -> Any:
            # Every value of the cookie (and of its __Secure- twin, used on HTTPS), parsed
            # robustly; the first that authenticates wins.
            headers = request.headers.getlist("cookie")
            candidates = cookie_values(headers, (name, f"__Secure-{name}"))
            if not candidates:
                return NO_VALUE
            for candidate in candidates:
                info = _verify(candidate, request)
                if info is not None:
                    return info
            raise OAuthResponseProblem(detail="Provided apikey is not valid")

        return from_cookies


def _security_map() -> dict[str, Any]:
    return {"bearer": _Bearer, "apiKey": _ApiKey}
