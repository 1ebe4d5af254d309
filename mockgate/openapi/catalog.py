"""The bundled APIs: one OpenAPI document per API in ``specs/``, and what mockgate reads from it.

``get_api(name)`` is a bundled API. Another document is an ``ApiSpec`` of its own
(``mockgate serve --spec API=FILE``), handed to ``create_app``; a new ``ApiSpec`` of the same
path is how an edited file is read afresh (``mockgate serve --reload``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from prance.util.resolver import RESOLVE_FILES, RefResolver
from prance.util.url import absurl

from mockgate.core import yamltext
from mockgate.core.resources import specs_dir

__all__ = [
    "HTTP_METHODS",
    "ApiSpec",
    "Operation",
    "UnknownApiError",
    "bundled_apis",
    "get_api",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class UnknownApiError(KeyError):
    """Asked for an API that is not bundled."""

    def __str__(self) -> str:
        return f"unknown API {self.args[0]!r}; bundled: {', '.join(bundled_apis())}"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str | None
    summary: str
    tags: tuple[str, ...]
    statuses: tuple[str, ...]
    inferred: bool


@dataclass(frozen=True)
class ApiSpec:
    """One API's OpenAPI document on disk."""

    name: str
    path: Path

    @classmethod
    def from_path(cls, path: Path) -> ApiSpec:
        return cls(name=path.stem, path=path)

    @cached_property
    def document(self) -> dict[str, Any]:
        """The document as written (``$ref`` kept)."""
        return cast(dict[str, Any], yamltext.load(self.path.read_text(encoding="utf-8")))

    @cached_property
    def resolved(self) -> dict[str, Any]:
        """Every ``$ref`` replaced by its target: convenient for reading schemas."""
        return _resolve(self.document, self.path, resolve_types=None)

    def bundle(self) -> dict[str, Any]:
        """A single document: references to other files inlined, internal ones kept."""
        return _resolve(self.document, self.path, resolve_types=RESOLVE_FILES)

    @property
    def title(self) -> str:
        return str(self.document["info"]["title"])

    @property
    def version(self) -> str:
        return str(self.document["info"]["version"])

    @property
    def default_port(self) -> int | None:
        servers = self.document.get("servers") or [{}]
        url: str = servers[0].get("url", "")
        return urlsplit(url).port

    @cached_property
    def operations(self) -> tuple[Operation, ...]:
        found = []
        for path, item in self.resolved.get("paths", {}).items():
            for method in HTTP_METHODS:
                op = item.get(method)
                if op is None:
                    continue
                found.append(
                    Operation(
                        method=method.upper(),
                        path=path,
                        operation_id=op.get("operationId"),
                        summary=op.get("summary", ""),
                        tags=tuple(op.get("tags", ())),
                        statuses=tuple(str(code) for code in op.get("responses", {})),
                        inferred=bool(op.get("x-mockgate-inferred", False)),
                    )
                )
        return tuple(found)

    def operation(self, method: str, path: str) -> dict[str, Any]:
        """The resolved Operation Object for ``method`` on the path template ``path``."""
        try:
            operation: dict[str, Any] = self.resolved["paths"][path][method.lower()]
        except KeyError:
            raise KeyError(f"{self.name} has no operation {method.upper()} {path}") from None
        return operation

    @cached_property
    def _operations_by_id(self) -> dict[str, dict[str, Any]]:
        return {
            op["operationId"]: op
            for item in self.resolved.get("paths", {}).values()
            for method in HTTP_METHODS
            if (op := item.get(method)) and "operationId" in op
        }

    def operation_by_id(self, operation_id: str) -> dict[str, Any]:
        """The resolved Operation Object whose ``operationId`` is ``operation_id``."""
        try:
            return self._operations_by_id[operation_id]
        except KeyError:
            raise KeyError(f"{self.name} has no operation {operation_id!r}") from None

    def response_schema(self, method: str, path: str, status: int | str) -> dict[str, Any] | None:
        """The JSON schema of the response ``status`` (falling back to ``NXX`` and ``default``)."""
        responses = self.operation(method, path).get("responses", {})
        code = str(status)
        for key in (code, f"{code[0]}XX", "default"):
            if key in responses:
                return _json_schema(responses[key])
        raise KeyError(f"{self.name} {method.upper()} {path} declares no response {code}")

    def request_schema(self, method: str, path: str) -> dict[str, Any] | None:
        """The JSON schema of the request body, if the operation takes one."""
        body = self.operation(method, path).get("requestBody")
        return None if body is None else _json_schema(body)


def _json_schema(holder: dict[str, Any]) -> dict[str, Any] | None:
    for media, media_type in holder.get("content", {}).items():
        if media == "application/json" or media.endswith("+json"):
            schema: dict[str, Any] = media_type.get("schema", {})
            return schema
    return None


def _resolve(document: dict[str, Any], path: Path, *, resolve_types: int | None) -> dict[str, Any]:
    # Not prance.ResolvingParser: it keeps every document it reads by URL for the life of the
    # process (fetch_url's default cache), so an edited file would parse as it first was; and it
    # parses with ruamel in pure Python, ~30x slower than ``yamltext``. The document as read now
    # is resolved as prance does (each resolver reads referenced files afresh); RefResolver works
    # on its own deep copy, so ``document`` and ``resolved`` share nothing. Structural validation
    # is speccheck's.
    options: dict[str, Any] = {"strict": True}
    if resolve_types is not None:
        options["resolve_types"] = resolve_types
    resolver = RefResolver(document, absurl(str(path.resolve())), **options)
    resolver.resolve_references()
    return cast(dict[str, Any], resolver.specs)


@cache
def bundled_apis() -> dict[str, ApiSpec]:
    """Every bundled API by name, in name order."""
    return {p.stem: ApiSpec.from_path(p) for p in sorted(specs_dir().glob("*.yaml"))}


def get_api(name: str) -> ApiSpec:
    """The bundled API ``name``; ``UnknownApiError`` if there is none."""
    try:
        return bundled_apis()[name]
    except KeyError:
        raise UnknownApiError(name) from None
