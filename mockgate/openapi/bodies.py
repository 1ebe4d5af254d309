"""Request bodies as an operation declares them: content type, decoding, JSON, schema.

Compiled once per operation (:class:`BodyRule`). Every failure is a 400 (each spec declares 400
on its body-taking operations, and none declares 415) whose details name every failed rule, with
``jsonschema``'s wording, computed only on the failure path; a valid body costs one parse and
one call into jsonschema-rs.

No connexion or starlette here: the module is pure core and is testable without HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from mockgate.core.errors import FieldError, MockError
from mockgate.openapi.jsonlimits import Unstorable, decode
from mockgate.openapi.schemas import compile_schema, to_json_schema

if TYPE_CHECKING:
    from jsonschema import Draft4Validator, ValidationError

__all__ = ["BodyRule", "summary"]


@dataclass(frozen=True)
class BodyRule:
    required: bool
    media_types: tuple[str, ...]  # lower case, as declared, in the spec's order
    schema: Mapping[str, Any] | None  # of the JSON media type, when there is one

    @classmethod
    def from_spec(cls, request_body: Mapping[str, Any]) -> BodyRule:
        content = request_body.get("content", {})
        json_type = next((m for m in content if _is_json(m)), None)
        schema = content[json_type].get("schema") if json_type else None
        return cls(
            bool(request_body.get("required")),
            tuple(m.lower() for m in content),
            schema,
        )

    @cached_property
    def _fast(self) -> jsonschema_rs.Validator | None:
        return compile_schema(self.schema, direction="request") if self.schema else None

    @cached_property
    def _slow(self) -> Draft4Validator:
        schema = to_json_schema(self.schema or {}, direction="request")
        from jsonschema import Draft4Validator  # ~0.1 s to import: only once a request fails

        return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)

    def compile(self) -> None:
        """Build the fast validator now (at start-up) rather than on the first request."""
        _ = self._fast

    def read(self, content_type: str | None, raw: bytes) -> Any:
        """The body a handler receives; raises ``MockError`` (400) saying what is wrong."""
        media_type, charset = _split(content_type)
        if media_type is None:
            media_type = self.media_types[0] if self.media_types else "application/octet-stream"
        if self.media_types and not any(_accepts(m, media_type) for m in self.media_types):
            expected = ", ".join(self.media_types)
            raise MockError(
                400,
                f"Unsupported Content-Type: {media_type} (this operation takes {expected})",
                (FieldError("header.Content-Type", f"expected {expected}"),),
            )
        if not raw:
            default = (self.schema or {}).get("default")
            if default is None and self.required:
                raise _empty()
            return default
        if not _is_json(media_type):
            return raw
        body = _parse_json(raw, charset or "utf-8")
        if body is None:
            if self.schema is not None and not self.schema.get("nullable"):
                raise _empty()
            return None
        fast = self._fast
        if fast is None or fast.is_valid(body):
            return body
        failures = sorted(self._slow.iter_errors(body), key=lambda e: list(map(str, e.path)))
        if not failures:  # the two validators disagree on a format edge case: accept it
            return body
        errors = [_field_error(e) for e in failures]
        raise MockError(400, summary("body field", errors), tuple(errors))


def summary(kind: str, errors: list[FieldError]) -> str:
    """One line for a list of failed rules: ``Invalid body field: body.name: is required``."""
    if len(errors) == 1:
        return f"Invalid {kind}: {errors[0]}"
    return f"{len(errors)} invalid {kind}s: " + "; ".join(map(str, errors))


def _parse_json(raw: bytes, charset: str) -> Any:
    try:
        text = raw.decode(charset)
    except (UnicodeDecodeError, LookupError):
        raise MockError(
            400,
            "Request body is not valid UTF-8 text"
            if charset.lower().replace("-", "") == "utf8"
            else f"Request body is not valid {charset} text",
            (FieldError("body", f"cannot be decoded as {charset}"),),
        ) from None
    try:
        return decode(text, _DECODER)
    except json.JSONDecodeError as exc:
        raise MockError(
            400,
            "Request body is not valid JSON",
            (FieldError("body", f"{exc.msg} at line {exc.lineno} column {exc.colno}"),),
        ) from None
    except Unstorable as exc:  # nothing that could not be stored and served back gets in
        where = exc.problem
        raise MockError(
            400,
            f"Request body cannot be stored: {where}",
            (FieldError(where.path, where.reason),),
        ) from None


def _not_json(constant: str) -> Any:
    raise MockError(
        400,
        "Request body is not valid JSON",
        (FieldError("body", f"{constant} is not a JSON value"),),
    )


# One decoder for every body: json.loads with an option builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_not_json)


def _empty() -> MockError:
    return MockError(
        400, "Request body must not be empty", (FieldError("body", "a JSON body is required"),)
    )


def _field_error(error: ValidationError) -> FieldError:
    where = ".".join(["body", *map(str, error.absolute_path)])
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return FieldError(f"{where}.{missing}" if missing else where, "is required")
    if error.validator == "additionalProperties":
        return FieldError(where, error.message.replace("Additional properties", "unknown field(s)"))
    return FieldError(where, error.message)


def _split(content_type: str | None) -> tuple[str | None, str | None]:
    if not content_type:
        return None, None
    media_type, *params = content_type.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
    return media_type.strip().lower() or None, charset


def _accepts(declared: str, media_type: str) -> bool:
    if declared in (media_type, "*/*"):
        return True
    major, _, minor = declared.partition("/")
    return minor == "*" and media_type.startswith(f"{major}/")


def _is_json(media_type: str) -> bool:
    media_type = media_type.split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")
