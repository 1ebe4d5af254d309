"""How much of a contract some traffic used: per operation, the statuses seen, the parameters
and enum values sent, the request-body properties sent and the response properties observed;
and the requests the contract refuses (consumer violations).

Fed from both sides: ``mockgate serve``/``proxy`` (a frontend's traffic) and ``mockgate verify``
(a conformance run). What is kept is bounded whatever the traffic: parameter values are counted
by value only for enums (others as ``*``), JSON property paths collapse array indices to ``[]``
(``sessions[].id``), are cut at ``MAX_DEPTH`` levels, at ``ARRAY_SAMPLE`` elements per array (an
element whose keys were already seen in that array is skipped) and at ``MAX_PATHS`` distinct
paths per operation; a path counts the bodies it appeared in. Violations and unknown routes are
capped too.
What was documented is read from the spec only when a summary is asked for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mockgate.core.journal import JournalEntry
from mockgate.openapi.catalog import HTTP_METHODS, ApiSpec

__all__ = [
    "ARRAY_SAMPLE",
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "MAX_PATHS",
    "MAX_UNKNOWN_ROUTES",
    "MAX_VIOLATIONS",
    "ConsumerViolation",
    "Coverage",
    "CoverageSummary",
    "OperationSummary",
    "OperationUsage",
    "Ratio",
    "dump_file",
    "load_file",
    "merge_all",
    "violation",
]

FORMAT_VERSION = 1
MAX_DEPTH = 8
"""Levels of a JSON body walked for property paths."""
ARRAY_SAMPLE = 20
"""Elements of one array walked: a list of a thousand records costs what twenty do."""
MAX_PATHS = 500
"""Distinct property paths kept per operation and side (maps keyed by ids would grow forever)."""
MAX_VIOLATIONS = 1000
MAX_UNKNOWN_ROUTES = 500
OTHER_ROUTES = "…"
"""Where unknown routes beyond ``MAX_UNKNOWN_ROUTES`` distinct ones are counted."""
ANY_VALUE = "*"


@dataclass
class OperationUsage:
    """What was used of one operation of the spec."""

    operation_id: str
    method: str
    path: str  # the spec's template
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    parameters: dict[str, Counter[str]] = field(default_factory=dict)  # "query:limit" -> values
    body_properties: Counter[str] = field(default_factory=Counter)  # "meta.owner"
    response_properties: Counter[str] = field(default_factory=Counter)  # "200:items[].id"
    examples: Counter[str] = field(default_factory=Counter)
    links: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "method": self.method,
            "path": self.path,
            "requests": self.requests,
            "statuses": dict(self.statuses),
            "parameters": {name: dict(values) for name, values in self.parameters.items()},
            "body_properties": dict(self.body_properties),
            "response_properties": dict(self.response_properties),
            "examples": dict(self.examples),
            "links": dict(self.links),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OperationUsage:
        return cls(
            operation_id=str(data["operation_id"]),
            method=str(data["method"]),
            path=str(data["path"]),
            requests=int(data.get("requests", 0)),
            statuses=Counter(data.get("statuses", {})),
            parameters={k: Counter(v) for k, v in data.get("parameters", {}).items()},
            body_properties=Counter(data.get("body_properties", {})),
            response_properties=Counter(data.get("response_properties", {})),
            examples=Counter(data.get("examples", {})),
            links=Counter(data.get("links", {})),
        )

    def merge(self, other: OperationUsage) -> None:
        """Add ``other``'s counts to this one's."""
        self.requests += other.requests
        self.statuses.update(other.statuses)
        for name, values in other.parameters.items():
            self.parameters.setdefault(name, Counter()).update(values)
        _bounded_update(self.body_properties, other.body_properties)
        _bounded_update(self.response_properties, other.response_properties)
        self.examples.update(other.examples)
        self.links.update(other.links)


@dataclass(frozen=True)
class ConsumerViolation:
    """A request the contract refuses, as the journal keeps it (credentials redacted)."""

    method: str
    path: str
    operation_id: str | None
    status: int
    reason: str
    request: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConsumerViolation:
        return cls(
            method=str(data["method"]),
            path=str(data["path"]),
            operation_id=data.get("operation_id"),
            status=int(data["status"]),
            reason=str(data.get("reason", "")),
            request=dict(data.get("request", {})),
        )


def violation(entry: JournalEntry, reason: str) -> ConsumerViolation:
    """A violation from the journal's entry of the request (credentials already redacted)."""
    return ConsumerViolation(
        method=entry.method,
        path=entry.path,
        operation_id=entry.operation_id,
        status=entry.status,
        reason=reason,
        request=entry.to_json(),
    )


@dataclass(frozen=True)
class _Plan:
    """What recording one operation needs to know of its spec, read once."""

    parameters: tuple[tuple[str, str, str], ...]  # (key "query:limit", location, name)
    enums: Mapping[str, frozenset[str]]  # key -> documented values
    arrays: frozenset[str]  # keys whose value is an array (comma-separated when not exploded)


@dataclass
class Coverage:
    """The coverage of one API."""

    api: str
    spec_title: str = ""
    spec_version: str = ""
    spec_path: str | None = None
    operations: dict[str, OperationUsage] = field(default_factory=dict)
    unknown_routes: Counter[str] = field(default_factory=Counter)
    violations: list[ConsumerViolation] = field(default_factory=list)
    violations_dropped: int = 0
    warnings: list[str] = field(default_factory=list)
    _plans: dict[str, _Plan] = field(default_factory=dict, repr=False, compare=False)
    _by_route: dict[tuple[str, str], str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def for_spec(cls, spec: ApiSpec) -> Coverage:
        """Every operation of ``spec`` present, unused."""
        coverage = cls(
            api=spec.name,
            spec_title=spec.title,
            spec_version=spec.version,
            spec_path=str(spec.path),
        )
        for key, method, path, operation, item in _spec_operations(spec):
            coverage.operations[key] = OperationUsage(key, method, path)
            coverage._plans[key] = _plan(_parameters(item, operation))
            coverage._by_route[(method, path)] = key
        return coverage

    # -- recording ---------------------------------------------------------------------------

    def record(
        self,
        *,
        operation_id: str | None,
        method: str,
        path: str,
        status: int,
        query: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, str] | None = None,
        body: Any = None,
        response_body: Any = None,
        template: str | None = None,
    ) -> None:
        """One exchange. ``operation_id`` ``None`` (or unknown) is a route not in the spec,
        counted under ``"METHOD path"``. ``body``/``response_body`` are decoded JSON values (or
        ``None``); ``headers`` with lower-case names (or case-insensitive); ``template`` finds
        an operation without an ``operationId``."""
        method = method.upper()
        key = operation_id
        if key is None and template is not None:
            key = self._by_route.get((method, template))
        usage = self.operations.get(key) if key is not None else None
        if usage is None:
            self._unknown(f"{method} {path}")
            return
        usage.requests += 1
        code = str(status)
        usage.statuses[code] += 1
        plan = self._plans.get(usage.operation_id)
        if plan is not None:
            self._parameters(usage, plan, query or {}, headers or {}, path_params or {})
        if headers:
            prefer = headers.get("prefer")
            if prefer and "example=" in prefer:
                name = prefer.split("example=", 1)[1].split(";")[0].split(",")[0].strip(' "')
                if name:
                    usage.examples[name[:100]] += 1
        if isinstance(body, (dict, list)):
            _walk(body, "", usage.body_properties)
        if isinstance(response_body, (dict, list)):
            _walk(response_body, f"{code}:", usage.response_properties)

    def _parameters(
        self,
        usage: OperationUsage,
        plan: _Plan,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        path_params: Mapping[str, str],
    ) -> None:
        for key, location, name in plan.parameters:
            values: list[str] | None
            if location == "query":
                values = query.get(name)
            elif location == "header":
                found = headers.get(name.lower())
                values = None if found is None else [found]
            elif location == "path":
                found = path_params.get(name)
                # A matched route always carries its path parameters.
                values = [ANY_VALUE] if found is None else [found]
            else:
                values = _cookie(headers, name)
            if values is None:
                continue
            counted = usage.parameters.setdefault(key, Counter())
            enum = plan.enums.get(key)
            if enum is None:
                counted[ANY_VALUE] += 1
                continue
            for value in values:
                for one in value.split(",") if key in plan.arrays else (value,):
                    counted[one if one in enum else ANY_VALUE] += 1

    def _unknown(self, route: str) -> None:
        if route in self.unknown_routes or len(self.unknown_routes) < MAX_UNKNOWN_ROUTES:
            self.unknown_routes[route[:200]] += 1
        else:
            self.unknown_routes[OTHER_ROUTES] += 1

    def add_violation(self, violation: ConsumerViolation | Callable[[], ConsumerViolation]) -> None:
        """Keep ``violation`` (the first ``MAX_VIOLATIONS``; the others are counted). A
        callable is called only when the violation is kept (building one costs)."""
        if len(self.violations) >= MAX_VIOLATIONS:
            self.violations_dropped += 1
        else:
            self.violations.append(
                violation if isinstance(violation, ConsumerViolation) else violation()
            )

    def clear(self) -> None:
        """Forget what was recorded; the operations stay, unused."""
        for key, usage in self.operations.items():
            self.operations[key] = OperationUsage(key, usage.method, usage.path)
        self.unknown_routes.clear()
        self.violations.clear()
        self.violations_dropped = 0

    # -- files ------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "mockgate_coverage": FORMAT_VERSION,
            "api": self.api,
            "spec_title": self.spec_title,
            "spec_version": self.spec_version,
            "spec_path": self.spec_path,
            "operations": {key: usage.to_json() for key, usage in self.operations.items()},
            "unknown_routes": dict(self.unknown_routes),
            "violations": [violation.to_json() for violation in self.violations],
            "violations_dropped": self.violations_dropped,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Coverage:
        if data.get("mockgate_coverage") != FORMAT_VERSION:
            raise ValueError(
                f"not a mockgate coverage file (format {data.get('mockgate_coverage')!r}, "
                f"expected {FORMAT_VERSION})"
            )
        return cls(
            api=str(data["api"]),
            spec_title=str(data.get("spec_title", "")),
            spec_version=str(data.get("spec_version", "")),
            spec_path=data.get("spec_path"),
            operations={
                key: OperationUsage.from_json(usage)
                for key, usage in data.get("operations", {}).items()
            },
            unknown_routes=Counter(data.get("unknown_routes", {})),
            violations=[ConsumerViolation.from_json(v) for v in data.get("violations", [])],
            violations_dropped=int(data.get("violations_dropped", 0)),
            warnings=list(data.get("warnings", [])),
        )

    def merge(self, other: Coverage) -> Coverage:
        """A new coverage holding both; of the same API (``ValueError`` otherwise). Different
        spec versions merge, with a warning in ``warnings`` (and so in the summary)."""
        if other.api != self.api:
            raise ValueError(f"cannot merge coverage of {other.api!r} into {self.api!r}")
        merged = Coverage.from_json(self.to_json())
        merged._plans = dict(self._plans)
        merged._by_route = dict(self._by_route)
        for warning in other.warnings:
            if warning not in merged.warnings:
                merged.warnings.append(warning)
        if other.spec_version != self.spec_version:
            merged.warnings.append(
                f"{self.api}: merged coverage of spec versions {self.spec_version!r} and "
                f"{other.spec_version!r}"
            )
        for key, usage in other.operations.items():
            mine = merged.operations.get(key)
            if mine is None:
                merged.operations[key] = OperationUsage.from_json(usage.to_json())
            else:
                mine.merge(usage)
        for route, count in other.unknown_routes.items():
            merged.unknown_routes[route] += count
        for violation in other.violations:
            merged.add_violation(violation)
        merged.violations_dropped += other.violations_dropped
        return merged

    # -- summary ----------------------------------------------------------------------------

    def summary(self, spec: ApiSpec | None = None) -> CoverageSummary:
        """Ratios and what is missing, against what ``spec`` documents (without a spec, only
        the operations' figures: what was documented is not in the file)."""
        per_operation = []
        documented: dict[str, _Documented] = {}
        if spec is not None:
            for key, method, path, operation, item in _spec_operations(spec):
                documented[key] = _documented(method, path, operation, item)
        keys = list(documented) or list(self.operations)
        for key in keys:
            usage = self.operations.get(key)
            docs = documented.get(key)
            if usage is None:
                assert docs is not None
                usage = OperationUsage(key, docs.method, docs.path)
            per_operation.append(_operation_summary(usage, docs))
        called = [op.operation_id for op in per_operation if op.requests]
        never = [op.operation_id for op in per_operation if not op.requests]
        return CoverageSummary(
            api=self.api,
            spec_title=self.spec_title,
            spec_version=self.spec_version,
            operations=Ratio(len(called), len(per_operation), tuple(never)),
            statuses=_total(per_operation, "statuses"),
            parameters=_total(per_operation, "parameters"),
            enum_values=_total(per_operation, "enum_values"),
            body_properties=_total(per_operation, "body_properties"),
            response_properties=_total(per_operation, "response_properties"),
            per_operation=tuple(per_operation),
            requests=sum(op.requests for op in per_operation),
            unknown_routes=dict(self.unknown_routes),
            violations=tuple(self.violations),
            violations_dropped=self.violations_dropped,
            warnings=tuple(self.warnings),
        )


# -- summaries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """``covered`` of ``total``, and what is missing (named for a person to act on)."""

    covered: int
    total: int
    missing: tuple[str, ...] = ()

    @property
    def ratio(self) -> float | None:
        """``None`` when there was nothing to cover."""
        return None if self.total == 0 else self.covered / self.total

    def percent(self) -> str:
        ratio = self.ratio
        return "n/a" if ratio is None else f"{ratio:.0%}"

    def to_json(self) -> dict[str, Any]:
        return {
            "covered": self.covered,
            "total": self.total,
            "ratio": self.ratio,
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class OperationSummary:
    operation_id: str
    method: str
    path: str
    requests: int
    statuses: Ratio
    parameters: Ratio
    enum_values: Ratio
    body_properties: Ratio
    response_properties: Ratio
    statuses_seen: Mapping[str, int]
    examples: Mapping[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "method": self.method,
            "path": self.path,
            "requests": self.requests,
            "statuses": self.statuses.to_json(),
            "parameters": self.parameters.to_json(),
            "enum_values": self.enum_values.to_json(),
            "body_properties": self.body_properties.to_json(),
            "response_properties": self.response_properties.to_json(),
            "statuses_seen": dict(self.statuses_seen),
            "examples": dict(self.examples),
        }


AREAS = ("operations", "statuses", "parameters", "enum_values", "body_properties",
         "response_properties")  # fmt: skip
"""The summary's figures, in the order they are shown."""


@dataclass(frozen=True)
class CoverageSummary:
    api: str
    spec_title: str
    spec_version: str
    operations: Ratio  # missing: operations never called
    statuses: Ratio  # missing: "operationId 404"
    parameters: Ratio  # "operationId query:limit"
    enum_values: Ratio  # "operationId query:status=done"
    body_properties: Ratio  # "operationId meta.owner"
    response_properties: Ratio  # "operationId 200:items[].id"
    per_operation: tuple[OperationSummary, ...]
    requests: int
    unknown_routes: Mapping[str, int]
    violations: tuple[ConsumerViolation, ...]
    violations_dropped: int
    warnings: tuple[str, ...]

    def area(self, name: str) -> Ratio:
        """One of ``AREAS`` by name."""
        ratio: Ratio = getattr(self, name)
        return ratio

    @property
    def violation_count(self) -> int:
        return len(self.violations) + self.violations_dropped

    def to_json(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "spec_title": self.spec_title,
            "spec_version": self.spec_version,
            "requests": self.requests,
            **{name: self.area(name).to_json() for name in AREAS},
            "per_operation": [op.to_json() for op in self.per_operation],
            "unknown_routes": dict(self.unknown_routes),
            "violations": [v.to_json() for v in self.violations],
            "violations_dropped": self.violations_dropped,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class _Documented:
    method: str
    path: str
    statuses: tuple[str, ...]
    parameters: tuple[str, ...]
    enum_values: tuple[tuple[str, str], ...]
    body_properties: tuple[str, ...]
    response_properties: tuple[str, ...]  # "200:items[].id"


def _operation_summary(usage: OperationUsage, docs: _Documented | None) -> OperationSummary:
    name = usage.operation_id
    if docs is None:
        empty = Ratio(0, 0)
        return OperationSummary(
            name, usage.method, usage.path, usage.requests, empty, empty, empty, empty, empty,
            dict(usage.statuses), dict(usage.examples),
        )  # fmt: skip
    seen = set(usage.statuses)
    statuses = [s for s in docs.statuses if _status_seen(s, seen, docs.statuses)]
    params = [p for p in docs.parameters if usage.parameters.get(p)]
    enums = [(p, v) for p, v in docs.enum_values if usage.parameters.get(p, Counter())[v]]
    body = [p for p in docs.body_properties if usage.body_properties[p]]
    response = [p for p in docs.response_properties if usage.response_properties[p]]

    def ratio(done: list[Any], every: Iterable[Any], show: Any = str) -> Ratio:
        everything = list(every)
        missing = tuple(show(x) for x in everything if x not in done)
        return Ratio(len(done), len(everything), missing)

    return OperationSummary(
        operation_id=name,
        method=docs.method,
        path=docs.path,
        requests=usage.requests,
        statuses=ratio(statuses, docs.statuses),
        parameters=ratio(params, docs.parameters),
        enum_values=ratio(enums, docs.enum_values, lambda pv: f"{pv[0]}={pv[1]}"),
        body_properties=ratio(body, docs.body_properties),
        response_properties=ratio(response, docs.response_properties),
        statuses_seen=dict(usage.statuses),
        examples=dict(usage.examples),
    )


def _status_seen(documented: str, seen: set[str], every: tuple[str, ...]) -> bool:
    if documented in seen:
        return True
    if documented.upper().endswith("XX"):
        return any(s[0] == documented[0] and s not in every for s in seen)
    if documented == "default":
        return any(s not in every and f"{s[0]}XX" not in every for s in seen)
    return False


def _total(per_operation: Iterable[OperationSummary], area: str) -> Ratio:
    covered = total = 0
    missing: list[str] = []
    for op in per_operation:
        ratio: Ratio = getattr(op, area)
        covered += ratio.covered
        total += ratio.total
        missing.extend(f"{op.operation_id} {item}" for item in ratio.missing)
    return Ratio(covered, total, tuple(missing))


# -- files of several APIs -------------------------------------------------------------------


def dump_file(coverages: Iterable[Coverage]) -> dict[str, Any]:
    """The file ``--coverage-out`` writes: every served API's coverage."""
    return {"mockgate_coverage": FORMAT_VERSION, "apis": [c.to_json() for c in coverages]}


def load_file(data: Mapping[str, Any]) -> list[Coverage]:
    """The coverages of a file: ``dump_file``'s form, or one API's ``Coverage.to_json``."""
    if data.get("mockgate_coverage") != FORMAT_VERSION:
        raise ValueError('not a mockgate coverage file (no "mockgate_coverage": 1)')
    if "apis" in data:
        return [Coverage.from_json(one) for one in data["apis"]]
    return [Coverage.from_json(data)]


def merge_all(coverages: Iterable[Coverage]) -> list[Coverage]:
    """One coverage per API, in the order APIs first appear."""
    merged: dict[str, Coverage] = {}
    for coverage in coverages:
        mine = merged.get(coverage.api)
        merged[coverage.api] = coverage if mine is None else mine.merge(coverage)
    return list(merged.values())


# -- the spec's side -------------------------------------------------------------------------


def _spec_operations(
    spec: ApiSpec,
) -> Iterable[tuple[str, str, str, Mapping[str, Any], Mapping[str, Any]]]:
    for path, item in spec.resolved.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            key = operation.get("operationId") or f"{method.upper()} {path}"
            yield key, method.upper(), path, operation, item


def _parameters(item: Mapping[str, Any], operation: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: dict[tuple[str, str], Mapping[str, Any]] = {}
    for parameter in [*item.get("parameters", ()), *operation.get("parameters", ())]:
        found[(parameter["in"], parameter["name"])] = parameter
    return list(found.values())


def _enum(parameter: Mapping[str, Any]) -> tuple[frozenset[str] | None, bool]:
    schema = parameter.get("schema") or {}
    if schema.get("type") == "array":
        items = schema.get("items") or {}
        values = items.get("enum")
        exploded = parameter.get("explode", parameter.get("style", "form") == "form")
        return (None if values is None else frozenset(map(_text, values))), not exploded
    values = schema.get("enum")
    return (None if values is None else frozenset(map(_text, values))), False


def _plan(parameters: list[Mapping[str, Any]]) -> _Plan:
    keys = []
    enums: dict[str, frozenset[str]] = {}
    arrays = set()
    for parameter in parameters:
        key = f"{parameter['in']}:{parameter['name']}"
        keys.append((key, parameter["in"], parameter["name"]))
        values, comma_separated = _enum(parameter)
        if values is not None:
            enums[key] = values
        if comma_separated:
            arrays.add(key)
    return _Plan(tuple(keys), enums, frozenset(arrays))


def _documented(
    method: str, path: str, operation: Mapping[str, Any], item: Mapping[str, Any]
) -> _Documented:
    parameters = _parameters(item, operation)
    plan = _plan(parameters)
    enum_values = tuple(
        (key, value) for key, _, _ in plan.parameters for value in sorted(plan.enums.get(key, ()))
    )
    body: list[str] = []
    request = operation.get("requestBody") or {}
    schema = _json_schema(request)
    if schema is not None:
        _schema_paths(schema, "", 0, body, [])
    response: list[str] = []
    for status, answer in (operation.get("responses") or {}).items():
        schema = _json_schema(answer)
        if schema is not None:
            _schema_paths(schema, f"{status}:", 0, response, [])
    return _Documented(
        method=method,
        path=path,
        statuses=tuple(str(s) for s in operation.get("responses") or {}),
        parameters=tuple(key for key, _, _ in plan.parameters),
        enum_values=enum_values,
        body_properties=tuple(dict.fromkeys(body)),
        response_properties=tuple(dict.fromkeys(response)),
    )


def _json_schema(holder: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for media, content in (holder.get("content") or {}).items():
        if media.split(";")[0].strip() == "application/json" or media.endswith("+json"):
            schema: Mapping[str, Any] | None = content.get("schema")
            return schema
    return None


def _schema_paths(
    schema: Mapping[str, Any], prefix: str, depth: int, out: list[str], stack: list[int]
) -> None:
    # A resolved recursive schema is a cyclic structure: the stack of the schemas being walked
    # stops it, as MAX_DEPTH stops what the observed side walks.
    if depth >= MAX_DEPTH or id(schema) in stack or len(out) >= MAX_PATHS:
        return
    stack.append(id(schema))
    for combined in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(combined, ()):
            _schema_paths(part, prefix, depth, out, stack)
    items = schema.get("items")
    if isinstance(items, Mapping):
        _schema_paths(items, prefix + "[]", depth, out, stack)
    for name, sub in (schema.get("properties") or {}).items():
        path = _join(prefix, name)
        out.append(path)
        if isinstance(sub, Mapping):
            _schema_paths(sub, path, depth + 1, out, stack)
    stack.pop()


# -- the traffic's side ----------------------------------------------------------------------


def _join(prefix: str, name: str) -> str:
    """``items[]`` + ``id`` → ``items[].id``; ``200:`` + ``id`` → ``200:id``."""
    return prefix + name if not prefix or prefix.endswith(":") else f"{prefix}.{name}"


def _walk(value: Any, prefix: str, out: Counter[str]) -> None:
    """Count each property path of ``value`` once (a path's count is the number of bodies it
    appeared in)."""
    found: set[str] = set()
    _paths(value, prefix, 0, found)
    for path in found:
        if path in out or len(out) < MAX_PATHS:
            out[path] += 1


def _paths(value: Any, prefix: str, depth: int, out: set[str]) -> None:
    if depth >= MAX_DEPTH:
        return
    if isinstance(value, dict):
        joined = prefix + "." if prefix and not prefix.endswith(":") else prefix
        for name, sub in value.items():
            path = joined + str(name)
            out.add(path)
            if isinstance(sub, dict | list):
                _paths(sub, path, depth + 1, out)
    elif isinstance(value, list):
        # The records of one list mostly share a shape: an element whose keys were already
        # seen here is not walked again (the hot path's cost stays that of a few elements).
        inner = prefix + "[]"
        shapes: set[tuple[str, ...]] = set()
        for element in value[:ARRAY_SAMPLE]:
            if isinstance(element, dict):
                shape = tuple(element)
                if shape in shapes:
                    continue
                shapes.add(shape)
            elif not isinstance(element, list):
                continue
            _paths(element, inner, depth, out)


def _bounded_update(mine: Counter[str], other: Counter[str]) -> None:
    for path, count in other.items():
        if path in mine or len(mine) < MAX_PATHS:
            mine[path] += count


def _cookie(headers: Mapping[str, str], name: str) -> list[str] | None:
    text = headers.get("cookie")
    if not text:
        return None
    for pair in text.split(";"):
        key, _, value = pair.strip().partition("=")
        if key == name:
            return [value]
    return None


def _text(value: Any) -> str:
    """An enum value as it is sent in a URL or header (``true``, not ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
