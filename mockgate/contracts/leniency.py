"""What a conforming server need not refuse, and which refusals are a server's own HTTP limits:
what mockgate's ``negative_data_rejection`` and ``positive_data_acceptance`` leave out.

A document promises a refusal only where it says so. Where a spec's schema is stricter than
what its document promises to refuse (a `to` that is not a date, an `offset` the document gives
no range for, a slot number that is not whole), the parameter, or the top-level property of the
request body, says ``x-mockgate-lenient: true``; a paging parameter is lenient unless its
``x-mockgate-limit`` says ``invalid: reject``. A request that breaks the schema only there may
be accepted, ignored or clamped: not refusing it is no finding.

A server's size limits (413 body, 414 query, 431 request head) are declared where they apply:
answering with one of them refuses a request, and is never a refusal of valid data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from schemathesis.core.parameters import ParameterLocation

from mockgate.openapi.params import Parameter
from mockgate.openapi.schemas import compile_schema

__all__ = ["LIMIT_STATUSES", "is_lenient", "limit_refusal", "violates_only_lenient"]

LIMIT_STATUSES = frozenset({413, 414, 431})
_PARAMETER_LOCATIONS = (ParameterLocation.QUERY, ParameterLocation.PATH, ParameterLocation.HEADER)
_JSON = (dict, list, str, int, float, bool, type(None))


def limit_refusal(operation: Mapping[str, Any], status: int) -> bool:
    """Whether ``status`` is one of the size limits ``operation`` declares."""
    return status in LIMIT_STATUSES and str(status) in operation.get("responses", {})


def is_lenient(param: Mapping[str, Any]) -> bool:
    """Whether a server may accept, ignore or clamp values of ``param`` its schema forbids."""
    if param.get("x-mockgate-lenient") is True:
        return True
    limit = param.get("x-mockgate-limit")
    return isinstance(limit, Mapping) and limit.get("invalid", "either") != "reject"


def violates_only_lenient(operation: Mapping[str, Any], case: Any, url: str) -> bool:
    """Whether the negative ``case`` (sent as ``url``) breaks the schema only where the spec
    makes no promise to refuse: every part generated invalid is valid apart from its lenient
    parameters or body properties."""
    meta = case.meta
    if meta is None:
        return False
    negative = [where for where, info in meta.components.items() if info.mode.is_negative]
    return bool(negative) and all(_only_lenient(where, operation, case, url) for where in negative)


def _only_lenient(
    where: ParameterLocation, operation: Mapping[str, Any], case: Any, url: str
) -> bool:
    if where == ParameterLocation.BODY:
        return _body_only_lenient(operation, case.body)
    if where not in _PARAMETER_LOCATIONS:
        return False
    params = [p for p in operation.get("parameters", []) if p.get("in") == where.value]
    if not any(is_lenient(p) for p in params):
        return False
    sent = _sent(where, case, url)
    for spec in params:
        if is_lenient(spec):
            continue
        parameter = Parameter.from_spec(spec)
        raw = sent.get(spec["name"].lower() if where == ParameterLocation.HEADER else spec["name"])
        if raw is None:
            if parameter.required:
                return False
            continue
        _, problem = parameter.read(raw)
        if problem:
            return False
    return True


def _sent(where: ParameterLocation, case: Any, url: str) -> dict[str, str]:
    """The values of ``where`` as the server reads them (the last of a repeated name)."""
    if where == ParameterLocation.QUERY:
        return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    if where == ParameterLocation.PATH:
        return {name: str(value) for name, value in (case.path_parameters or {}).items()}
    return {name.lower(): str(value) for name, value in (case.headers or {}).items()}


def _body_only_lenient(operation: Mapping[str, Any], body: Any) -> bool:
    content = operation.get("requestBody", {}).get("content", {})
    schema = next((m.get("schema") for t, m in content.items() if "json" in t), None)
    if not isinstance(schema, Mapping) or not isinstance(body, _JSON):
        return False  # no body, or bytes that are not JSON: not a lenient value
    lenient = {
        name
        for name, prop in schema.get("properties", {}).items()
        if isinstance(prop, Mapping) and prop.get("x-mockgate-lenient") is True
    }
    if not lenient:
        return False
    try:
        errors = list(compile_schema(schema, direction="request").iter_errors(body))
    except (TypeError, ValueError):  # a value JSON cannot hold somewhere inside
        return False
    return all(error.instance_path and error.instance_path[0] in lenient for error in errors)
