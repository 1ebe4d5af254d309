"""Checks an OpenAPI document the way mockgate needs it, with errors located in the source file.

Beyond structural validity (openapi-spec-validator) it holds the document to what the mock and
the conformance suites rely on: OpenAPI 3.0.x, string status codes, resolvable references, an
``operationId`` and a 2xx response on every operation, and every example valid against its schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mockgate.core import yamltext
from mockgate.openapi.catalog import HTTP_METHODS, ApiSpec

__all__ = ["Problem", "check_spec", "example_errors", "locate"]

Pointer = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, with where it is."""

    file: str
    pointer: Pointer
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        at = ".".join(str(p) for p in self.pointer) or "(document)"
        return f"{where}: at {at}: {self.message}"


def check_spec(path: Path) -> list[Problem]:
    """Every problem found in the document at ``path``; empty when it is fit to serve."""
    # The OpenAPI validators are imported where they are used (~0.4 s): serving a bundled spec
    # imports this module for ``locate`` and ``Problem`` only.
    from openapi_spec_validator import OpenAPIV30SpecValidator

    text = path.read_text(encoding="utf-8")
    try:
        document = yamltext.load(text)
        nodes = yamltext.compose(text)
    except yamltext.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        reason = " ".join(
            filter(None, (getattr(exc, "context", None), getattr(exc, "problem", None)))
        )
        return [Problem(str(path), (), f"not valid YAML: {reason or exc}", line, column)]
    if not isinstance(document, dict):
        return [Problem(str(path), (), "not an OpenAPI document (expected a mapping)")]

    def located(pointer: Pointer, message: str) -> Problem:
        line, column = locate(nodes, pointer)
        return Problem(str(path), pointer, message, line, column)

    version = str(document.get("openapi", ""))
    if not version.startswith("3.0."):
        return [located(("openapi",), f"version {version!r}: mockgate serves OpenAPI 3.0.x only")]
    problems = [located(p, m) for p, m in _shape_problems(document)]
    if problems:  # the structural validator cannot get past these
        return problems
    try:
        errors = list(OpenAPIV30SpecValidator(document).iter_errors())
    except Exception as exc:  # the validator raises on some broken documents instead of reporting
        return [located((), f"openapi-spec-validator failed: {exc}")]
    problems = [located(tuple(e.absolute_path), _first_line(e.message)) for e in errors]
    if problems:
        return problems
    try:
        resolved = ApiSpec.from_path(path).resolved
    except Exception as exc:
        return [located((), f"references do not resolve: {exc}")]
    problems += [located(p, m) for p, m in _operation_problems(document)]
    problems += [located(p, m) for p, m in example_errors(document, resolved)]
    return problems


def _shape_problems(document: dict[str, Any]) -> Iterator[tuple[Pointer, str]]:
    """Keys that are not strings and local references that point nowhere."""
    for pointer, node in _walk(document, into_examples=True):
        if isinstance(node, dict):
            for key in node:
                if not isinstance(key, str):
                    yield (*pointer, key), f"key {key!r} must be a string: quote it ('{key}')"
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#") and _follow(document, ref) is None:
                yield (*pointer, "$ref"), f"{ref} points to nothing in this document"


def _operation_problems(document: dict[str, Any]) -> Iterator[tuple[Pointer, str]]:
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            where: Pointer = ("paths", path, method)
            if not op.get("operationId"):
                yield where, "no operationId: the mock maps operationIds to handlers"
            if not any(str(code).startswith("2") for code in op.get("responses", {})):
                yield (*where, "responses"), "no 2xx response"


def example_errors(document: dict[str, Any], resolved: dict[str, Any]) -> list[tuple[Pointer, str]]:
    """Every ``example``/``examples`` value that does not validate against its schema.

    Walks the document as written (so a location names the line it is on) and reads each schema
    from the resolved document at the same location.
    """
    found = []
    for pointer, node in _walk(document):
        if not isinstance(node, dict) or "$ref" in node:
            continue
        schema_here = "schema" in node  # a media type, parameter or header object
        is_schema = _is_schema_location(pointer)
        if not (schema_here or is_schema):
            continue
        target = _follow(resolved, pointer)
        schema = target.get("schema") if schema_here else target
        if not isinstance(schema, dict):
            continue
        validator = _validator_for(pointer, schema)
        for where, value in _examples_of(node, target, pointer):
            for error in validator.iter_errors(value):
                at = "/".join(str(p) for p in error.absolute_path) or "(root)"
                found.append((where, f"example does not match its schema at {at}: {error.message}"))
    return found


def _examples_of(node: dict[str, Any], target: dict[str, Any], pointer: Pointer) -> Iterator[Any]:
    if "example" in node:
        yield (*pointer, "example"), node["example"]
    for name, example in (target.get("examples") or {}).items():
        if isinstance(example, dict) and "value" in example:
            yield (*pointer, "examples", name), example["value"]


def _validator_for(pointer: Pointer, schema: dict[str, Any]) -> Any:
    from openapi_schema_validator import OAS30ReadValidator, OAS30Validator, OAS30WriteValidator

    formats = OAS30Validator.FORMAT_CHECKER
    if "requestBody" in pointer or "requestBodies" in pointer:
        return OAS30WriteValidator(schema, format_checker=formats)
    if "responses" in pointer:
        return OAS30ReadValidator(schema, format_checker=formats)
    return OAS30Validator(schema, format_checker=formats)


# Keys under which a schema holds schemas, and whether the child is a map of them or a list.
_SCHEMA_MAPS = {"properties"}
_SCHEMA_LISTS = {"allOf", "anyOf", "oneOf"}
_SCHEMA_ONES = {"items", "not", "additionalProperties", "schema"}


def _is_schema_location(pointer: Pointer) -> bool:
    """Whether ``pointer`` names a Schema Object (whose own ``example`` is checked)."""
    if len(pointer) == 3 and pointer[:2] == ("components", "schemas"):
        return True
    if len(pointer) >= 2 and pointer[-2] in _SCHEMA_MAPS | _SCHEMA_LISTS:
        return _is_schema_location(pointer[:-2])
    return bool(pointer) and pointer[-1] in _SCHEMA_ONES


def _walk(
    node: Any, pointer: Pointer = (), *, into_examples: bool = False
) -> Iterator[tuple[Pointer, Any]]:
    """Every node with its pointer; example values are data, not spec, unless asked for."""
    yield pointer, node
    if isinstance(node, dict):
        in_properties = bool(pointer) and pointer[-1] == "properties"
        for key, child in node.items():
            if into_examples or in_properties or key not in ("example", "examples"):
                yield from _walk(child, (*pointer, key), into_examples=into_examples)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _walk(child, (*pointer, index), into_examples=into_examples)


def _follow(document: Any, ref_or_pointer: str | Sequence[str | int]) -> Any:
    if isinstance(ref_or_pointer, str):
        parts: Sequence[str | int] = [
            p.replace("~1", "/").replace("~0", "~") for p in ref_or_pointer.lstrip("#/").split("/")
        ]
    else:
        parts = ref_or_pointer
    node = document
    for part in parts:
        try:
            if isinstance(node, dict):
                node = node[part]
            elif isinstance(node, list):
                if not isinstance(part, int):  # a list indexed by name
                    return None
                node = node[part]
            else:
                return None
        except (KeyError, IndexError):
            return None
    return node


def locate(node: yaml.Node | None, pointer: Pointer) -> tuple[int | None, int | None]:
    """1-based line and column of the deepest node of ``pointer`` found in the YAML tree.

    A mapping entry is located at its key, so a message points at the line that names it.
    """
    if node is None:
        return None, None
    best = node
    for part in pointer:
        key, child = None, None
        if isinstance(node, yaml.MappingNode):
            key, child = next(((k, v) for k, v in node.value if k.value == str(part)), (None, None))
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node, best = child, key or child
    return best.start_mark.line + 1, best.start_mark.column + 1


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0]
