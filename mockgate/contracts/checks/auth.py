"""`auth_required`: every protected operation refuses a missing or wrong credential with a 401
in the API's error shape."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from mockgate.contracts.checks.common import ALL_APIS
from mockgate.contracts.registry import probe
from mockgate.contracts.session import ProbeSession
from mockgate.openapi.catalog import ApiSpec, get_api
from mockgate.openapi.schemas import ResponseValidator
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding

__all__ = ["WRONG_CREDENTIAL", "auth_required", "protected_operations"]

WRONG_CREDENTIAL = "mockgate-wrong-credential-0000000000000000"
_PLACEHOLDER = "mockgate-auth-probe"


@probe("auth_required", apis=ALL_APIS)
def auth_required(session: ProbeSession) -> Iterator[Finding]:
    """Every operation the spec protects answers 401 when called without a credential and with a
    wrong one (through each security scheme it accepts): never 2xx, 3xx, 5xx or another 4xx;
    and the 401 body is the operation's declared 401 response (the API's error shape).

    Requests are otherwise valid (the spec's examples for path parameters and bodies), so the
    credential is the only thing wrong with them. Headers given to the run that carry
    credentials (`Authorization`, `Cookie`, API-key headers) are left out. In read-only
    mode only GET operations are called.
    """
    api = session.api
    bare = ProbeSession(
        api,
        session.client,
        credentials=(),
        headers=_without_credentials(api, session.headers),
        read_only=session.read_only,
        pacer=session.pacer,
    )
    # A redirect to a sign-in page is the answer to judge, not a hop to follow (the runner's
    # in-process client follows redirects; its HTTP client does not).
    follows = getattr(session.client, "follow_redirects", False)
    session.client.follow_redirects = False
    try:
        for op, schemes in protected_operations(api):
            if session.read_only and op["method"] != "GET":
                continue
            attempts: list[tuple[str, dict[str, str]]] = [("without a credential", {})]
            for name, scheme in schemes:
                attempts.append((f"with a wrong {name} credential", _wrong(scheme)))
            for label, headers in attempts:
                session.client.cookies.clear()
                exchange = bare.call(
                    op["operationId"],
                    path_params=_path_params(op),
                    query=_required_query(op),
                    body=_body(op),
                    credential=None,
                    headers=headers,
                )
                yield from _judge(api, exchange, label)
    finally:
        session.client.follow_redirects = follows
        session.exchanges.extend(bare.exchanges)
        session.client.cookies.clear()


def protected_operations(api: ApiSpec) -> Iterator[tuple[dict[str, Any], list[tuple[str, Any]]]]:
    """`(operation with its method, [(scheme name, scheme)])` for every operation that needs
    a credential: a non-empty security requirement and no empty (anonymous) alternative."""
    schemes = api.resolved.get("components", {}).get("securitySchemes", {})
    default = api.resolved.get("security", [])
    for op in api.operations:
        if not op.operation_id:
            continue
        raw = api.operation_by_id(op.operation_id)
        requirements = raw.get("security", default)
        if not requirements or any(not r for r in requirements):
            continue
        names = list(dict.fromkeys(name for r in requirements for name in r))
        yield {**raw, "method": op.method}, [(n, schemes[n]) for n in names if n in schemes]


def _judge(api: ApiSpec, exchange: Exchange, label: str) -> Iterator[Finding]:
    status = exchange.status
    if status != 401:
        kind = (
            "accepted"
            if 200 <= status < 300
            else "redirected"
            if 300 <= status < 400
            else "failed"
            if status >= 500
            else "answered"
        )
        where = exchange.response_headers.get("location") if kind == "redirected" else None
        yield Finding.from_exchanges(
            "auth_required",
            f"called {label}, the operation {kind} with {status}"
            + (f" to {where}" if where else "")
            + "; expected 401",
            exchange,
        )
        return
    declared = api.operation_by_id(exchange.operation_id).get("responses", {})
    if not any(code in declared for code in ("401", "4XX", "default")):
        return
    problems = _validator(api.name).validate(
        exchange.operation_id, 401, exchange.content_type or None, _body_of(exchange)
    )
    if problems:
        yield Finding.from_exchanges(
            "auth_required",
            f"called {label}, the 401 is not the declared error response: " + "; ".join(problems),
            exchange,
        )


def _body_of(exchange: Exchange) -> Any:
    if exchange.json is not None:
        return exchange.json
    # Not JSON (or not labelled as JSON): let the validator name the media type problem.
    return exchange.content.decode("utf-8", "replace") if exchange.content else None


@cache
def _validator(api_name: str) -> ResponseValidator:
    return ResponseValidator.from_spec(get_api(api_name).resolved)


def _wrong(scheme: Mapping[str, Any]) -> dict[str, str]:
    if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return {"Authorization": f"Bearer {WRONG_CREDENTIAL}"}
    if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "basic":
        return {"Authorization": "Basic bW9ja2dhdGU6d3Jvbmc="}  # mockgate:wrong
    if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
        return {scheme["name"]: WRONG_CREDENTIAL}
    if scheme.get("type") == "apiKey" and scheme.get("in") == "cookie":
        return {"Cookie": f"{scheme['name']}={WRONG_CREDENTIAL}"}
    return {}


def _without_credentials(api: ApiSpec, headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` without those that could carry a credential."""
    schemes = api.resolved.get("components", {}).get("securitySchemes", {})
    names = {"authorization", "cookie", "proxy-authorization"}
    names |= {
        str(s["name"]).lower()
        for s in schemes.values()
        if s.get("type") == "apiKey" and s.get("in") == "header" and "name" in s
    }
    return {k: v for k, v in headers.items() if k.lower() not in names}


def _example(param: Mapping[str, Any]) -> Any:
    if "example" in param:
        return param["example"]
    examples = param.get("examples")
    if isinstance(examples, dict):
        for example in examples.values():
            if isinstance(example, dict) and "value" in example:
                return example["value"]
    schema = param.get("schema", {})
    if "example" in schema:
        return schema["example"]
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    return {"integer": 1, "number": 1, "boolean": "true"}.get(schema.get("type"), _PLACEHOLDER)


def _path_params(op: Mapping[str, Any]) -> dict[str, Any]:
    return {p["name"]: _example(p) for p in op.get("parameters", []) if p.get("in") == "path"}


def _required_query(op: Mapping[str, Any]) -> dict[str, Any]:
    return {
        p["name"]: _example(p)
        for p in op.get("parameters", [])
        if p.get("in") == "query" and p.get("required")
    }


def _body(op: Mapping[str, Any]) -> Any:
    body = op.get("requestBody")
    if not body:
        return None
    for media, content in body.get("content", {}).items():
        if "json" not in media:
            continue
        for example in (content.get("examples") or {}).values():
            if isinstance(example, dict) and "value" in example:
                return example["value"]
        if "example" in content:
            return content["example"]
        schema = content.get("schema", {})
        if "example" in schema:
            return schema["example"]
        if "default" in schema:
            return schema["default"]
        return {}
    return None
