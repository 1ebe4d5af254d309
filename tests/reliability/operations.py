"""The operations of the bundled specs that take a body or parameters, as test cases, with real
record ids for their path parameters (so a refusal is about the malformed part alone)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockgate.openapi.catalog import get_api

APIS = ("agentlens", "fasting", "piorchestrator", "state-tracking")


@dataclass(frozen=True)
class Op:
    api: str
    operation_id: str
    method: str
    path: str  # template
    body_required: bool | None  # None: takes no body
    query: tuple[tuple[str, str], ...]  # (name, kind) of its query parameters

    @property
    def id(self) -> str:
        return f"{self.api}-{self.operation_id}"

    def url(self, ids: dict[str, str], value: str | None = None) -> str:
        """The path with its parameter replaced by ``value``, or by a real id from ``ids``,
        keyed by the segment before the parameter (``sessions``, ``tasks``, ``by-project``)."""
        segments = self.path.split("/")
        for index, segment in enumerate(segments):
            if segment.startswith("{"):
                segments[index] = value if value is not None else ids[segments[index - 1]]
        return "/".join(segments)

    @property
    def text_query(self) -> str | None:
        """A query parameter that takes free text (a string without enum or format), if any."""
        return next((name for name, kind in self.query if kind == "text"), None)


def operations(api: str) -> list[Op]:
    spec = get_api(api)
    found = []
    for operation in spec.operations:
        if not operation.operation_id:
            continue
        definition: dict[str, Any] = spec.operation_by_id(operation.operation_id)
        body = definition.get("requestBody")
        query = tuple(
            (p["name"], _kind(p.get("schema", {})))
            for p in definition.get("parameters", [])
            if p["in"] == "query"
        )
        found.append(
            Op(
                api,
                operation.operation_id,
                operation.method.upper(),
                operation.path,
                None if body is None else bool(body.get("required")),
                query,
            )
        )
    return found


def _kind(schema: dict[str, Any]) -> str:
    free = schema.get("type", "string") == "string" and not {"enum", "format"} & set(schema)
    return "text" if free else str(schema.get("type", "string"))


def with_body() -> list[Op]:
    return [op for api in APIS for op in operations(api) if op.body_required is not None]


def with_query() -> list[Op]:
    return [op for api in APIS for op in operations(api) if op.query]


def with_path_params() -> list[Op]:
    return [op for api in APIS for op in operations(api) if "{" in op.path]


def one_per_path() -> list[Op]:
    """The first operation of each path of every API."""
    seen: dict[tuple[str, str], Op] = {}
    for api in APIS:
        for op in operations(api):
            seen.setdefault((api, op.path), op)
    return list(seen.values())
