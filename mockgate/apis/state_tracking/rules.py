"""How the state-tracking rules say no, without knowing about HTTP.

The core modules raise these; ``handlers`` turns them into the API's error envelope. The status
each one maps to is the one the spec declares for it (``specs/state-tracking.yaml``):

- ``NotFound`` (404): an id that matches nothing.
- ``Invalid`` (400 with ``details``): input the schema cannot express, e.g. a ``docker_slot``
  the machine does not have. For operations whose 400 is ``BadRequest``.
- ``IllegalState`` (400 without ``details``): a request the resource's current state does not
  allow, e.g. a heartbeat for a completed session or starting a completed task. For operations
  whose 400 is ``InvalidState`` (where ``details`` may be absent).
- ``Conflict`` (409): a duplicate machine or an occupied docker slot.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["Conflict", "IllegalState", "Invalid", "NotFound", "RuleError"]


class RuleError(Exception):
    """A request the rules refuse; ``details`` name the offending fields (``field: problem``)."""

    status: ClassVar[int] = 400

    def __init__(self, message: str, details: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(RuleError):
    status = 404


class Invalid(RuleError):
    status = 400

    @classmethod
    def field(cls, name: str, problem: str) -> Invalid:
        """One field wrong: the message and the single detail say the same."""
        return cls(f"{name} {problem}", ((name, problem),))


class IllegalState(RuleError):
    status = 400


class Conflict(RuleError):
    status = 409
