"""The coverage of a ``verify`` run, fed with every exchange it makes: schemathesis' requests
(its ``after_call`` hook sees each, whatever the phase) and the probes' (their sessions keep
them). Thread-safe: schemathesis' workers call from their own threads.

What the engine does not say is inferred: schemathesis does not tell which named example a case
came from, so a request whose JSON body equals a named request example of the spec counts as
that example sent; the links followed are the stateful phase's applied transitions (links
schemathesis inferred itself are not the spec's and are left out).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.coverage import Coverage
from mockgate.reports.exchange import Exchange
from mockgate.reports.provider_coverage import documented_examples

__all__ = ["CoverageRecorder"]


class CoverageRecorder:
    """A ``Coverage`` of ``spec``, recorded into from any thread."""

    def __init__(self, spec: ApiSpec) -> None:
        self.coverage = Coverage.for_spec(spec)
        self._examples = documented_examples(spec)
        self._lock = threading.Lock()

    def exchange(self, exchange: Exchange) -> None:
        """Record one request and its response (a method the operation does not declare,
        schemathesis' probe of undocumented methods, is not a use of it)."""
        usage = self.coverage.operations.get(exchange.operation_id)
        if usage is None or usage.method != exchange.method:
            return
        body = exchange.body if isinstance(exchange.body, dict | list) else None
        url = urlsplit(exchange.url)
        response_body = exchange.json  # parsed outside the lock: workers record in parallel
        with self._lock:
            self.coverage.record(
                operation_id=exchange.operation_id,
                method=exchange.method,
                path=url.path,
                status=exchange.status,
                query=parse_qs(url.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in exchange.headers.items()},
                path_params={k: _text(v) for k, v in exchange.path_params.items()},
                body=body,
                response_body=response_body,
                template=exchange.path,
            )
            if body is not None:
                for name, value in self._examples.get(exchange.operation_id, ()):
                    if value == body:
                        usage.examples[name] += 1

    def exchanges(self, exchanges: Iterable[Exchange]) -> None:
        for exchange in exchanges:
            self.exchange(exchange)

    def links(self, recorder: Any) -> None:
        """The spec's links a schemathesis scenario (its ``recorder``) followed, counted on the
        operation whose response they start from, as ``200:GetSession``."""
        for node in list(recorder.cases.values()):
            transition = node.transition
            if transition is None or not node.is_transition_applied or transition.is_inferred:
                continue
            source = recorder.cases.get(transition.parent_id)
            link = _link_name(transition.id)
            if source is None or link is None:
                continue
            operation = source.value.operation.definition.raw.get("operationId")
            usage = self.coverage.operations.get(operation)
            if usage is not None:
                with self._lock:
                    usage.links[link] += 1


def _link_name(transition_id: str) -> str | None:
    """``GET /a -> [200] GetB -> GET /b/{id}`` (schemathesis' name of a transition) ->
    ``200:GetB``."""
    parts = transition_id.split(" -> ")
    if len(parts) != 3 or not parts[1].startswith("["):
        return None
    status, _, name = parts[1][1:].partition("] ")
    return f"{status}:{name}" if name else None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
