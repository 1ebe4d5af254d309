"""Fault injection: "make the next two ``listSessions`` calls answer 503 after 200 ms".

A frontend team needs to see its error and loading states against the mock without touching
the mock's data, so faults are rules set through the admin API and consumed per request. They
are kept apart from the state store on purpose: resetting data between tests must not silently
clear a fault a test set up, nor the other way round.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockgate.core.errors import shown_value

__all__ = ["ANY_OPERATION", "MAX_DELAY_MS", "Fault", "FaultBook"]

ANY_OPERATION = "*"
MAX_DELAY_MS = 60_000
"""As for ``Prefer: delay``: longer would outlast the client's own timeouts."""

_FIELDS = ("operation", "status", "delay_ms", "times", "body")


@dataclass(frozen=True)
class Fault:
    """One rule: for ``operation`` (an operationId, or ``"*"`` for all), answer ``status``
    (with ``body`` instead of the usual error body, if given) after ``delay_ms``; ``times``
    requests long, or until cleared when ``None``. A fault without ``status`` only delays."""

    operation: str
    status: int | None = None
    delay_ms: int = 0
    times: int | None = None
    body: dict[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        problems = _problems({name: getattr(self, name) for name in _FIELDS}, known_operations=None)
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], *, known_operations: Collection[str] | None = None
    ) -> Fault:
        """A fault from an admin request body, or ``ValueError`` listing every problem in it.

        With ``known_operations``, an operationId the API does not have is rejected (a typo would
        otherwise make a fault that never fires, which looks like a broken mock).
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"fault: expected a JSON object, got {shown_value(data)}")
        problems = [_unknown_key(key) for key in data if key not in _FIELDS]
        problems += _problems(data, known_operations=known_operations)
        if problems:
            raise ValueError("; ".join(problems))
        return cls(
            operation=data["operation"],
            status=data.get("status"),
            delay_ms=data.get("delay_ms", 0),
            times=data.get("times"),
            body=copy.deepcopy(data.get("body")),
        )


class FaultBook:
    """The active faults of one mock. Thread-safe: requests take faults concurrently."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._active: dict[str, _Entry] = {}  # insertion order = precedence

    def add(self, fault: Fault) -> str:
        """Activate ``fault``; the id returned removes it again."""
        with self._lock:
            fault_id = f"fault-{next(self._ids)}"
            self._active[fault_id] = _Entry(fault, fault.times)
        return fault_id

    def take(self, operation_id: str) -> Fault | None:
        """The fault to apply to one request of ``operation_id``, if any, using it up once.

        A fault for the operation itself wins over a ``"*"`` fault; among equals the oldest wins.
        """
        with self._lock:
            found = self._find(operation_id) or self._find(ANY_OPERATION)
            if found is None:
                return None
            fault_id, entry = found
            if entry.remaining is not None:
                entry.remaining -= 1
                if entry.remaining == 0:
                    del self._active[fault_id]
            return entry.fault

    def list(self) -> list[dict[str, Any]]:
        """The active faults, oldest first, as the admin API shows them."""
        with self._lock:
            return [
                {
                    "id": fault_id,
                    "operation": entry.fault.operation,
                    "status": entry.fault.status,
                    "delay_ms": entry.fault.delay_ms,
                    "remaining": entry.remaining,
                    "body": copy.deepcopy(entry.fault.body),
                }
                for fault_id, entry in self._active.items()
            ]

    def remove(self, fault_id: str) -> bool:
        """Deactivate one fault; ``False`` if there is no such (or no longer any) fault."""
        with self._lock:
            return self._active.pop(fault_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._active.clear()

    def __len__(self) -> int:
        return len(self._active)

    def _find(self, operation: str) -> tuple[str, _Entry] | None:
        return next(
            ((i, e) for i, e in self._active.items() if e.fault.operation == operation), None
        )


@dataclass
class _Entry:
    fault: Fault
    remaining: int | None


def _problems(data: Mapping[str, Any], *, known_operations: Collection[str] | None) -> list[str]:
    problems = []
    operation = data.get("operation")
    if "operation" not in data:
        problems.append('fault.operation: required (an operationId, or "*" for every operation)')
    elif not isinstance(operation, str) or not operation:
        problems.append(
            f"fault.operation: expected a non-empty string, got {shown_value(operation)}"
        )
    elif known_operations is not None and operation not in {*known_operations, ANY_OPERATION}:
        close = difflib.get_close_matches(operation, list(known_operations), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        valid = ", ".join(sorted(known_operations))
        problems.append(
            f"fault.operation: this API has no operation {operation!r}; {hint}"
            f"expected * or one of: {valid}"
        )
    status = data.get("status")
    if status is not None and (not _is_int(status) or not 100 <= status <= 599):
        problems.append(
            f"fault.status: expected an HTTP status 100-599 or null, got {shown_value(status)}"
        )
    delay = data.get("delay_ms", 0)
    if not _is_int(delay) or not 0 <= delay <= MAX_DELAY_MS:
        problems.append(
            f"fault.delay_ms: expected whole milliseconds 0-{MAX_DELAY_MS}, "
            f"got {shown_value(delay)}"
        )
    times = data.get("times")
    if times is not None and (not _is_int(times) or times < 1):
        problems.append(
            f"fault.times: expected a count of at least 1 (or null: until cleared), "
            f"got {shown_value(times)}"
        )
    body = data.get("body")
    if body is not None and not isinstance(body, dict):
        problems.append(f"fault.body: expected a JSON object or null, got {shown_value(body)}")
    elif body is not None and status is None:
        problems.append("fault.body: replaces the error body, so it needs a status")
    if status is None and delay == 0 and not problems:
        problems.append("fault: give a status, a delay_ms or both; this fault would do nothing")
    return problems


def _unknown_key(key: object) -> str:
    close = difflib.get_close_matches(str(key), _FIELDS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"fault.{key}: unknown field; {hint}expected {', '.join(_FIELDS)}"


def _is_int(value: object) -> bool:
    # JSON true/false arrive as bool, which Python counts as int; neither is a count.
    return isinstance(value, int) and not isinstance(value, bool)
