"""Which documented example answers a request, the way Prism chooses it.

Operations without a handler are served from the spec (so a new operation works the moment it
is in the spec), and ``Prefer: code=`` / ``example=`` pick among the documented answers. The rules
follow Prism's static mode so that a frontend moving between Prism and mockgate sees the same
bodies:

- the response: the one asked for (``NXX`` and ``default`` stand in, as in OpenAPI), else the
  lowest declared 2xx;
- the media type: the first JSON one (``application/json`` or ``+json``), else the first;
- the body: the named example asked for, else the first named example, else the media type's
  ``example``, else the schema's, else one assembled from the ``example``, ``default`` and
  ``enum`` values inside the schema.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from mockgate.core.replies import Reply

__all__ = ["NoExample", "choose_example"]

# Framing headers describe the bytes actually sent, so the server computes them; an example
# value would lie (and OpenAPI says a declared Content-Type header SHALL be ignored).
_COMPUTED_HEADERS = frozenset({"content-type", "content-length", "transfer-encoding"})


class NoExample(LookupError):
    """The spec has no example for what was asked; the message says what it does have."""


def choose_example(
    operation: Mapping[str, Any], *, status: int | None = None, name: str | None = None
) -> Reply:
    """The example answer of a resolved OpenAPI 3.0 operation (see the module docstring).

    Raises ``NoExample`` naming the declared statuses, the available example names, or what
    to add to the spec.
    """
    label = operation.get("operationId", "the operation")
    key, code = _response(operation, status, label)
    response = operation["responses"][key]
    headers = _headers(response.get("headers") or {})
    content = response.get("content") or {}
    if not content:
        if name is not None:
            raise NoExample(f"{label} response {code} has no body, so no example {name!r}")
        return Reply(code, None, None, headers)
    media_type = next((m for m in content if _is_json(m)), next(iter(content)))
    where = f"{label} response {code} ({media_type})"
    media = content[media_type]
    body = _named(media, name, where) if name is not None else _first(media, where)
    return Reply(code, media_type, copy.deepcopy(body), headers)


def _response(operation: Mapping[str, Any], status: int | None, label: str) -> tuple[str, int]:
    responses = operation.get("responses") or {}
    declared = ", ".join(responses) or "none"
    if status is not None:
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                return key, status
        raise NoExample(f"{label} declares no response {status}; declared: {declared}")
    successes = sorted(int(k) for k in responses if k.isdigit() and 200 <= int(k) <= 299)
    if successes:
        return str(successes[0]), successes[0]
    for key in ("2XX", "default"):
        if key in responses:
            return key, 200
    raise NoExample(
        f"{label} declares no 2xx response (declared: {declared}); ask for one with Prefer: code="
    )


def _is_json(media_type: str) -> bool:
    essence = media_type.split(";")[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def _named(media: Mapping[str, Any], name: str, where: str) -> Any:
    examples = media.get("examples") or {}
    if name not in examples:
        available = ", ".join(examples) or "none"
        raise NoExample(f"{where} has no example named {name!r}; available: {available}")
    if "value" not in examples[name]:
        raise NoExample(
            f"{where}: example {name!r} has no inline value (externalValue is not read)"
        )
    return examples[name]["value"]


def _first(media: Mapping[str, Any], where: str) -> Any:
    for example in (media.get("examples") or {}).values():
        if "value" in example:
            return example["value"]
    if "example" in media:
        return media["example"]
    built = _build(media.get("schema") or {})
    if built is _NOTHING:
        raise NoExample(
            f"{where} has no example, and its schema holds too few example/default/enum "
            "values to build one; add a named example to the spec, write a handler, "
            "or use Prefer: dynamic=true"
        )
    return built


class _Nothing:
    """No example can be built (distinct from ``None``, which is JSON null)."""


_NOTHING: Final = _Nothing()


def _build(schema: Mapping[str, Any]) -> Any:
    """An example assembled from the values the schema documents, or ``_NOTHING``."""
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if "allOf" in schema:
        # Each part's example, later parts overriding earlier ones key by key (so a part that
        # pins ``statusCode`` to 404 wins over the general error schema's example 400).
        parts = [*schema["allOf"], {k: v for k, v in schema.items() if k != "allOf"}]
        built = [_build(part) for part in parts if part]
        return _NOTHING if _NOTHING in built else _overlay(built)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = (_build(option) for option in schema[key])
            return next((v for v in options if v is not _NOTHING), _NOTHING)
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("type") == "array" or "items" in schema:
        item = _build(schema.get("items") or {})
        if item is _NOTHING or (schema.get("uniqueItems") and schema.get("minItems", 0) > 1):
            return _NOTHING
        return [copy.deepcopy(item) for _ in range(max(1, schema.get("minItems", 0)))]
    if schema.get("type") == "object" or "properties" in schema:
        return _build_object(schema)
    return _NOTHING


def _build_object(schema: Mapping[str, Any]) -> Any:
    properties = schema.get("properties") or {}
    required = schema.get("required") or []
    if not properties and not required:
        return {}  # a free-form object: {} is an honest example of it
    if any(name not in properties for name in required):
        return _NOTHING  # a required field described nowhere: nothing to take a value from
    made = {}
    for name, sub in properties.items():
        if sub.get("writeOnly"):  # never in a response
            continue
        value = _build(sub)
        if value is _NOTHING and name in required:
            value = _fallback(sub)
        if value is not _NOTHING:
            made[name] = value
    if any(name not in made for name in required if not properties[name].get("writeOnly")):
        return _NOTHING
    return made or _NOTHING


def _fallback(schema: Mapping[str, Any]) -> Any:
    """For a required field without examples: null if allowed, else an allowed empty list."""
    if schema.get("nullable"):
        return None
    if schema.get("type") == "array" and not schema.get("minItems"):
        return []
    return _NOTHING


def _overlay(values: list[Any]) -> Any:
    result = values[0]
    for value in values[1:]:
        if isinstance(result, dict) and isinstance(value, dict):
            result = {
                **result,
                **{k: _overlay([result[k], v]) if k in result else v for k, v in value.items()},
            }
        else:
            result = value
    return result


def _headers(declared: Mapping[str, Any]) -> dict[str, str]:
    found = {}
    for header, spec in declared.items():
        if not spec.get("required") or header.lower() in _COMPUTED_HEADERS:
            continue
        named = [e["value"] for e in (spec.get("examples") or {}).values() if "value" in e]
        if "example" in spec:
            value = spec["example"]
        elif named:
            value = named[0]
        else:
            value = _build(spec.get("schema") or {})
        if value is not _NOTHING:
            found[header] = _header_text(value)
    return found


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_header_text(v) for v in value)  # OpenAPI's simple style
    return str(value)
