"""What a conformance run found, and the report it makes."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Literal

from mockgate.reports.exchange import Exchange
from mockgate.reports.provider_coverage import RunCoverage, Shortfall
from mockgate.reports.secrets import Secrets

__all__ = ["Finding", "FindingKind", "Report", "normalised"]

# "contract": the documents (and the spec written from them) promise what failed; it fails the
# gate. "advisory": HTTP hygiene beyond the documents (405 for a method no document mentions);
# reported apart, and failing a run only in strict mode.
FindingKind = Literal["contract", "advisory"]

# What varies between two cases showing one cause: ids, instants, counts, indexes.
_VARYING = (
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?"), "<time>"),
    (
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
        "<uuid>",
    ),
    (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), "<value>"),
    (re.compile(r"\b[0-9a-f]{16,}\b", re.I), "<hex>"),
    # Numbers, but not the HTTP statuses a message names (a 404 and a 500 are two causes).
    (re.compile(r"(?<![\w.])(?![1-5]\d\d(?![\w.]))-?\d+(\.\d+)?(?![\w])"), "<n>"),
)


def normalised(message: str) -> str:
    """``message`` without what varies from case to case: one cause, one text."""
    text = message
    for pattern, placeholder in _VARYING:
        text = pattern.sub(placeholder, text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Finding:
    """One way the implementation departs from the contract (or an advisory: see ``kind``)."""

    check: str
    operation: str  # operationId, or "-" for findings about the API as a whole
    message: str  # what was expected and what came back (for the first case that showed it)
    reproduction: tuple[str, ...] = ()  # curl commands, oldest first
    exchanges: tuple[Exchange, ...] = ()
    kind: FindingKind = "contract"
    count: int = 1  # how many cases showed this cause
    # What makes two findings one cause, when its producer knows it better than the message's
    # text does (schemathesis' own failure key); empty: the normalised message.
    cause: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """One distinct cause: the check, the operation, the kind and the normalised message."""
        return (self.check, self.operation, self.kind, self.cause or normalised(self.message))

    @classmethod
    def from_exchanges(
        cls, check: str, message: str, *exchanges: Exchange, operation: str | None = None
    ) -> Finding:
        op = operation or (exchanges[-1].operation_id if exchanges else "-")
        return cls(check, op, message, tuple(e.curl() for e in exchanges), exchanges)

    def redacted(self, secrets: Secrets) -> Finding:
        """This finding with ``secrets`` kept out: its reproductions read them from their
        environment variables, its message names the variables."""
        if not secrets:
            return self
        steps = (
            tuple(e.curl(secrets) for e in self.exchanges)
            if self.exchanges
            else tuple(secrets.redact(step) for step in self.reproduction)
        )
        return replace(self, message=secrets.redact(self.message), reproduction=steps)


@dataclass
class Report:
    api: str
    target: str
    findings: list[Finding] = field(default_factory=list)
    # (operation, check) -> how many times the check ran and passed
    passed: Counter[tuple[str, str]] = field(default_factory=Counter)
    # what could not be run and why (e.g. read-only mode, no data to probe)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # problems running the suite itself
    elapsed: float = 0.0
    # What each check asserts, by name: said beside its results in the reports.
    check_docs: dict[str, str] = field(default_factory=dict)
    # Why the run stopped before its end ("SIGINT during fuzzing: GET /api/sessions"), None when
    # it ran to completion: an incomplete run is never a pass, whatever it had seen so far.
    interrupted: str | None = None
    # The credentials the run was given: no rendering of the report shows them.
    secrets: Secrets = field(default_factory=Secrets)
    # (operation, check) -> seconds spent judging it (the time of the requests it judged)
    durations: dict[tuple[str, str], float] = field(default_factory=dict)
    # The seed the run's generation used: the same seed against the same server finds the same.
    seed: int | None = None
    # Strict mode: advisories fail the run as contract findings do.
    strict: bool = False
    # What the run exercised of the contract, and the --min-coverage thresholds it was held to.
    coverage: RunCoverage | None = None

    @property
    def incomplete(self) -> bool:
        return self.interrupted is not None

    @property
    def contract_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "contract"]

    @property
    def advisories(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "advisory"]

    @property
    def failures(self) -> list[Finding]:
        """The findings that fail the run: contract findings, and advisories in strict mode."""
        return self.findings if self.strict else self.contract_findings

    @property
    def coverage_shortfalls(self) -> tuple[Shortfall, ...]:
        """The coverage thresholds the run did not meet: they fail it as findings do."""
        return self.coverage.shortfalls if self.coverage is not None else ()

    @property
    def ok(self) -> bool:
        return (
            not self.failures
            and not self.errors
            and not self.incomplete
            and not self.coverage_shortfalls
        )

    @property
    def verdict(self) -> str:
        if self.incomplete:
            return "interrupted"
        if self.failures:
            return "does not conform"
        if self.errors:
            return "could not be judged"
        return "conforms, below the coverage thresholds" if self.coverage_shortfalls else "conforms"

    def add(self, finding: Finding) -> None:
        """Add ``finding``, or count it on the finding of the same cause (the first case that
        showed a cause is the one reported, with its reproduction)."""
        finding = finding.redacted(self.secrets)
        key = finding.key
        for index, seen in enumerate(self.findings):
            if seen.key == key:
                self.findings[index] = replace(seen, count=seen.count + finding.count)
                return
        self.findings.append(finding)

    def matrix(self) -> dict[str, dict[str, tuple[int, int]]]:
        """operation -> check -> (passed, failed): cases, the failed ones those of the findings
        that fail the run (advisories outside strict mode are reported apart)."""
        table: dict[str, dict[str, tuple[int, int]]] = {}
        for (operation, check), count in self.passed.items():
            table.setdefault(operation, {})[check] = (count, 0)
        for finding in self.failures:
            row = table.setdefault(finding.operation, {})
            passed, failed = row.get(finding.check, (0, 0))
            row[finding.check] = (passed, failed + finding.count)
        return table

    def not_applicable(self) -> dict[str, list[str]]:
        """operation -> the checks that judged something elsewhere in the run but nothing on
        it (not a pass: nothing there was theirs to judge)."""
        matrix = self.matrix()
        checks = {check for row in matrix.values() for check in row}
        return {op: sorted(checks - set(row)) for op, row in matrix.items()}

    def spend(self, operation: str, check: str, seconds: float) -> None:
        """Add ``seconds`` to the time spent judging ``check`` on ``operation``."""
        key = (operation, check)
        self.durations[key] = self.durations.get(key, 0.0) + seconds
