"""Request parameters as an operation declares them: read, typed, checked, named for handlers.

Compiled once per operation (:class:`ParameterRules`); a request then costs a dict lookup, a
conversion and one call into jsonschema-rs per parameter. A value that fails is described by
``jsonschema``'s message (the wording people know), computed only on the failure path.
The names handlers receive follow Connexion's ``pythonic_params``: ``projectId`` →
``project_id``, and a Python keyword or builtin gets a trailing underscore (``id_``, ``from_``).

No connexion or starlette here: the module is pure core and is testable without HTTP.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from mockgate.core.cookies import cookie_values
from mockgate.core.errors import FieldError
from mockgate.openapi.schemas import compile_schema, to_json_schema

if TYPE_CHECKING:
    from jsonschema import Draft4Validator, ValidationError

__all__ = ["ParameterRules", "pythonic", "snake"]

_MISSING: Any = object()


def snake(name: str) -> str:
    """``getSessionTimeline`` → ``get_session_timeline`` (handler and argument names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def pythonic(name: str) -> str:
    """The keyword argument a handler receives for the parameter ``name``."""
    argument = snake(name.replace("-", "_"))
    if keyword.iskeyword(argument) or hasattr(builtins, argument):
        return f"{argument}_"
    return argument


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(text)


_CONVERTERS: dict[str | None, Callable[[str], Any]] = {
    "integer": int,
    "number": float,
    "boolean": _boolean,
}


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query, header or cookie
    kwarg: str
    required: bool
    default: Any
    schema: Mapping[str, Any]
    validator: jsonschema_rs.Validator = field(compare=False)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Parameter:
        schema = spec.get("schema", {})
        return cls(
            name=spec["name"],
            location=spec["in"],
            kwarg=pythonic(spec["name"]),
            required=bool(spec.get("required")),
            default=schema.get("default", _MISSING),
            schema=schema,
            validator=compile_schema(schema, direction="request"),
        )

    def read(self, raw: str) -> tuple[Any, str | None]:
        """The typed value of ``raw`` and what is wrong with it (None when it is valid)."""
        if self.schema.get("nullable") and raw in ("null", "None"):
            return None, None
        value: Any = raw
        convert = _CONVERTERS.get(self.schema.get("type"))
        if convert is not None:
            try:
                value = convert(raw)
            except ValueError:
                value = raw  # described below, as "is not of type 'integer'"
        if self.validator.is_valid(value):
            return value, None
        return value, self._describe(value)

    def _describe(self, value: Any) -> str:
        # The stubs leave iter_errors untyped (Incomplete); what it yields is ValidationErrors.
        errors: list[ValidationError] = sorted(self._slow.iter_errors(value), key=lambda e: e.path)
        if not errors:  # the two validators disagree on a format edge case: accept it
            return ""
        return errors[0].message

    @cached_property
    def _slow(self) -> Draft4Validator:
        schema = to_json_schema(self.schema, direction="request")
        from jsonschema import Draft4Validator  # ~0.1 s to import: only once a request fails

        return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


@dataclass(frozen=True)
class ParameterRules:
    """Every parameter of one operation, and whether an unknown query parameter is refused."""

    parameters: tuple[Parameter, ...]
    strict_query: bool
    # Query parameters that carry credentials (apiKey in query): known, but not handler input.
    credential_query: frozenset[str] = frozenset()

    @classmethod
    def from_spec(
        cls,
        parameters: list[Mapping[str, Any]],
        *,
        strict_query: bool,
        credential_query: frozenset[str] = frozenset(),
    ) -> ParameterRules:
        # An operation's parameter overrides the path item's of the same name and location.
        by_key = {(p["in"], p["name"]): p for p in parameters}
        return cls(
            tuple(Parameter.from_spec(p) for p in by_key.values()),
            strict_query,
            credential_query,
        )

    @cached_property
    def _known_query(self) -> frozenset[str]:
        names = {p.name for p in self.parameters if p.location == "query"}
        return frozenset(names | self.credential_query)

    def read(
        self,
        path: Mapping[str, str],
        query: Mapping[str, str],
        headers: Mapping[str, str],
        cookie_headers: Sequence[str] = (),
    ) -> tuple[dict[str, Any], list[FieldError]]:
        """The handler's keyword arguments, and every parameter that is wrong.

        ``query`` holds the last value of each name (as Connexion reads a repeated scalar);
        ``headers`` is keyed by lower-case name; ``cookie_headers`` are the ``Cookie`` lines.
        Absent optional parameters take the schema's ``default`` when it has one, and are left
        out otherwise (the handler's default applies).
        """
        errors: list[FieldError] = []
        if self.strict_query:
            unknown = sorted(set(query) - self._known_query)
            errors += [
                FieldError(f"query.{n}", "not a parameter of this operation") for n in unknown
            ]
        sources = {"path": path, "query": query, "header": headers}
        kwargs: dict[str, Any] = {}
        for parameter in self.parameters:
            if parameter.location == "cookie":
                values = cookie_values(cookie_headers, (parameter.name,))
                raw = values[-1] if values else None
            else:
                header = parameter.location == "header"
                raw = sources[parameter.location].get(
                    parameter.name.lower() if header else parameter.name
                )
            if raw is None:
                if parameter.required:
                    errors.append(
                        FieldError(
                            f"{parameter.location}.{parameter.name}",
                            f"Missing {parameter.location} parameter '{parameter.name}'",
                        )
                    )
                elif parameter.default is not _MISSING:
                    kwargs[parameter.kwarg] = parameter.default
                continue
            value, problem = parameter.read(raw)
            if problem:
                errors.append(FieldError(f"{parameter.location}.{parameter.name}", problem))
            kwargs[parameter.kwarg] = value
        return kwargs, errors
