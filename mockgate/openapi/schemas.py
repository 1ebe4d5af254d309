"""OpenAPI 3.0 schemas as compiled JSON Schema validators, and a response validator built on them.

The mock checks its own responses against its spec (in tests, and with ``--validate-responses`` on
every response), so validation has to cost microseconds, not the ~0.5 ms per 20-item list that
pure-Python ``jsonschema`` (what Connexion uses) takes. ``jsonschema-rs`` is ~100x faster but speaks
JSON Schema, not OpenAPI 3.0: it ignores ``nullable`` and the OpenAPI-only formats. So each schema
is converted once (:func:`to_json_schema`) and compiled lazily, once per operation, status and media
type (:class:`ResponseValidator`); a validation is then two dict lookups and one call into Rust.

Why JSON Schema **Draft 4**: OpenAPI 3.0's schema dialect is draft 4/5 (Wright-00). Compiled as
Draft 4, ``exclusiveMinimum``/``exclusiveMaximum`` stay the booleans OpenAPI 3.0 writes, and
``type: integer`` rejects ``1.0`` as OpenAPI 3.0 (and ``openapi-schema-validator``) do; Draft 6+
would accept it. What Draft 4 lacks is written out in keywords it has: ``uuid`` and ``byte``
become patterns (matched in Rust, no Python callback); ``int32``/``int64`` become bounds.

No connexion or starlette here: the module is pure core and is testable without HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import jsonschema_rs

__all__ = ["Direction", "OperationRef", "ResponseValidator", "compile_schema", "to_json_schema"]

Direction = Literal["response", "request"]
#: An operation, by ``operationId`` or by ``(method, path template)``.
OperationRef = str | tuple[str, str]

_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The Schema Object keywords of OpenAPI 3.0 that constrain values. Everything else is dropped:
# annotations (title, description, default, example), OpenAPI-only keywords (discriminator, xml,
# externalDocs, deprecated, readOnly/writeOnly once applied), ``x-*`` extensions, and JSON Schema
# keywords OpenAPI 3.0 does not have (``const``, ``if``, ``patternProperties``...), which OpenAPI
# 3.0 tools ignore, so honouring them here would reject what the spec accepts.
_ASSERTIONS = frozenset(
    {
        "type",
        "enum",
        "format",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
    }
)
_COMBINATORS = ("allOf", "anyOf", "oneOf", "not")

# Formats Draft 4 does not know, as the patterns that define them (same acceptance as
# openapi-schema-validator: canonical hyphenated UUIDs, any case; padded standard base64).
_FORMAT_PATTERNS = {
    "uuid": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "byte": "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
}
_PATTERN_FORMATS = {pattern: name for name, pattern in _FORMAT_PATTERNS.items()}
_INTEGER_FORMATS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# OpenAPI formats that say nothing a JSON value can violate: a JSON number is a valid float and
# double, ``password`` is a UI hint, ``binary`` is raw bytes (only meaningful outside JSON).
_ANNOTATION_FORMATS = frozenset({"float", "double", "password", "binary"})

# A property no value satisfies (a writeOnly one in a response, a readOnly one in a request).
# ``{"not": {}}`` rather than ``false``: Draft 4 has no boolean schemas.
_FORBIDDEN: dict[str, Any] = {"not": {}}
_MESSAGE_LIMIT = 200


def to_json_schema(schema: Mapping[str, Any], *, direction: Direction) -> dict[str, Any]:
    """Convert a resolved OpenAPI 3.0 Schema Object to a Draft 4 JSON Schema accepting the same.

    ``schema`` must be resolved (no ``$ref``; a cycle or a ``$ref`` raises ``ValueError``); it is
    not modified. ``direction`` applies OpenAPI's ``readOnly``/``writeOnly`` rule: a writeOnly
    property may not appear in a response and a readOnly one may not appear in a request (as
    openapi-schema-validator and schemathesis judge it), so neither is ``required`` there.

    ``nullable: true`` adds ``"null"`` to ``type`` and ``null`` to ``enum`` (a nullable enum
    accepts null even when the spec's list omits it, which is what authors mean); next to
    ``allOf``/``anyOf``/``oneOf``/``not`` the schema becomes ``anyOf: [schema, {type: null}]``.
    """
    if direction not in ("response", "request"):
        raise ValueError(f"direction must be 'response' or 'request', not {direction!r}")
    return _Converter(direction).convert(schema, "#")


class _Converter:
    def __init__(self, direction: Direction) -> None:
        self._forbidden_flag = "writeOnly" if direction == "response" else "readOnly"
        self._active: set[int] = set()  # schemas being converted, to stop on a cycle

    def convert(self, schema: Mapping[str, Any], where: str) -> dict[str, Any]:
        if not isinstance(schema, Mapping):
            raise TypeError(f"{where}: a schema must be a mapping, not {type(schema).__name__}")
        if "$ref" in schema:
            raise ValueError(f"{where}: unresolved $ref {schema['$ref']!r}; resolve the spec first")
        if schema.get(self._forbidden_flag) is True:
            return dict(_FORBIDDEN)
        if id(schema) in self._active:
            raise ValueError(f"{where}: the schema contains itself; recursive schemas unsupported")
        self._active.add(id(schema))
        try:
            out = self._keywords(schema, where)
        finally:
            self._active.discard(id(schema))
        return _allow_null(out) if schema.get("nullable") is True else out

    def _keywords(self, schema: Mapping[str, Any], where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key not in _ASSERTIONS:
                continue
            if key == "properties":
                out[key] = {
                    name: self.convert(sub, f"{where}/properties/{name}")
                    for name, sub in value.items()
                }
            elif key == "additionalProperties" and isinstance(value, bool):
                if value is False:  # ``true`` is the default: leave it out
                    out[key] = False
            elif key in ("items", "not", "additionalProperties"):
                out[key] = self.convert(value, f"{where}/{key}")
            elif key in ("allOf", "anyOf", "oneOf"):
                out[key] = [self.convert(sub, f"{where}/{key}/{i}") for i, sub in enumerate(value)]
            elif isinstance(value, list):  # enum, required, type
                out[key] = list(value)
            else:
                out[key] = value
        _exclusive_bounds(out)
        _formats(out)
        _unrequire_forbidden(out)
        return out


def _exclusive_bounds(out: dict[str, Any]) -> None:
    """Keep OpenAPI 3.0's boolean exclusives (Draft 4 reads them the same) where they mean
    something; turn a Draft 6-style number (invalid in 3.0, but seen) into the Draft 4 form."""
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        flag = out.pop(exclusive, None)
        if flag is True and bound in out:
            out[exclusive] = True
        elif isinstance(flag, int | float) and not isinstance(flag, bool):
            tighter = max if bound == "minimum" else min
            if bound not in out or tighter(out[bound], flag) == flag:
                out[bound], out[exclusive] = flag, True


def _formats(out: dict[str, Any]) -> None:
    fmt = out.get("format")
    if fmt in _FORMAT_PATTERNS:
        del out["format"]
        if "pattern" in out:
            out.setdefault("allOf", []).append({"pattern": _FORMAT_PATTERNS[fmt]})
        else:
            out["pattern"] = _FORMAT_PATTERNS[fmt]
    elif fmt in _INTEGER_FORMATS:
        del out["format"]
        types = out.get("type")
        if types == "integer" or (isinstance(types, list) and "integer" in types):
            low, high = _INTEGER_FORMATS[fmt]
            if not isinstance(out.get("minimum"), int | float) or out["minimum"] < low:
                out["minimum"] = low
                out.pop("exclusiveMinimum", None)
            if not isinstance(out.get("maximum"), int | float) or out["maximum"] > high:
                out["maximum"] = high
                out.pop("exclusiveMaximum", None)
    elif fmt in _ANNOTATION_FORMATS:
        del out["format"]
    # Any other format is kept: jsonschema-rs checks the ones it knows (date-time, date, email,
    # uri, ipv4...) and ignores the rest.


def _unrequire_forbidden(out: dict[str, Any]) -> None:
    """A property that may not appear cannot be required: drop it from ``required`` (own
    properties and those of ``allOf`` branches, which apply to the same object)."""
    required = out.get("required")
    if not required:
        return
    forbidden = set(_forbidden_properties(out))
    if forbidden:
        kept = [name for name in required if name not in forbidden]
        if kept:
            out["required"] = kept
        else:
            del out["required"]


def _forbidden_properties(schema: Mapping[str, Any]) -> Iterator[str]:
    for name, sub in schema.get("properties", {}).items():
        if sub == _FORBIDDEN:
            yield name
    for branch in schema.get("allOf", ()):
        yield from _forbidden_properties(branch)


def _allow_null(out: dict[str, Any]) -> dict[str, Any]:
    if any(key in out for key in _COMBINATORS):
        # null would still have to satisfy every branch; offer it as an alternative instead.
        return {"anyOf": [out, {"type": "null"}]}
    types = out.get("type")
    if isinstance(types, str) and types != "null":
        out["type"] = [types, "null"]
    elif isinstance(types, list) and "null" not in types:
        out["type"] = [*types, "null"]
    enum = out.get("enum")
    if enum is not None and None not in enum:
        out["enum"] = [*enum, None]
    return out


def compile_schema(schema: Mapping[str, Any], *, direction: Direction) -> jsonschema_rs.Validator:
    """A jsonschema-rs validator for a resolved OpenAPI 3.0 schema: the one place that pairs
    :func:`to_json_schema`'s output with the draft it is written for (Draft 4, formats on)."""
    return jsonschema_rs.Draft4Validator(
        to_json_schema(schema, direction=direction), validate_formats=True
    )


@dataclass(slots=True)
class _Check:
    """What one (operation, status, media type) comes to: fixed problems, or a schema."""

    problems: tuple[str, ...] = ()
    validator: jsonschema_rs.Validator | None = None


@dataclass(frozen=True, slots=True)
class _Declared:
    """The response an operation declares for a status (after the NXX/default fallback)."""

    op_key: tuple[str, str]
    label: str  # for messages: "getSession 404"
    status_key: str
    response: Mapping[str, Any]


class ResponseValidator:
    """Checks responses against one resolved OpenAPI 3.0 document.

    Build it once per spec with :meth:`from_spec`. Nothing is converted up front: the first
    validation of an (operation, status, media type) compiles the schema it needs and caches it,
    so a later call does no spec work. :meth:`precompile` does it all at start-up instead.
    Safe to share between threads (a race at worst compiles the same schema twice).
    """

    def __init__(
        self,
        operations: Mapping[tuple[str, str], Mapping[str, Any]],
        operation_ids: Mapping[str, tuple[str, str]],
    ) -> None:
        self._operations = operations
        self._operation_ids = operation_ids
        self._checks: dict[tuple[OperationRef, int, str | None], _Check] = {}
        self._validators: dict[tuple[tuple[str, str], str, str], jsonschema_rs.Validator] = {}
        self._headers: dict[tuple[OperationRef, int], tuple[str, ...] | str] = {}

    @classmethod
    def from_spec(cls, resolved_spec: Mapping[str, Any]) -> ResponseValidator:
        """Index the operations of a document whose ``$ref``s are resolved (prance's output)."""
        operations: dict[tuple[str, str], Mapping[str, Any]] = {}
        operation_ids: dict[str, tuple[str, str]] = {}
        for path, item in resolved_spec.get("paths", {}).items():
            for method in _HTTP_METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                key = (method.upper(), path)
                operations[key] = operation
                if "operationId" in operation:
                    operation_ids[operation["operationId"]] = key
        return cls(operations, operation_ids)

    def validate(
        self, operation: OperationRef, status: int, media_type: str | None, body: Any
    ) -> list[str]:
        """Every way the response breaks the spec; empty when it conforms.

        ``body`` is the parsed JSON (checked only for JSON media types; for others only that the
        content type is declared); ``media_type`` is the Content-Type (parameters ignored), or
        ``None`` for a response without a body. The status falls back to ``NXX``, then
        ``default``; a status the operation does not declare is a problem of its own.
        Messages name the place in the body: ``sessions/0/endedAt: null is not of type "string"``.
        An unknown operation raises ``KeyError``: that is the caller's mistake, not the response's.
        """
        key = (operation, status, media_type)
        check = self._checks.get(key)
        if check is None:
            check = self._checks[key] = self._plan(operation, status, media_type)
        if check.problems:
            return list(check.problems)
        validator = check.validator
        if validator is None:
            return []
        try:
            if validator.is_valid(body):
                return []
            return [_message(error) for error in _leaf_errors(validator.iter_errors(body))]
        except ValueError as exc:  # jsonschema-rs refuses values JSON cannot hold
            return [f"(root): the body is not JSON data ({exc})"]

    def validate_headers(
        self, operation: OperationRef, status: int, headers: Mapping[str, str]
    ) -> list[str]:
        """The response headers the spec requires for this status that ``headers`` lacks.

        Names compare case-insensitively; ``Content-Type`` is never checked here (OpenAPI ignores
        it among response headers). Values are not validated.
        """
        key = (operation, status)
        required = self._headers.get(key)
        if required is None:
            required = self._headers[key] = self._required_headers(operation, status)
        if isinstance(required, str):
            return [required]
        if not required:
            return []
        present = {name.lower() for name in headers}
        return [
            f"required header {name!r} is missing"
            for name in required
            if name.lower() not in present
        ]

    def precompile(self) -> int:
        """Compile every JSON response schema now (for start-up); return how many there are."""
        for op_key, operation in self._operations.items():
            for status_key, response in operation.get("responses", {}).items():
                for media, content in (response.get("content") or {}).items():
                    if _is_json(_normalise(media)) and content.get("schema") is not None:
                        self._validator(op_key, str(status_key), media, content["schema"])
        return len(self._validators)

    def _resolve(self, operation: OperationRef) -> tuple[tuple[str, str], Mapping[str, Any]]:
        if isinstance(operation, str):
            op_key = self._operation_ids.get(operation)
            if op_key is None:
                raise KeyError(f"no operation with operationId {operation!r}")
        else:
            method, path = operation
            op_key = (method.upper(), path)
            if op_key not in self._operations:
                raise KeyError(f"no operation {op_key[0]} {path}")
        return op_key, self._operations[op_key]

    def _response(self, operation: OperationRef, status: int) -> _Declared | str:
        """The declared response for ``status`` (exact, ``NXX``, ``default``), or a problem."""
        op_key, spec = self._resolve(operation)
        name = spec.get("operationId") or f"{op_key[0]} {op_key[1]}"
        responses = {str(code).upper(): response for code, response in spec["responses"].items()}
        for code in (str(status), f"{status // 100}XX", "DEFAULT"):
            if code in responses:
                status_key = "default" if code == "DEFAULT" else code
                return _Declared(op_key, f"{name} {status_key}", status_key, responses[code])
        declared = ", ".join(str(code) for code in spec["responses"])
        return f"status {status} is not declared for {name} (declared: {declared})"

    def _plan(self, operation: OperationRef, status: int, media_type: str | None) -> _Check:
        found = self._response(operation, status)
        if isinstance(found, str):
            return _Check(problems=(found,))
        content = found.response.get("content") or {}
        declared = ", ".join(content)
        if media_type is None:
            if content:
                return _Check(problems=(f"{found.label}: no body, but {declared} declared",))
            return _Check()
        if not content:
            return _Check(problems=(f"{found.label}: a {media_type!r} body, but none declared",))
        media = _match(_normalise(media_type), content)
        if media is None:
            problem = f"{found.label}: content type {media_type!r} not declared ({declared})"
            return _Check(problems=(problem,))
        schema = content[media].get("schema")
        if schema is None or not _is_json(_normalise(media_type)):
            return _Check()
        return _Check(validator=self._validator(found.op_key, found.status_key, media, schema))

    def _validator(
        self, op_key: tuple[str, str], status_key: str, media: str, schema: Mapping[str, Any]
    ) -> jsonschema_rs.Validator:
        key = (op_key, status_key, media)
        validator = self._validators.get(key)
        if validator is None:
            validator = self._validators[key] = compile_schema(schema, direction="response")
        return validator

    def _required_headers(self, operation: OperationRef, status: int) -> tuple[str, ...] | str:
        found = self._response(operation, status)
        if isinstance(found, str):
            return found
        headers = found.response.get("headers") or {}
        return tuple(
            name
            for name, header in headers.items()
            if header.get("required") is True and name.lower() != "content-type"
        )


def _normalise(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _match(media_type: str, content: Mapping[str, Any]) -> str | None:
    """The declared key for ``media_type``: the exact one, else ``type/*``, else ``*/*``."""
    by_normal = {_normalise(key): key for key in content}
    major = media_type.split("/", 1)[0]
    for candidate in (media_type, f"{major}/*", "*/*"):
        if candidate in by_normal:
            return by_normal[candidate]
    return None


def _leaf_errors(errors: Iterator[jsonschema_rs.ValidationError]) -> Iterator[Any]:
    """Errors as people need them: a failed nullable wrapper (``anyOf: [schema, null]``) says
    "not valid under any of the schemas"; report why the non-null branch failed instead."""
    for error in errors:
        kind = error.kind
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.AnyOf) and _null_branch(kind):
            yield from _leaf_errors(iter(kind.context[0]))
        else:
            yield error


def _null_branch(kind: Any) -> bool:
    if len(kind.context) != 2 or len(kind.context[1]) != 1:
        return False
    only = kind.context[1][0]
    return isinstance(only.kind, jsonschema_rs.ValidationErrorKind.Type) and list(
        only.kind.types
    ) == ["null"]


def _message(error: Any) -> str:
    path = "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in error.instance_path)
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Not) and kind.schema == {}:
        text = "must not be present (writeOnly properties are not sent in responses)"
    elif (
        isinstance(kind, jsonschema_rs.ValidationErrorKind.Pattern)
        and kind.pattern in _PATTERN_FORMATS
    ):
        text = f'{_shorten(json.dumps(error.instance))} is not a "{_PATTERN_FORMATS[kind.pattern]}"'
    else:
        text = _shorten(error.message)
    return f"{path or '(root)'}: {text}"


def _shorten(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
