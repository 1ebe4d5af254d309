"""Errors as the mocks report them: one neutral description, rendered in each API's own shape.

Handlers and the request pipeline raise ``MockError``; ``describe`` turns it (and any other
exception, as a 500) into an ``ApiError``, which the API's plugin renders as its documented
error body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["ApiError", "FieldError", "MockError", "RequestInfo", "describe", "shown_value"]


@dataclass(frozen=True)
class FieldError:
    """One failed rule of a request, at a location such as ``body.project_id``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True)
class ApiError:
    """An error response before an API gives it its shape."""

    status: int
    message: str
    details: tuple[FieldError, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestInfo:
    """What an error body may quote about the request it answers."""

    method: str
    path: str
    request_id: str
    now: datetime


class MockError(Exception):
    """Raised by a handler to answer with an error in the API's shape."""

    def __init__(
        self, status: int, message: str, details: tuple[FieldError, ...] = (), **headers: str
    ) -> None:
        super().__init__(message)
        self.error = ApiError(status, message, details, dict(headers))


def describe(exc: BaseException) -> ApiError:
    """The ``ApiError`` a client should see for ``exc`` raised while serving a request."""
    if isinstance(exc, MockError):
        return exc.error
    return ApiError(500, f"The mock failed: {type(exc).__name__}: {exc}")


def shown_value(value: object) -> str:
    """A JSON ``value`` as a person reading an error about it would want it shown."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 40 else "a long string"
    return "an object" if isinstance(value, Mapping) else f"a {type(value).__name__}"
