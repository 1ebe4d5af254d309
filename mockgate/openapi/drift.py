"""Contract drift: what changed between two versions of an OpenAPI document, for its clients.

``diff_specs(old, new)`` compares two ``$ref``-resolved documents and lists each ``Change`` with
a severity from the point of view of a client of the API. ``touches(change, usage)`` says
whether a change reaches what one consumer actually used (a coverage file of
``mockgate serve --coverage-out``).

Operations are matched by method and path template, parameter names in the template ignored
(``/a/{id}`` is ``/a/{sessionId}``, its path parameters matched by position), then by
``operationId``. The rules follow oasdiff's breaking-changes list: a request may only get
looser, a response only tighter.

Breaking:
- an operation removed, or moved to another method or path (same ``operationId``);
- a 2xx response removed;
- a parameter, request body or request-body property added as required, or made required;
- a parameter, request body or request-body property removed (the server may now refuse it);
- request side: a type changed other than widened (``integer`` → ``number``), an enum value
  removed or an enum set where there was none, ``nullable`` dropped, a bound tightened or added
  (``maximum``, ``maxLength``, ``maxItems`` lowered; ``minimum``, ``minLength``, ``minItems``
  raised), a ``pattern`` added or changed;
- response side: a required property removed or made optional, a type changed other than
  narrowed (``number`` → ``integer``), an enum value added or an enum dropped, ``nullable``
  added, a bound loosened or removed, a ``pattern`` changed or removed.

Non-breaking: everything the other way round (operations, statuses, optional parameters and
properties, response properties and enum values added to the request side, ...), an optional
response property removed (the client was told it may be absent), a non-2xx response removed,
``operationId`` changed, an operation deprecated. ``readOnly`` properties are ignored in
requests and ``writeOnly`` ones in responses. Headers of responses, security requirements and
media types other than JSON are not compared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from mockgate.openapi.catalog import HTTP_METHODS

__all__ = [
    "Change",
    "Reach",
    "Severity",
    "Usage",
    "UsedOperation",
    "diff_specs",
    "touches",
]

_PARAM = re.compile(r"\{([^}]*)\}")
_UPPER_BOUNDS = ("maximum", "maxLength", "maxItems")
_LOWER_BOUNDS = ("minimum", "minLength", "minItems")
# Deeper than any real document nests; stops a self-referencing schema.
_MAX_DEPTH = 32


class Severity(StrEnum):
    BREAKING = "breaking"
    NON_BREAKING = "non-breaking"


@dataclass(frozen=True)
class Reach:
    """What a consumer must have used for a change to reach it.

    ``what`` is one of: ``operation`` (called it), ``status`` (received ``key``), ``parameter``
    (sent parameter ``key``, e.g. ``query:limit``), ``parameter-value`` (sent ``value`` in
    ``key``), ``request-property`` (sent body property ``key``; ``""``: any body),
    ``response-property`` (observed ``key``, e.g. ``200:sessions[].id``), ``missing-parameter``
    (called it without ``key``), ``missing-property`` (called it without body property ``key``,
    whose parent it did send; ``""``: without a body).
    """

    what: str
    key: str = ""
    value: str = ""


@dataclass(frozen=True)
class Change:
    kind: str
    severity: Severity
    method: str
    path: str  # the template of OLD (of NEW for an added operation)
    operation_id: str | None
    location: str  # e.g. "response 200 body.sessions[].status", "parameter query:limit"
    old: Any
    new: Any
    message: str
    reach: Reach

    @property
    def operation(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def breaking(self) -> bool:
        return self.severity is Severity.BREAKING

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": str(self.severity),
            "operation": self.operation,
            "operation_id": self.operation_id,
            "location": self.location,
            "old": self.old,
            "new": self.new,
            "message": self.message,
        }


class UsedOperation(Protocol):
    """One operation as a consumer used it (``reports.coverage.OperationUsage``)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def requests(self) -> int: ...
    @property
    def statuses(self) -> Mapping[str, int]: ...
    @property
    def parameters(self) -> Mapping[str, Mapping[str, int]]: ...
    @property
    def body_properties(self) -> Mapping[str, int]: ...
    @property
    def response_properties(self) -> Mapping[str, int]: ...


class Usage(Protocol):
    """What one consumer used (``reports.coverage.Coverage``): operations by ``operationId``."""

    @property
    def operations(self) -> Mapping[str, UsedOperation]: ...


def diff_specs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change from ``old`` to ``new`` (both ``$ref``-resolved), operation by operation."""
    old_ops, new_ops = _operations(old), _operations(new)
    changes: list[Change] = []
    unmatched_new = dict(new_ops)
    by_id = {op.operation_id: key for key, op in new_ops.items() if op.operation_id}
    for key, before in old_ops.items():
        after_key = key if key in unmatched_new else by_id.get(before.operation_id or "")
        after = unmatched_new.pop(after_key, None) if after_key else None
        if after is None:
            changes.append(_op_change(before, "operation-removed", True, None, "removed"))
            continue
        changes.extend(_Differ(before, after).changes())
    for after in unmatched_new.values():
        changes.append(_op_change(after, "operation-added", False, after.operation, "added"))
    return changes


def touches(change: Change, usage: Usage) -> bool:
    """Whether ``change`` reaches something the consumer of ``usage`` used."""
    used = _find_used(change, usage)
    if used is None or used.requests == 0:
        return False
    reach = change.reach
    match reach.what:
        case "operation":
            return True
        case "status":
            return used.statuses.get(reach.key, 0) > 0
        case "parameter":
            return sum(_sent(used, reach.key).values()) > 0
        case "parameter-value":
            return _sent(used, reach.key).get(reach.value, 0) > 0
        case "missing-parameter":
            return sum(_sent(used, reach.key).values()) == 0
        case "request-property":
            return not reach.key or used.body_properties.get(reach.key, 0) > 0
        case "missing-property":
            return _sent_parent(used.body_properties, reach.key) and not used.body_properties.get(
                reach.key, 0
            )
        case "response-property":
            return used.response_properties.get(reach.key, 0) > 0
    raise ValueError(f"unknown reach {reach.what!r}")


def _find_used(change: Change, usage: Usage) -> UsedOperation | None:
    if change.operation_id and change.operation_id in usage.operations:
        return usage.operations[change.operation_id]
    template = _normalised(change.path)
    for used in usage.operations.values():
        if used.method.upper() == change.method and _normalised(used.path) == template:
            return used
    return None


def _sent(used: UsedOperation, key: str) -> Mapping[str, int]:
    """The values sent in parameter ``key`` (``query:limit``); header names in any case."""
    if key in used.parameters or not key.startswith("header:"):
        return used.parameters.get(key, {})
    lowered = key.lower()
    return next((v for k, v in used.parameters.items() if k.lower() == lowered), {})


def _sent_parent(sent: Mapping[str, int], prop: str) -> bool:
    parent = prop.rpartition(".")[0].removesuffix("[]")
    # A top-level property: the body itself counts as sent once the operation was called.
    return not parent or sent.get(parent, 0) > 0


@dataclass(frozen=True)
class _Operation:
    method: str
    path: str
    operation_id: str | None
    operation: dict[str, Any]
    # Keyed "query:limit" (header names lower-cased: they match in any case).
    parameters: dict[str, dict[str, Any]]


def _normalised(path: str) -> str:
    return _PARAM.sub("{}", path)


def _operations(document: Mapping[str, Any]) -> dict[tuple[str, str], _Operation]:
    found = {}
    for path, item in (document.get("paths") or {}).items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = {}
            for parameter in [*shared, *operation.get("parameters", [])]:  # the operation's win
                parameters[_param_key(parameter)] = parameter
            found[(method.upper(), _normalised(path))] = _Operation(
                method.upper(), path, operation.get("operationId"), operation, parameters
            )
    return found


def _param_key(parameter: Mapping[str, Any]) -> str:
    where, name = parameter.get("in", ""), str(parameter.get("name", ""))
    return f"{where}:{name.lower() if where == 'header' else name}"


def _op_change(op: _Operation, kind: str, breaking: bool, new: Any, what: str) -> Change:
    severity = Severity.BREAKING if breaking else Severity.NON_BREAKING
    old = None if kind == "operation-added" else op.operation_id
    return Change(
        kind,
        severity,
        op.method,
        op.path,
        op.operation_id,
        "operation",
        old,
        new,
        f"operation {op.method} {op.path} {what}",
        Reach("operation"),
    )


def _value(value: Any) -> str:
    """An enum value as a coverage file counts it: as sent in a URL (``true``, ``2``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _label(parameter: Mapping[str, Any]) -> str:
    """A parameter as a coverage file names it: ``query:limit``."""
    return f"{parameter.get('in', '')}:{parameter.get('name', '')}"


_ReachOf = Callable[[str, Any], Reach]  # (property path, enum value or None) -> Reach


class _Differ:
    """The changes of one operation matched in both documents."""

    def __init__(self, old: _Operation, new: _Operation) -> None:
        self.old, self.new = old, new
        self.found: list[Change] = []

    def changes(self) -> list[Change]:
        old, new = self.old, self.new
        if (old.method, _normalised(old.path)) != (new.method, _normalised(new.path)):
            self._emit(
                "operation-moved",
                True,
                "operation",
                f"{old.method} {old.path}",
                f"{new.method} {new.path}",
                f"moved to {new.method} {new.path}",
                Reach("operation"),
            )
            old_params, new_params = old.parameters, new.parameters
        else:
            old_params, new_params = old.parameters, self._renamed_path_params()
        if old.operation_id != new.operation_id:
            self._emit(
                "operation-id-changed",
                False,
                "operation",
                old.operation_id,
                new.operation_id,
                f"operationId {old.operation_id} → {new.operation_id}",
                Reach("operation"),
            )
        if new.operation.get("deprecated") and not old.operation.get("deprecated"):
            self._emit(
                "operation-deprecated",
                False,
                "operation",
                False,
                True,
                "deprecated",
                Reach("operation"),
            )
        self._parameters(old_params, new_params)
        self._request_body()
        self._responses()
        return self.found

    def _emit(
        self,
        kind: str,
        breaking: bool,
        location: str,
        before: Any,
        after: Any,
        message: str,
        reach: Reach,
    ) -> None:
        severity = Severity.BREAKING if breaking else Severity.NON_BREAKING
        op = self.old
        self.found.append(
            Change(
                kind,
                severity,
                op.method,
                op.path,
                op.operation_id,
                location,
                before,
                after,
                f"{location}: {message}",
                reach,
            )
        )

    def _renamed_path_params(self) -> dict[str, dict[str, Any]]:
        """NEW's parameters, its path parameters under OLD's names (matched by position)."""
        names = dict(zip(_PARAM.findall(self.new.path), _PARAM.findall(self.old.path), strict=True))
        renamed = {}
        for key, parameter in self.new.parameters.items():
            where, _, name = key.partition(":")
            renamed[f"path:{names.get(name, name)}" if where == "path" else key] = parameter
        return renamed

    def _parameters(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        for key, before in old.items():
            label = _label(before)
            where = f"parameter {label}"
            after = new.get(key)
            if after is None:
                self._emit(
                    "parameter-removed",
                    True,
                    where,
                    label,
                    None,
                    "removed",
                    Reach("parameter", label),
                )
                continue
            was, now = bool(before.get("required")), bool(after.get("required"))
            if was != now:
                self._emit(
                    "parameter-required-changed",
                    now,
                    where,
                    was,
                    now,
                    "made required" if now else "made optional",
                    Reach("missing-parameter", label),
                )

            def reach(_prop: str, value: Any, label: str = label) -> Reach:
                if value is None:
                    return Reach("parameter", label)
                return Reach("parameter-value", label, _value(value))

            self._schema(
                before.get("schema") or {},
                after.get("schema") or {},
                request=True,
                where=where,
                prop="",
                reach=reach,
                depth=0,
            )
        for key, after in new.items():
            if key not in old:
                label = _label(after)
                required = bool(after.get("required"))
                self._emit(
                    "parameter-added",
                    required,
                    f"parameter {label}",
                    None,
                    label,
                    "added, required" if required else "added, optional",
                    Reach("missing-parameter", label),
                )

    def _request_body(self) -> None:
        before = self.old.operation.get("requestBody")
        after = self.new.operation.get("requestBody")
        if before is None and after is None:
            return
        if after is None:
            self._emit(
                "request-body-removed",
                True,
                "request body",
                "body",
                None,
                "removed",
                Reach("request-property"),
            )
            return
        now = bool(after.get("required"))
        if before is None:
            self._emit(
                "request-body-added",
                now,
                "request body",
                None,
                "body",
                "added, required" if now else "added, optional",
                Reach("missing-property"),
            )
            return
        was = bool(before.get("required"))
        if was != now:
            self._emit(
                "request-body-required-changed",
                now,
                "request body",
                was,
                now,
                "made required" if now else "made optional",
                Reach("missing-property"),
            )
        old_schema, new_schema = _json_schema(before), _json_schema(after)
        if old_schema is not None and new_schema is not None:
            self._schema(
                old_schema,
                new_schema,
                request=True,
                where="request body",
                prop="",
                reach=lambda prop, _value: Reach("request-property", prop),
                depth=0,
            )

    def _responses(self) -> None:
        before = self.old.operation.get("responses") or {}
        after = self.new.operation.get("responses") or {}
        for status, response in before.items():
            status = str(status)
            where = f"response {status}"
            if status not in {str(s) for s in after}:
                success = status.startswith("2")
                self._emit(
                    "status-removed",
                    success,
                    where,
                    status,
                    None,
                    "removed" if success else "removed (not a success status)",
                    Reach("status", status),
                )
                continue
            new_response = after[status] if status in after else after[int(status)]
            old_schema, new_schema = _json_schema(response), _json_schema(new_response)
            if old_schema is None or new_schema is None:
                continue

            def reach(prop: str, _value: Any, status: str = status) -> Reach:
                if not prop:
                    return Reach("status", status)
                return Reach("response-property", f"{status}:{prop}")

            self._schema(
                old_schema,
                new_schema,
                request=False,
                where=f"{where} body",
                prop="",
                reach=reach,
                depth=0,
            )
        for status in after:
            if str(status) not in {str(s) for s in before}:
                self._emit(
                    "status-added",
                    False,
                    f"response {status}",
                    None,
                    str(status),
                    "added",
                    Reach("status", str(status)),
                )

    def _schema(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        *,
        request: bool,
        where: str,
        prop: str,
        reach: _ReachOf,
        depth: int,
    ) -> None:
        if depth > _MAX_DEPTH:
            return
        old, new = _view(old), _view(new)
        at = f"{where}{'.' if prop and not prop.startswith('[') else ''}{prop}"

        def emit(
            kind: str, breaking: bool, before: Any, after: Any, message: str, value: Any = None
        ) -> None:
            self._emit(kind, breaking, at, before, after, message, reach(prop, value))

        old_type, new_type = _type(old), _type(new)
        if old_type != new_type:
            widened = (old_type, new_type) == ("integer", "number") or new_type is None
            narrowed = (old_type, new_type) == ("number", "integer") or old_type is None
            emit(
                "type-changed",
                not widened if request else not narrowed,
                old_type,
                new_type,
                f"type {old_type or 'any'} → {new_type or 'any'}",
            )
            return
        self._enum(old.get("enum"), new.get("enum"), request=request, emit=emit)
        was, now = bool(old.get("nullable")), bool(new.get("nullable"))
        if was != now:
            emit(
                "nullable-changed",
                (was and not now) if request else now,
                was,
                now,
                "nullable" if now else "no longer nullable",
            )
        for name in (*_UPPER_BOUNDS, *_LOWER_BOUNDS, "pattern"):
            before, after = old.get(name), new.get(name)
            if before == after:
                continue
            tighter, looser = _tightened(name, before, after)
            emit(
                "constraint-changed",
                tighter if request else looser,
                before,
                after,
                f"{name} {before if before is not None else 'unset'} → "
                f"{after if after is not None else 'unset'}",
            )
        self._properties(
            old, new, request=request, where=where, prop=prop, reach=reach, depth=depth
        )
        if "items" in old and "items" in new:
            self._schema(
                old["items"],
                new["items"],
                request=request,
                where=where,
                prop=f"{prop}[]",
                reach=reach,
                depth=depth + 1,
            )

    @staticmethod
    def _enum(
        before: list[Any] | None,
        after: list[Any] | None,
        *,
        request: bool,
        emit: Callable[..., None],
    ) -> None:
        if before is None and after is None:
            return
        if before is None or after is None:
            # An enum set restricts values (request side), one dropped allows new ones (response).
            restricted = after is not None
            emit(
                "enum-changed",
                restricted if request else not restricted,
                before,
                after,
                "values restricted to an enum" if restricted else "enum removed",
            )
            return
        for value in before:
            if value not in after:
                emit(
                    "enum-value-removed",
                    request,
                    value,
                    None,
                    f"enum value {value!r} removed",
                    value,
                )
        for value in after:
            if value not in before:
                emit(
                    "enum-value-added",
                    not request,
                    None,
                    value,
                    f"enum value {value!r} added",
                    value,
                )

    def _properties(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        *,
        request: bool,
        where: str,
        prop: str,
        reach: _ReachOf,
        depth: int,
    ) -> None:
        hidden = "readOnly" if request else "writeOnly"
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_req, new_req = set(old.get("required", ())), set(new.get("required", ()))
        side = "request" if request else "response"
        for name, schema in old_props.items():
            child = f"{prop}.{name}" if prop else name
            at = f"{where}.{child}" if not child.startswith("[") else f"{where}{child}"
            after = new_props.get(name)
            if schema.get(hidden) or (after is not None and after.get(hidden)):
                continue
            if after is None:
                required = name in old_req
                self._emit(
                    "property-removed",
                    request or required,
                    at,
                    name,
                    None,
                    f"removed{'' if request or required else ' (was optional)'}",
                    reach(child, None),
                )
                continue
            was, now = name in old_req, name in new_req
            if was != now:
                missing = Reach("missing-property", child) if request else reach(child, None)
                self._emit(
                    "property-required-changed",
                    now if request else was,
                    at,
                    was,
                    now,
                    f"{side} property made {'required' if now else 'optional'}",
                    missing,
                )
            self._schema(
                schema,
                after,
                request=request,
                where=where,
                prop=child,
                reach=reach,
                depth=depth + 1,
            )
        for name, schema in new_props.items():
            if name in old_props or schema.get(hidden):
                continue
            child = f"{prop}.{name}" if prop else name
            at = f"{where}.{child}" if not child.startswith("[") else f"{where}{child}"
            required = request and name in new_req
            self._emit(
                "property-added",
                required,
                at,
                None,
                name,
                f"added, {'required' if name in new_req else 'optional'}",
                Reach("missing-property", child) if request else reach(child, None),
            )


def _json_schema(holder: Mapping[str, Any]) -> dict[str, Any] | None:
    for media, media_type in (holder.get("content") or {}).items():
        if media == "application/json" or media.endswith("+json"):
            schema: dict[str, Any] = media_type.get("schema") or {}
            return schema
    return None


def _view(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``allOf`` merged in and the properties of its ``oneOf``/``anyOf``
    branches (optional, since no single branch need hold them)."""
    view = {k: v for k, v in schema.items() if k not in ("allOf", "oneOf", "anyOf")}
    properties = dict(view.get("properties") or {})
    required = set(view.get("required") or ())
    for part in schema.get("allOf") or ():
        merged = _view(part)
        for key, value in merged.items():
            view.setdefault(key, value)
        properties.update(merged.get("properties") or {})
        required |= set(merged.get("required") or ())
    for key in ("oneOf", "anyOf"):
        branches = [_view(branch) for branch in schema.get(key) or ()]
        for branch in branches:
            for name, sub in (branch.get("properties") or {}).items():
                properties.setdefault(name, sub)
        types = {_type(branch) for branch in branches}
        if len(types) == 1 and "type" not in view and (only := types.pop()) is not None:
            view["type"] = only
    if properties:
        view["properties"] = properties
    view["required"] = sorted(required)
    return view


def _type(schema: Mapping[str, Any]) -> str | None:
    if "type" in schema:
        return str(schema["type"])
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def _tightened(name: str, before: Any, after: Any) -> tuple[bool, bool]:
    """(tighter, looser): whether a bound or pattern changed from ``before`` to ``after`` now
    refuses values it accepted, and accepts values it refused (a changed pattern: both)."""
    if name == "pattern":
        return after is not None, before is not None
    if before is None or after is None:
        return before is None, after is None
    upper = name in _UPPER_BOUNDS
    return (after < before, after > before) if upper else (after > before, after < before)
