"""Errors as the mocks report them: one neutral description, rendered in each API's own shape.

Connexion signals bad requests with problem+json exceptions; ``describe`` turns every one of them
(and any other exception) into an ``ApiError``, which the API's plugin renders as its documented
error body. Connexion's own problem+json never reaches a client.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connexion.exceptions import (
    BadRequestProblem,
    ExtraParameterProblem,
    OAuthProblem,
    OAuthResponseProblem,
    OAuthScopeProblem,
    ProblemException,
    UnsupportedMediaTypeProblem,
)
from starlette.exceptions import HTTPException

__all__ = ["ApiError", "FieldError", "MockError", "RequestProblem", "describe"]


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


class MockError(Exception):
    """Raised by a handler to answer with an error in the API's shape."""

    def __init__(
        self, status: int, message: str, details: tuple[FieldError, ...] = (), **headers: str
    ) -> None:
        super().__init__(message)
        self.error = ApiError(status, message, details, dict(headers))


class RequestProblem(BadRequestProblem):
    """A 400 that carries every failed rule, not just the first."""

    def __init__(
        self, message: str, details: list[FieldError] | tuple[FieldError, ...] = ()
    ) -> None:
        super().__init__(detail=message)
        self.details = tuple(details)


_UNAUTHORIZED = "Missing or invalid credentials"


def describe(exc: BaseException) -> ApiError:
    """The ``ApiError`` a client should see for ``exc`` raised while serving a request."""
    if isinstance(exc, MockError):
        return exc.error
    if isinstance(exc, RequestProblem):
        return ApiError(400, str(exc.detail), exc.details)
    if isinstance(exc, ExtraParameterProblem):
        names = ", ".join(sorted(exc.extra_params))
        return ApiError(
            400,
            f"Unknown {exc.param_type} parameter(s): {names}",
            tuple(
                FieldError(f"{exc.param_type}.{n}", "not a parameter of this operation")
                for n in sorted(exc.extra_params)
            ),
        )
    if isinstance(exc, UnsupportedMediaTypeProblem):
        # Declared as 400 by every body-taking operation of the specs; 415 is not.
        return ApiError(400, f"Unsupported Content-Type: {_first_line(exc.detail)}")
    if isinstance(exc, OAuthScopeProblem):
        return ApiError(403, "The credentials do not allow this operation")
    if isinstance(exc, OAuthProblem | OAuthResponseProblem):
        return ApiError(401, _UNAUTHORIZED)
    if isinstance(exc, BadRequestProblem) and exc.detail == "RequestBody is required":
        return ApiError(400, "Request body must not be empty", (FieldError("body", "required"),))
    if isinstance(exc, ProblemException):
        return ApiError(exc.status or 500, _first_line(exc.detail or exc.title or "Error"))
    if isinstance(exc, HTTPException):
        return ApiError(exc.status_code, exc.detail, headers=dict(exc.headers or {}))
    return ApiError(500, f"The mock failed: {type(exc).__name__}: {exc}")


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""
