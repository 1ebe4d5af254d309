"""Request validation with messages a person can act on, and every failure at once.

Connexion's validators stop at the first failure, omit the parameter's name from its message,
rebuild the body validator on every request, and let a body that is not UTF-8 escape as a 500.
These subclasses fix that and raise ``RequestProblem`` with one ``FieldError`` per failed rule.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.json_schema import Draft4RequestValidator
from connexion.lifecycle import ConnexionRequest
from connexion.validators import VALIDATOR_MAP
from connexion.validators import ParameterValidator as _ParameterValidator
from connexion.validators.json import JSONRequestBodyValidator
from jsonschema import Draft4Validator, ValidationError

from mockserver.errors import FieldError, RequestProblem

__all__ = ["VALIDATORS"]


class ParameterValidator(_ParameterValidator):
    def validate_request(self, request: ConnexionRequest) -> None:
        if self.strict_validation:
            unknown = self.validate_query_parameter_list(
                request, security_params=self.security_query_params
            )
            if unknown:
                raise RequestProblem(
                    f"Unknown query parameter(s): {', '.join(sorted(unknown))}",
                    [
                        FieldError(f"query.{n}", "not a parameter of this operation")
                        for n in sorted(unknown)
                    ],
                )
        errors = []
        readers = {
            "query": self.validate_query_parameter,
            "path": self.validate_path_parameter,
            "header": self.validate_header_parameter,
            "cookie": self.validate_cookie_parameter,
        }
        for location, read in readers.items():
            for param in self.parameters.get(location, []):
                error = read(param, request)
                if error:
                    errors.append(FieldError(f"{location}.{param['name']}", _first_line(error)))
        if errors:
            raise RequestProblem(_summary("parameter", errors), errors)


class JSONBodyValidator(JSONRequestBodyValidator):
    @cached_property
    def _validator(self) -> Draft4Validator:  # type: ignore[override]
        # Connexion builds this on every request; the schema never changes.
        return Draft4RequestValidator(self._schema, format_checker=Draft4Validator.FORMAT_CHECKER)

    async def _parse(self, stream: Any, scope: Any) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        try:
            text = raw.decode(self._encoding)
        except (UnicodeDecodeError, LookupError):
            raise RequestProblem(
                "Request body is not valid UTF-8 text",
                [FieldError("body", f"cannot be decoded as {self._encoding}")],
            ) from None
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise RequestProblem(
                "Request body is not valid JSON",
                [FieldError("body", f"{exc.msg} at line {exc.lineno} column {exc.colno}")],
            ) from None

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if not self._nullable and body is None:
            raise RequestProblem(
                "Request body must not be empty", [FieldError("body", "a JSON body is required")]
            )
        failures = sorted(self._validator.iter_errors(body), key=lambda e: list(map(str, e.path)))
        if failures:
            errors = [_field_error(e) for e in failures]
            raise RequestProblem(_summary("body field", errors), errors)
        return None


def _field_error(error: ValidationError) -> FieldError:
    where = ".".join(["body", *map(str, error.absolute_path)])
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return FieldError(f"{where}.{missing}" if missing else where, "is required")
    if error.validator == "additionalProperties":
        return FieldError(where, error.message.replace("Additional properties", "unknown field(s)"))
    return FieldError(where, error.message)


def _summary(kind: str, errors: list[FieldError]) -> str:
    if len(errors) == 1:
        return f"Invalid {kind}: {errors[0]}"
    return f"{len(errors)} invalid {kind}s: " + "; ".join(map(str, errors))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0]


VALIDATORS: dict[str, Any] = {
    **VALIDATOR_MAP,
    "parameter": ParameterValidator,
    "body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": JSONBodyValidator}),
}
