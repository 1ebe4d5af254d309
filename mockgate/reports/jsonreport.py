"""The JSON report, for machines: everything the other renderings show, as data.

One object: the report's own values (``api``, ``target``, ``verdict``, ``elapsed``, ...), a
``summary`` of counts, ``operations`` (operation -> check -> ``passed``/``failed`` counts, the
``seconds`` spent and a ``status``: ``passed``, ``failed`` or ``not applicable``), every finding
with the response that showed it and its reproductions, the environment variables those read
(``credentials``), errors, skipped parts and what each check asserts; ``coverage`` (the
coverage model's data of what the run exercised) and ``coverage_summary`` (its figures against
the spec, what is missing, the ``--min-coverage`` thresholds and the ones left unmet). Like
every rendering, it holds none of the run's credentials, and every string is valid UTF-8.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from mockgate.reports.evidence import body_excerpt, shown_headers
from mockgate.reports.findings import Finding, Report
from mockgate.reports.text import printable

__all__ = ["FORMAT", "report_json", "write_json"]

FORMAT = "mockgate-report/1"
_SCALARS = (str, int, float, bool, type(None))


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (strings redacted and printable)."""
    matrix = report.matrix()
    not_applicable = report.not_applicable()
    operations: dict[str, dict[str, Any]] = {}
    for operation in sorted(matrix):
        row: dict[str, Any] = {}
        for check, (passed, failed) in sorted(matrix[operation].items()):
            row[check] = {
                "status": "failed" if failed else "passed",
                "passed": passed,
                "failed": failed,
                "seconds": round(report.durations.get((operation, check), 0.0), 4),
            }
        for check in not_applicable[operation]:
            row[check] = {"status": "not applicable"}
        operations[operation] = dict(sorted(row.items()))
    data = {
        "format": FORMAT,
        **_scalars(report),
        "verdict": report.verdict,
        "ok": report.ok,
        "summary": {
            "findings": len(report.findings),
            "contract_findings": len(report.contract_findings),
            "advisories": len(report.advisories),
            "passed": sum(report.passed.values()),
            "failed_checks": sum(1 for row in matrix.values() for _, f in row.values() if f),
            "not_applicable": sum(len(checks) for checks in not_applicable.values()),
            "errors": len(report.errors),
            "skipped": len(report.skipped),
        },
        "credentials": [
            {"variable": secret.variable, "source": secret.source} for secret in report.secrets
        ],
        "operations": operations,
        "findings": [_finding(finding, report) for finding in report.findings],
        "errors": list(report.errors),
        "skipped": list(report.skipped),
        "checks": dict(sorted(report.check_docs.items())),
    }
    if report.coverage is not None:
        # The model's own data: a coverage file `mockgate coverage report` reads as it is.
        data["coverage"] = report.coverage.coverage.to_json()
        data["coverage_summary"] = report.coverage.to_json()
    cleaned: dict[str, Any] = _clean(data, report)
    return cleaned


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report_json(report), indent=2, ensure_ascii=False)
    path.write_text(report.secrets.redact(text) + "\n", encoding="utf-8")


def _finding(finding: Finding, report: Report) -> dict[str, Any]:
    data = _scalars(finding)
    data["reproduction"] = list(finding.reproduction)
    data["requires"] = [
        s.variable for s in report.secrets.referenced_in("\n".join(finding.reproduction))
    ]
    if finding.exchanges:
        exchange = finding.exchanges[-1]
        data["response"] = {
            "status": exchange.status,
            "headers": shown_headers(exchange),
            "body": body_excerpt(exchange),
        }
    return data


def _scalars(value: Any) -> dict[str, Any]:
    """A dataclass's plain fields (strings, numbers, flags): what it is, without its parts."""
    return {
        field.name: getattr(value, field.name)
        for field in dataclasses.fields(value)
        if isinstance(getattr(value, field.name), _SCALARS)
    }


def _clean(value: Any, report: Report) -> Any:
    if isinstance(value, str):
        return printable(report.secrets.redact(value))
    if isinstance(value, dict):
        return {_clean(k, report): _clean(v, report) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v, report) for v in value]
    return value
