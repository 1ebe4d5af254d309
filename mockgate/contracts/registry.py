"""The semantic checks: named, documented, registered explicitly, each for the APIs it concerns.

Two kinds:

- a **response check** looks at one exchange (request and response) and says what is wrong with
  it; schemathesis runs it on every response it provokes, alongside its own checks;
- a **probe** drives its own sequence of requests (page walks, two users, state transitions)
  through a ``ProbeSession`` and reports what the sequence proves wrong.

A check that has nothing to judge (a response check on an operation or status it does not
concern, a probe on an operation it only read to find its data) says so: it raises
``NotApplicable`` or calls ``ProbeSession.not_judged``. Reports then show "not applicable"
there, not a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

if TYPE_CHECKING:
    from mockgate.contracts.session import ProbeSession
    from mockgate.openapi.catalog import ApiSpec
    from mockgate.reports.exchange import Exchange
    from mockgate.reports.findings import Finding, FindingKind

__all__ = [
    "CHECKS",
    "NotApplicable",
    "Probe",
    "ResponseCheck",
    "SemanticCheck",
    "checks_for",
    "judge",
    "probe",
    "response_check",
]

ResponseCheck = Callable[["Exchange", "ApiSpec"], Iterable[str]]


class NotApplicable(Exception):
    """Raised by a response check given an exchange it has nothing to judge in: neither a pass
    nor a failure."""


def judge(check: ResponseCheck, exchange: Exchange, api: ApiSpec) -> list[str] | None:
    """What ``check`` finds wrong with ``exchange`` (``[]``: nothing), or None when it had
    nothing to judge there."""
    try:
        return list(check(exchange, api))
    except NotApplicable:
        return None


Probe = Callable[["ProbeSession"], Iterable["Finding"]]

# Why mockgate's semantic checks make contract findings: each checks what a document states
# (its description says which rule), so a departure fails the gate.
CONTRACT_WHY = "a rule the document states (its description says which)"


@dataclass(frozen=True)
class SemanticCheck:
    name: str
    kind: Literal["response", "probe"]
    apis: frozenset[str]
    doc: str
    function: ResponseCheck | Probe
    writes: bool = False  # a probe that sends unsafe methods (skipped in read-only mode)
    # What its findings are ("contract" fails the gate, "advisory" only in strict mode), and why.
    finding_kind: FindingKind = "contract"
    why: str = CONTRACT_WHY

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


def response_check(
    name: str,
    *,
    apis: Iterable[str],
    finding_kind: FindingKind = "contract",
    why: str = CONTRACT_WHY,
) -> Callable[[ResponseCheck], ResponseCheck]:
    """Register ``fn(exchange, api) -> messages`` (empty when the response is right); its
    findings are of ``finding_kind``, for the reason ``why`` (one line, for ``--list-checks``)."""

    def register(fn: ResponseCheck) -> ResponseCheck:
        check = SemanticCheck(
            name, "response", frozenset(apis), _doc(fn), fn, finding_kind=finding_kind, why=why
        )
        _register(check)
        return fn

    return register


def probe(
    name: str,
    *,
    apis: Iterable[str],
    writes: bool = False,
    finding_kind: FindingKind = "contract",
    why: str = CONTRACT_WHY,
) -> Callable[[Probe], Probe]:
    """Register ``fn(session) -> findings``; ``writes`` probes are skipped in read-only mode;
    ``finding_kind`` and ``why`` as for ``response_check``."""

    def register(fn: Probe) -> Probe:
        check = SemanticCheck(
            name, "probe", frozenset(apis), _doc(fn), fn, writes, finding_kind, why
        )
        _register(check)
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
