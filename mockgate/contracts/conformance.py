"""Schema and stateful conformance: schemathesis' engine, with mockgate's response checks added.

The engine generates valid and invalid requests for every operation (the spec's examples
first), follows the spec's links for stateful sequences, and runs its own checks plus every
registered ``response_check``. Its failures become ``Finding``s with curl reproductions.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.generation.meta import CoverageScenario, coverage_scenario
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    use_after_free,
)

from mockgate.contracts.coverage import CoverageRecorder
from mockgate.contracts.leniency import limit_refusal, violates_only_lenient
from mockgate.contracts.pacing import Pacer, operation_key
from mockgate.contracts.registry import CHECKS, ResponseCheck, checks_for, judge
from mockgate.contracts.tally import exchanges_of, judged, spend
from mockgate.openapi.catalog import ApiSpec
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding, FindingKind, Report

__all__ = [
    "BUILTIN_DOCS",
    "BUILTIN_KINDS",
    "ConformanceOptions",
    "check_kind",
    "run_conformance",
]

# Checks of schemathesis that mockgate replaces with a variant that honours its extensions.
_REPLACED = {
    "negative_data_rejection": "mockgate_negative_data_rejection",
    "positive_data_acceptance": "mockgate_positive_data_acceptance",
    "use_after_free": "mockgate_use_after_free",
}


@dataclass(frozen=True)
class ConformanceOptions:
    max_examples: int = 25
    seed: int | None = None
    workers: int = 1
    read_only: bool = False
    include_checks: frozenset[str] | None = None  # None = every check
    exclude_checks: frozenset[str] = frozenset()
    stateful: bool = True
    fail_fast: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)


def run_conformance(
    api: ApiSpec,
    report: Report,
    *,
    credentials: tuple[str, ...],
    options: ConformanceOptions,
    base_url: str | None = None,
    app: Any = None,
    progress: Callable[[str], None] | None = None,
    pacer: Pacer | None = None,
    coverage: CoverageRecorder | None = None,
) -> None:
    """Run schemathesis against ``base_url`` (or the ASGI ``app``) and add what it finds;
    ``pacer`` keeps its requests within the target's rate limits; ``coverage`` hears every
    exchange and every link followed.

    Ctrl-C raises ``KeyboardInterrupt`` once the engine has stopped, what it found until then
    in ``report``."""
    _install_adapters()
    config = SchemathesisConfig.from_dict(_config(api, credentials, options, base_url))
    schema: schemathesis.BaseSchema = schemathesis.openapi.from_dict(api.bundle(), config=config)
    if app is not None:
        schema.app = app
        if base_url is None:
            # Its in-process client would say Host: testserver, which a mock refuses.
            schema.config.base_url = "http://localhost" + schema.base_path.rstrip("/")
    if options.read_only:
        schema = schema.include(method=["GET", "HEAD", "OPTIONS"])
    stream = from_schema(schema).execute()
    interrupted = False
    with _running(schema, api, pacer or Pacer(), coverage):
        try:
            for event in stream:
                if progress is not None and isinstance(event, events.ScenarioStarted):
                    # Stateful scenarios have no label: each is one sequence along the links.
                    progress(f"{event.phase.value}: {event.label or 'sequences along the links'}")
                if isinstance(event, events.ScenarioFinished):
                    _collect(event.recorder, report)
                    if coverage is not None:
                        coverage.links(event.recorder)
                    spend(event.recorder, event.elapsed_time, report)
                elif isinstance(event, events.NonFatalError):
                    report.errors.append(f"{event.label}: {event.value}")
                elif isinstance(event, events.FatalError):
                    report.errors.append(f"schemathesis stopped: {event.exception}")
                elif isinstance(event, events.Interrupted):
                    interrupted = True
        except KeyboardInterrupt:
            # Ctrl-C in mockgate's handling of an event: stop the engine as it stops itself.
            stream.stop()
            stream.generator.close()
            raise
    # schemathesis catches Ctrl-C and ends the run as if it had completed: it did not. (It stops
    # at --fail-fast's failure limit the same way; that stop leaves a finding behind.)
    if interrupted and not (options.fail_fast and report.findings):
        raise KeyboardInterrupt


def _config(
    api: ApiSpec,
    credentials: tuple[str, ...],
    options: ConformanceOptions,
    base_url: str | None,
) -> dict[str, Any]:
    names = _check_names(api, options)
    config: dict[str, Any] = {
        # No example database: replaying the failures of earlier runs (Hypothesis' default,
        # kept in ./.hypothesis) would make one seed find different things run after run.
        "generation": {"max-examples": options.max_examples, "database": "none"},
        "checks": {"enabled": False} | {name: {"enabled": True} for name in names},
        "phases": {"stateful": {"enabled": options.stateful and not options.read_only}},
        "workers": options.workers,
        # Keep generating for an operation after its first failure: a larger budget tests more,
        # and what a run finds does not depend on where the first failure happened to fall.
        "continue-on-failure": True,
        # A protected route answering 307 to a sign-in page must not look "enforced".
        "max-redirects": 0,
        "headers": dict(options.headers),
    }
    if options.seed is not None:
        config["seed"] = options.seed
    if options.fail_fast:
        config["max-failures"] = 1
    if base_url is not None:
        config["base-url"] = base_url
    auth = _auth(api, credentials)
    if auth:
        config["auth"] = {"openapi": auth}
    return config


def _auth(api: ApiSpec, credentials: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The credential for every security scheme, so schemathesis can also leave it out."""
    if not credentials:
        return {}
    schemes = api.document.get("components", {}).get("securitySchemes", {})
    auth = {}
    for name, scheme in schemes.items():
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer":
            auth[name] = {"bearer": credentials[0]}
        elif scheme.get("type") == "apiKey":
            auth[name] = {"api_key": credentials[0]}
    return auth


# schemathesis' checks that every suite runs, with what each asserts (shown in reports).
BUILTIN_DOCS = {
    "not_a_server_error": "No request, valid or not, gets a 5xx.",
    "status_code_conformance": "Every status code is one the operation declares.",
    "content_type_conformance": "Every response's Content-Type is one the spec declares.",
    "response_schema_conformance": "Every response body matches its declared schema.",
    "response_headers_conformance": "Declared required response headers are present and valid.",
    "negative_data_rejection": "Requests that break the spec's parameter or body schemas are "
    "rejected with a 4xx (a declared size limit, 413, 414 or 431, is a rejection; values the "
    "document never promises to refuse, x-mockgate-lenient, may be accepted).",
    "use_after_free": "What was deleted cannot be read again (stateful sequences).",
    "ensure_resource_availability": "What was created can be read (stateful sequences).",
    "missing_required_header": "Leaving out a required request header gets a 4xx.",
    "ignored_auth": "Protected operations refuse requests without (or with wrong) credentials.",
    "unsupported_method": "A method the path does not support gets 405 with an Allow header.",
    "positive_data_acceptance": "Requests that satisfy the spec are accepted (paging values "
    "outside the documented range, refusals by documented state rules or by rules the spec "
    "cannot model, and declared size limits excepted).",
}
BUILTIN_CHECKS = tuple(name for name in BUILTIN_DOCS if name not in _REPLACED)

# What the findings of each of schemathesis' checks are, and why (one line, for --list-checks).
# Whatever the check, a finding on a method the spec does not declare for the path (schemathesis'
# undeclared-method probes) is an advisory: no document promises anything about such methods.
BUILTIN_KINDS: dict[str, tuple[FindingKind, str]] = {
    "not_a_server_error": (
        "contract",
        "no document answers any request with a failure of its own (advisory on methods "
        "no document mentions)",
    ),
    "status_code_conformance": ("contract", "the documents list each operation's statuses"),
    "content_type_conformance": ("contract", "the documents give each response's media type"),
    "response_schema_conformance": ("contract", "the documents show each response's fields"),
    "response_headers_conformance": ("contract", "the documents list these headers"),
    "negative_data_rejection": (
        "contract",
        "the documents' input rules, except values the spec says a server may accept "
        "(x-mockgate-lenient, x-mockgate-limit)",
    ),
    "use_after_free": ("contract", "the documents delete what they delete (soft deletes aside)"),
    "ensure_resource_availability": ("contract", "the documents read what they create"),
    "missing_required_header": ("contract", "the documents require these headers"),
    "ignored_auth": ("contract", "the documents answer 401 without a valid credential"),
    "unsupported_method": (
        "advisory",
        "HTTP hygiene (RFC 9110: 405 with Allow) for methods no document mentions; a 404 or "
        "401 there breaks no document",
    ),
    "positive_data_acceptance": (
        "contract",
        "the documents accept what they show (their size limits and refusals aside)",
    ),
}


def check_kind(name: str) -> tuple[FindingKind, str]:
    """What the findings of check ``name`` are, and why."""
    if name in BUILTIN_KINDS:
        return BUILTIN_KINDS[name]
    checks_for("")  # registers every check module
    check = CHECKS[name]
    return check.finding_kind, check.why


def _check_names(api: ApiSpec, options: ConformanceOptions) -> list[str]:
    names = [*BUILTIN_CHECKS, *_REPLACED.values()]
    names += [f"mockgate_{c.name}" for c in checks_for(api.name) if c.kind == "response"]
    wanted = options.include_checks
    return [
        n
        for n in names
        if (wanted is None or _public(n) in wanted) and _public(n) not in options.exclude_checks
    ]


def _public(name: str) -> str:
    """The name a person uses for a check (without the adapter prefix)."""
    return name.removeprefix("mockgate_")


# --- adapters: mockgate's response checks as schemathesis checks ----------------------------

_APIS: dict[int, ApiSpec] = {}
_PACERS: dict[int, Pacer] = {}
_COVERAGES: dict[int, CoverageRecorder] = {}
_installed = threading.Lock()
_adapters_ready = False


class _running:
    """Makes the run's ``ApiSpec``, pacer and coverage visible to the adapters and hooks
    while the engine runs."""

    def __init__(
        self, schema: Any, api: ApiSpec, pacer: Pacer, coverage: CoverageRecorder | None
    ) -> None:
        self.key = id(schema)
        self.api = api
        self.pacer = pacer
        self.coverage = coverage

    def __enter__(self) -> None:
        _APIS[self.key] = self.api
        _PACERS[self.key] = self.pacer
        if self.coverage is not None:
            _COVERAGES[self.key] = self.coverage

    def __exit__(self, *exc: object) -> None:
        _APIS.pop(self.key, None)
        _PACERS.pop(self.key, None)
        _COVERAGES.pop(self.key, None)


def _install_adapters() -> None:
    global _adapters_ready
    with _installed:
        if _adapters_ready:
            return
        checks_for("")  # imports every check module
        for check in CHECKS.values():
            if check.kind == "response":
                schemathesis.check(_adapter(check.name, check.as_response_check()))
        schemathesis.check(_negative_data_rejection_adapter())
        schemathesis.check(_positive_data_acceptance_adapter())
        schemathesis.check(_use_after_free_adapter())
        schemathesis.hook("before_call")(_pace)
        schemathesis.hook("after_call")(_heed)
        schemathesis.hook("after_call")(_cover)
        _adapters_ready = True


# The engine's hooks are the one place every request of every phase passes, in-process or over
# the network. They can delay a request but not resend one: a 429 that gets through is judged
# as it is (the specs declare it), and the operation's next request waits out its Retry-After.
# (schemathesis' own `rate-limit: auto` resends, but judges each 429 too and waits outside any
# budget: up to three minutes a case against an exhausted hourly limit.)


def _pace(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    pacer = _PACERS.get(id(case.operation.schema))
    if pacer is not None:
        pacer.before(operation_key(case.method, case.operation.path))


def _heed(context: Any, case: Any, response: Any) -> None:
    pacer = _PACERS.get(id(case.operation.schema))
    if pacer is None:
        return
    headers = {k.lower(): _first(v) for k, v in response.headers.items()}
    key = operation_key(case.method, case.operation.path)
    delay = pacer.observe(key, response.status_code, headers)
    if delay is not None:
        pacer.sleep(delay)


def _cover(context: Any, case: Any, response: Any) -> None:
    coverage = _COVERAGES.get(id(case.operation.schema))
    if coverage is not None:
        coverage.exchange(_exchange(case, response))


def _adapter(name: str, function: ResponseCheck) -> Callable[..., bool | None]:
    def adapter(ctx: Any, response: Any, case: Any) -> bool | None:
        api = _APIS.get(id(case.operation.schema))
        if api is None:
            return None
        problems = judge(function, _exchange(case, response), api)
        if problems is None:
            return True  # schemathesis' "skipped": nothing here to judge, so no pass recorded
        if problems:
            raise AssertionError("; ".join(problems))
        return None

    adapter.__name__ = f"mockgate_{name}"
    adapter.__doc__ = CHECKS[name].doc
    return adapter


def _negative_data_rejection_adapter() -> Callable[..., Any]:
    def mockgate_negative_data_rejection(ctx: Any, response: Any, case: Any) -> Any:
        """Invalid data is refused, except values the spec says a server need not refuse
        (x-mockgate-lenient, or a paging value whose x-mockgate-limit allows it), which it may
        accept, ignore or clamp; a declared size limit (413, 414, 431) is a refusal."""
        operation = _resolved_operation(case)
        if operation is not None:
            if limit_refusal(operation, response.status_code):
                return None
            if violates_only_lenient(operation, case, str(response.request.url)):
                return True  # schemathesis' "skipped": nothing promised here
        return negative_data_rejection(ctx, response, case)

    return mockgate_negative_data_rejection


def _positive_data_acceptance_adapter() -> Callable[..., Any]:
    def mockgate_positive_data_acceptance(ctx: Any, response: Any, case: Any) -> Any:
        """Valid data is accepted, except paging values outside the documented range, which a
        server may clamp or reject (x-mockgate-limit), refusals the documented rules make for
        the state of the records (x-mockgate-state-rules, e.g. a heartbeat on a finished
        session), refusals by rules a real server applies that the spec does not model
        (x-mockgate-unmodelled-rules, e.g. AgentLens payloads checked by event type), and the
        server's declared size limits (413, 414, 431: a request too large for it, not invalid)."""
        operation = _resolved_operation(case)
        if operation is None:
            return positive_data_acceptance(ctx, response, case)
        if response.status_code in (
            *operation.get("x-mockgate-state-rules", ()),
            *operation.get("x-mockgate-unmodelled-rules", ()),
        ) or limit_refusal(operation, response.status_code):
            return None
        if _outside_paging_bounds(operation, case):
            return None
        return positive_data_acceptance(ctx, response, case)

    return mockgate_positive_data_acceptance


def _use_after_free_adapter() -> Callable[..., Any]:
    def mockgate_use_after_free(ctx: Any, response: Any, case: Any) -> Any:
        """What a DELETE removed cannot be read again, except after a documented soft delete
        (x-mockgate-soft-delete: the record stays, e.g. marked completed)."""
        api = _APIS.get(id(case.operation.schema))
        soft = _soft_deletes(api) if api is not None else frozenset()
        if soft:
            ctx = _without_related(ctx, soft)
        return use_after_free(ctx, response, case)

    return mockgate_use_after_free


def _soft_deletes(api: ApiSpec) -> frozenset[str]:
    return frozenset(
        op.path
        for op in api.operations
        if op.method == "DELETE"
        and op.operation_id
        and api.operation_by_id(op.operation_id).get("x-mockgate-soft-delete")
    )


class _SoftDeleteBlind:
    """The check context's history with soft DELETEs left out."""

    def __init__(self, internals: Any, soft: frozenset[str]) -> None:
        self._internals = internals
        self._soft = soft

    def find_related(self, *, case_id: str) -> Any:
        for case in self._internals.find_related(case_id=case_id):
            if case.operation.method.lower() == "delete" and case.operation.path in self._soft:
                continue
            yield case

    def __getattr__(self, name: str) -> Any:
        return getattr(self._internals, name)


def _without_related(ctx: Any, soft: frozenset[str]) -> Any:
    blind = copy.copy(ctx)
    blind.internals = _SoftDeleteBlind(ctx.internals, soft)
    return blind


def _resolved_operation(case: Any) -> dict[str, Any] | None:
    api = _APIS.get(id(case.operation.schema))
    operation_id = case.operation.definition.raw.get("operationId")
    if api is None or operation_id is None:
        return None
    return api.operation_by_id(operation_id)


def _outside_paging_bounds(operation: dict[str, Any], case: Any) -> bool:
    for param in operation.get("parameters", []):
        limit = param.get("x-mockgate-limit") if isinstance(param, dict) else None
        if not limit or limit.get("out_of_range") == "clamp":
            continue
        value = (case.query or {}).get(param.get("name"))
        if value is None:
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            return True
        low, high = limit.get("minimum", 0), limit.get("maximum")
        if number < low or (high is not None and number > high):
            return True
    return False


def _exchange(case: Any, response: Any) -> Exchange:
    request = response.request
    return Exchange(
        operation_id=case.operation.definition.raw.get("operationId", case.operation.label),
        method=case.method.upper(),
        path=case.operation.path,
        url=str(request.url),
        status=response.status_code,
        response_headers={k.lower(): _first(v) for k, v in response.headers.items()},
        content=response.content or b"",
        query=dict(case.query or {}),
        path_params=dict(case.path_parameters or {}),
        headers={k: _first(v) for k, v in (request.headers or {}).items()},
        body=case.body if not _is_unset(case.body) else None,
    )


def _first(value: Any) -> str:
    return value[0] if isinstance(value, list) and value else str(value)


def _is_unset(value: Any) -> bool:
    return type(value).__name__ == "NotSet"


# --- results --------------------------------------------------------------------------------


def _collect(recorder: Any, report: Report) -> None:
    for case_id, nodes in recorder.checks.items():
        case_node = recorder.cases.get(case_id)
        operation = _operation_of(case_node.value) if case_node else recorder.label
        for node in nodes:
            check = _public(node.name)
            if node.failure_info is None:
                if judged(check, node, case_id, recorder):
                    report.passed[(operation, check)] += 1
                continue
            failure = node.failure_info.failure
            # The requests as sent (schemathesis' own curl hides credentials as [Filtered]).
            exchanges = exchanges_of(recorder, [step.case_id for step in node.failure_info.steps])
            steps = tuple(e.curl() for e in exchanges) or (
                tuple(step.curl for step in node.failure_info.steps)
                or (node.failure_info.code_sample,)
            )
            message = (
                failure.title if not failure.message else f"{failure.title}: {failure.message}"
            )
            case = case_node.value if case_node else None
            finding = Finding(
                check,
                operation,
                message.strip(),
                steps,
                exchanges,
                kind=_kind(check, case),
                cause=_cause(failure),
            )
            report.add(finding)


def _kind(check: str, case: Any) -> FindingKind:
    """The kind of ``check``'s findings; an advisory, whatever the check, on a method the
    spec does not declare for the path (no document promises anything about it)."""
    if case is not None and coverage_scenario(case) == CoverageScenario.UNSPECIFIED_HTTP_METHOD:
        return "advisory"
    return check_kind(check)[0]


def _cause(failure: Any) -> str:
    """What makes a schema violation one cause (the failing keyword of the schema, where in the
    body, and for a property missing or unexpected, its name), whatever value each case had;
    empty for other failures (their normalised message is their cause)."""
    schema_path = getattr(failure, "schema_path", None)
    if schema_path is None:
        return ""
    where = "/".join("*" if isinstance(p, int) else str(p) for p in failure.instance_path)
    keyword = str(schema_path[-1]) if schema_path else ""
    named = keyword in ("required", "additionalProperties")
    what = f" {getattr(failure, '_raw_message', '')}" if named else ""
    return f"{failure.title}: {'/'.join(map(str, schema_path))} at /{where}{what}"


def _operation_of(case: Any) -> str:
    operation_id: str = case.operation.definition.raw.get("operationId", case.operation.label)
    return operation_id
