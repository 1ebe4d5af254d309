"""What a conformance run found, and the report it makes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from mockgate.reports.exchange import Exchange

__all__ = ["Finding", "Report"]


@dataclass(frozen=True)
class Finding:
    """One way the implementation departs from the contract."""

    check: str
    operation: str  # operationId, or "-" for findings about the API as a whole
    message: str  # what was expected and what came back
    reproduction: tuple[str, ...] = ()  # curl commands, oldest first
    exchanges: tuple[Exchange, ...] = ()

    @classmethod
    def from_exchanges(
        cls, check: str, message: str, *exchanges: Exchange, operation: str | None = None
    ) -> Finding:
        op = operation or (exchanges[-1].operation_id if exchanges else "-")
        return cls(check, op, message, tuple(e.curl() for e in exchanges), exchanges)


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

    @property
    def ok(self) -> bool:
        return not self.findings and not self.errors

    @property
    def verdict(self) -> str:
        if self.findings:
            return "does not conform"
        return "could not be judged" if self.errors else "conforms"

    def add(self, finding: Finding) -> None:
        key = (finding.check, finding.operation, finding.message)
        if all((f.check, f.operation, f.message) != key for f in self.findings):
            self.findings.append(finding)

    def matrix(self) -> dict[str, dict[str, tuple[int, int]]]:
        """operation -> check -> (passed, failed)."""
        table: dict[str, dict[str, tuple[int, int]]] = {}
        for (operation, check), count in self.passed.items():
            table.setdefault(operation, {})[check] = (count, 0)
        for finding in self.findings:
            row = table.setdefault(finding.operation, {})
            passed, failed = row.get(finding.check, (0, 0))
            row[finding.check] = (passed, failed + 1)
        return table
