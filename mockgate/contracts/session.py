"""What a probe talks through: the API's operations by operationId, with credentials applied
the way the spec says, every exchange recorded, and rate limits honoured (never reported)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from mockgate.contracts.pacing import Pacer, operation_key
from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.exchange import Exchange

__all__ = ["ProbeSession", "RateLimited", "ReadOnly", "credential_headers"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RateLimited(Exception):
    """The server kept answering 429 beyond the pacer's waiting budget: the probe is skipped,
    not failed."""


class ReadOnly(Exception):
    """A probe tried an unsafe method in read-only mode."""


def credential_headers(api: ApiSpec, credential: str) -> dict[str, str]:
    """Headers that present ``credential`` through the first scheme the spec accepts."""
    schemes = api.document.get("components", {}).get("securitySchemes", {})
    for requirement in api.document.get("security", []):
        for name in requirement:
            scheme = schemes.get(name, {})
            if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer":
                return {"Authorization": f"Bearer {credential}"}
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                return {scheme["name"]: credential}
            if scheme.get("type") == "apiKey" and scheme.get("in") == "cookie":
                return {"Cookie": f"{scheme['name']}={credential}"}
    return {}


class ProbeSession:
    def __init__(
        self,
        api: ApiSpec,
        client: httpx.Client,
        *,
        credentials: tuple[str, ...] = (),
        headers: Mapping[str, str] | None = None,
        read_only: bool = False,
        pacer: Pacer | None = None,
    ) -> None:
        self.api = api
        self.client = client
        self.credentials = credentials
        self.headers = dict(headers or {})
        self.read_only = read_only
        self.exchanges: list[Exchange] = []
        # Operations called only to find data, or found unjudgeable: not passed, not failed.
        self.unjudged: set[str] = set()
        # The run's pacer, shared with its other sessions and the engine: buckets are the target's.
        self.pacer = pacer or Pacer()

    def call(
        self,
        operation_id: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        credential: str | bool | None = True,
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        """Call ``operation_id``. ``credential``: True = the first configured one, a string =
        that one, None/False = none at all."""
        method, template = self._operation(operation_id)
        if self.read_only and method not in SAFE_METHODS:
            raise ReadOnly(f"{method} {template} in read-only mode")
        path = template
        for name, value in (path_params or {}).items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        sent = dict(self.headers)
        if credential is True and self.credentials:
            credential = self.credentials[0]
        if isinstance(credential, str):
            sent |= credential_headers(self.api, credential)
        sent |= dict(headers or {})
        params = {k: v for k, v in (query or {}).items() if v is not None}
        key = operation_key(method, template)
        while True:
            self.pacer.before(key)
            response = self.client.request(
                method, path, params=params, headers=sent, json=body if body is not None else None
            )
            headers_seen = {k.lower(): v for k, v in response.headers.items()}
            delay = self.pacer.observe(key, response.status_code, headers_seen)
            if response.status_code != 429:
                break
            if delay is None:
                raise RateLimited(f"still rate-limited after waiting {self.pacer.waited:.0f}s")
            self.pacer.sleep(delay)
        exchange = Exchange(
            operation_id=operation_id,
            method=method,
            path=template,
            url=str(response.request.url),
            status=response.status_code,
            response_headers=headers_seen,
            content=response.content,
            query=params,
            path_params=dict(path_params or {}),
            headers=sent,
            body=body,
            request_content=response.request.content,
        )
        self.exchanges.append(exchange)
        return exchange

    def not_judged(self, operation_id: str) -> None:
        """Say that this probe judged nothing of ``operation_id`` (it only read it to find its
        data, or found nothing there to judge): reports show it as not applicable."""
        self.unjudged.add(operation_id)

    def _operation(self, operation_id: str) -> tuple[str, str]:
        for op in self.api.operations:
            if op.operation_id == operation_id:
                return op.method, op.path
        raise KeyError(f"{self.api.name} has no operation {operation_id}")
