"""Which operation a request is for, from the spec's path templates alone.

The mock needs this before authentication (faults and ``Prefer`` apply even to requests that
would fail it), to dispatch, and for a complete ``Allow`` header on 405. Literal segments win
over parameters (``/sessions/stale`` before ``/sessions/{id}``), then the spec's order decides;
a HEAD request is served by the GET operation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockgate.openapi.catalog import HTTP_METHODS

__all__ = ["Route", "RouteTable"]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    operation_id: str


class RouteTable:
    def __init__(self, routes: list[Route]) -> None:
        self._patterns: list[tuple[re.Pattern[str], tuple[str, ...], dict[str, Route]]] = []
        by_template: dict[str, dict[str, Route]] = {}
        for route in routes:
            by_template.setdefault(route.template, {})[route.method] = route
        # Literal segments before parameters, as Connexion orders routes: /sessions/stale is not
        # the session "stale" (stable, so the spec's order decides the rest).
        for template, methods in sorted(by_template.items(), key=lambda t: _specificity(t[0])):
            pattern, names = _compile(template)
            self._patterns.append((pattern, names, methods))

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], base_path: str = "") -> RouteTable:
        routes = [
            Route(
                method.upper(),
                base_path + path,
                op["operationId"],
            )
            for path, item in spec.get("paths", {}).items()
            for method in HTTP_METHODS
            if (op := item.get(method)) and op.get("operationId")
        ]
        return cls(routes)

    def match(self, method: str, path: str) -> Route | None:
        """The operation for ``method`` on ``path``; None if the path or the method is unknown."""
        found = self.resolve(method, path)
        return found[0] if found else None

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The operation for ``method`` on ``path`` and the path parameters' values."""
        method = method.upper()
        for pattern, names, methods in self._patterns:
            route = methods.get(method) or (methods.get("GET") if method == "HEAD" else None)
            if route is not None and (found := pattern.fullmatch(path)):
                return route, dict(zip(names, found.groups(), strict=True))
        return None

    def allowed(self, path: str) -> list[str]:
        """Every method some operation accepts on ``path`` (empty when no template matches)."""
        found: set[str] = set()
        for pattern, _, methods in self._patterns:
            if pattern.fullmatch(path):
                found.update(methods)
        return sorted(found)


def _specificity(template: str) -> tuple[int, ...]:
    return tuple(1 if "{" in segment else 0 for segment in template.split("/"))


def _compile(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    parts = re.split(r"(\{[^}/]+\})", template)
    names = tuple(p[1:-1] for p in parts if p.startswith("{"))
    regex = "".join("([^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(regex), names
