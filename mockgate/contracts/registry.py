"""The semantic checks: named, documented, registered explicitly, each for the APIs it concerns.

Two kinds:

- a **response check** looks at one exchange (request and response) and says what is wrong with
  it; schemathesis runs it on every response it provokes, alongside its own checks;
- a **probe** drives its own sequence of requests (page walks, two users, state transitions)
  through a ``ProbeSession`` and reports what the sequence proves wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

if TYPE_CHECKING:
    from mockgate.contracts.session import ProbeSession
    from mockgate.openapi.catalog import ApiSpec
    from mockgate.reports.exchange import Exchange
    from mockgate.reports.findings import Finding

__all__ = [
    "CHECKS",
    "Probe",
    "ResponseCheck",
    "SemanticCheck",
    "checks_for",
    "probe",
    "response_check",
]

ResponseCheck = Callable[["Exchange", "ApiSpec"], Iterable[str]]
Probe = Callable[["ProbeSession"], Iterable["Finding"]]


@dataclass(frozen=True)
class SemanticCheck:
    name: str
    kind: Literal["response", "probe"]
    apis: frozenset[str]
    doc: str
    function: ResponseCheck | Probe
    writes: bool = False  # a probe that sends unsafe methods (skipped in read-only mode)

    def as_response_check(self) -> ResponseCheck:
        """``function`` as what it is for a check of kind ``response``."""
        if self.kind != "response":
            raise TypeError(f"check {self.name!r} is a {self.kind}, not a response check")
        return cast(ResponseCheck, self.function)

    def as_probe(self) -> Probe:
        """``function`` as what it is for a check of kind ``probe``."""
        if self.kind != "probe":
            raise TypeError(f"check {self.name!r} is a {self.kind} check, not a probe")
        return cast(Probe, self.function)


CHECKS: dict[str, SemanticCheck] = {}


def _register(check: SemanticCheck) -> None:
    if check.name in CHECKS:
        raise ValueError(f"check {check.name!r} is registered twice")
    CHECKS[check.name] = check


def response_check(name: str, *, apis: Iterable[str]) -> Callable[[ResponseCheck], ResponseCheck]:
    """Register ``fn(exchange, api) -> messages`` (empty when the response is right)."""

    def register(fn: ResponseCheck) -> ResponseCheck:
        _register(SemanticCheck(name, "response", frozenset(apis), _doc(fn), fn))
        return fn

    return register


def probe(name: str, *, apis: Iterable[str], writes: bool = False) -> Callable[[Probe], Probe]:
    """Register ``fn(session) -> findings``; ``writes`` probes are skipped in read-only mode."""

    def register(fn: Probe) -> Probe:
        _register(SemanticCheck(name, "probe", frozenset(apis), _doc(fn), fn, writes))
        return fn

    return register


def checks_for(api: str) -> Iterator[SemanticCheck]:
    """The registered checks that concern ``api``, in registration order."""
    import mockgate.contracts.checks  # noqa: F401  (registers every check module)

    return (c for c in CHECKS.values() if api in c.apis)


def _doc(fn: Callable[..., object]) -> str:
    text = (fn.__doc__ or "").strip()
    if not text:
        raise ValueError(f"check {fn.__name__} needs a docstring: it is shown in reports")
    return " ".join(text.split("\n\n")[0].split())
