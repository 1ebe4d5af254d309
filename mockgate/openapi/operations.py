"""Each operation of a spec, compiled once: its handler and the rules its requests must meet.

Everything a request needs from the spec (parameters, body, security, which keyword arguments
the handler takes) is worked out here at start-up, so serving a request does no spec work.
A handler is the snake_case of the operationId in the API's ``handlers`` module; an operation
without one answers with its spec's example.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any

from mockgate.core.errors import MockError
from mockgate.core.replies import Reply
from mockgate.openapi import examples
from mockgate.openapi.bodies import BodyRule
from mockgate.openapi.catalog import HTTP_METHODS
from mockgate.openapi.params import ParameterRules, snake
from mockgate.openapi.security import SecurityRule

__all__ = ["Operation", "compile_operations"]

Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Operation:
    operation_id: str
    spec: Mapping[str, Any]  # the resolved Operation Object
    parameters: ParameterRules
    body: BodyRule | None
    security: SecurityRule
    handler: Handler  # bound to the mock's context: called with keyword arguments only
    # The keyword arguments the handler takes (None: it takes any, through **kwargs).
    accepts: frozenset[str] | None

    def arguments(self, candidates: dict[str, Any]) -> dict[str, Any]:
        """The subset of ``candidates`` the handler takes."""
        if self.accepts is None:
            return candidates
        return {k: v for k, v in candidates.items() if k in self.accepts}


def compile_operations(
    resolved_spec: Mapping[str, Any], handlers: ModuleType | None, bound_to: Any
) -> dict[str, Operation]:
    """Every operation of ``resolved_spec`` with an operationId, by operationId; handlers come
    from ``handlers`` and receive ``bound_to`` (the mock's context) as first argument."""
    schemes = resolved_spec.get("components", {}).get("securitySchemes", {})
    default_security = resolved_spec.get("security")
    operations = {}
    for item in resolved_spec.get("paths", {}).values():
        for method in HTTP_METHODS:
            spec = item.get(method)
            if not spec or not spec.get("operationId"):
                continue
            operation_id = spec["operationId"]
            security = SecurityRule.from_spec(spec.get("security", default_security), schemes)
            responses = spec.get("responses", {})
            parameters = ParameterRules.from_spec(
                [*item.get("parameters", []), *spec.get("parameters", [])],
                # Only an operation that declares a 400 may refuse an unknown query parameter.
                strict_query="400" in responses or "4XX" in responses,
                credential_query=security.query_names,
            )
            body = BodyRule.from_spec(spec["requestBody"]) if "requestBody" in spec else None
            if body is not None:
                body.compile()
            handler = _handler(handlers, operation_id, spec, bound_to)
            operations[operation_id] = Operation(
                operation_id, spec, parameters, body, security, handler, _accepts(handler)
            )
    return operations


def _handler(
    handlers: ModuleType | None, operation_id: str, spec: Mapping[str, Any], ctx: Any
) -> Handler:
    function = getattr(handlers, snake(operation_id), None) if handlers else None
    if function is None:
        return partial(_example, spec)
    return partial(function, ctx)


async def _example(spec: Mapping[str, Any], **_: Any) -> Reply:
    """An operation without a handler answers with its spec's first 2xx example."""
    try:
        return examples.choose_example(dict(spec))
    except examples.NoExample as exc:
        # Answer with a status the operation declares, so even this stays within the contract.
        declared = spec.get("responses", {})
        status = next((int(s) for s in ("501", "503", "500") if s in declared), 501)
        raise MockError(
            status, f"{spec['operationId']} is not implemented by this mock: {exc}"
        ) from None


def _accepts(handler: Handler) -> frozenset[str] | None:
    parameters = inspect.signature(handler).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(p.name for p in parameters)
