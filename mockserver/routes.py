"""Which operation a request is for, from the spec's path templates alone.

The mock needs this before Connexion routes the request (faults and ``Prefer`` apply even to
requests that would fail authentication), and for a complete ``Allow`` header on 405.
Templates are matched in the spec's order, as Connexion and Starlette do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.catalog import HTTP_METHODS

__all__ = ["Route", "RouteTable"]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    operation_id: str
    takes_body: bool = False
    # Query parameter names, when the operation declares no 400 and so cannot refuse an
    # unknown one (the middleware drops unknown ones); None when it may refuse them.
    lenient_query: frozenset[str] | None = None


class RouteTable:
    def __init__(self, routes: list[Route]) -> None:
        self._patterns: list[tuple[re.Pattern[str], str, dict[str, Route]]] = []
        by_template: dict[str, dict[str, Route]] = {}
        for route in routes:
            by_template.setdefault(route.template, {})[route.method] = route
        for template, methods in by_template.items():
            self._patterns.append((_compile(template), template, methods))

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], base_path: str = "") -> RouteTable:
        routes = [
            Route(
                method.upper(),
                base_path + path,
                op["operationId"],
                "requestBody" in op,
                _lenient_query(item, op),
            )
            for path, item in spec.get("paths", {}).items()
            for method in HTTP_METHODS
            if (op := item.get(method)) and op.get("operationId")
        ]
        return cls(routes)

    def match(self, method: str, path: str) -> Route | None:
        """The operation for ``method`` on ``path``; None if the path or the method is unknown."""
        for pattern, _, methods in self._patterns:
            if pattern.fullmatch(path) and method.upper() in methods:
                return methods[method.upper()]
        return None

    def allowed(self, path: str) -> list[str]:
        """Every method some operation accepts on ``path`` (empty when no template matches)."""
        found: set[str] = set()
        for pattern, _, methods in self._patterns:
            if pattern.fullmatch(path):
                found.update(methods)
        return sorted(found)


def _lenient_query(item: Mapping[str, Any], op: Mapping[str, Any]) -> frozenset[str] | None:
    responses = op.get("responses", {})
    if "400" in responses or "4XX" in responses:
        return None
    params = [*item.get("parameters", []), *op.get("parameters", [])]
    return frozenset(p["name"] for p in params if p.get("in") == "query")


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))
