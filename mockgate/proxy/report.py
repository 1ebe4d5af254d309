"""The proxy's report, written when it stops: JSON, JUnit XML or HTML, by the file's extension.

JUnit XML and HTML are ``mockgate verify``'s own renderings (``mockgate.reports``): the
violations become ``Finding``s (one per side of an exchange, with a curl command that sends the
request to the upstream again, credentials redacted) and the exchanges that passed become its
passed assertions, so CI shows one test case per operation and check (``request_conforms``,
``response_conforms``). JSON holds everything the violations endpoint does, plus those counts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mockgate.proxy.violations import (
    CHECK_DOCS,
    REQUEST_CHECK,
    RESPONSE_CHECK,
    Violation,
    ViolationStore,
)
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding, Report

__all__ = ["REPORT_FORMATS", "report_format", "to_json", "write_report"]

REPORT_FORMATS = {".json": "json", ".xml": "junit", ".html": "html", ".htm": "html"}
# Request headers a reproduction leaves out: the transport's, not the request's.
_TRANSPORT_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding"})


def report_format(path: Path) -> str:
    """``json``, ``junit`` or ``html`` for ``path``; ValueError for another extension."""
    try:
        return REPORT_FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(REPORT_FORMATS)
        raise ValueError(f"{path.name}: the report's extension must be one of {known}") from None


def to_json(store: ViolationStore, *, api: str, upstream: str, strict: bool) -> dict[str, Any]:
    operations: dict[str, dict[str, dict[str, int]]] = {}
    for counter, outcome in ((store.passed, "passed"), (store.failed, "failed")):
        for (operation, check), count in counter.items():
            cell = operations.setdefault(operation, {}).setdefault(
                check, {"passed": 0, "failed": 0}
            )
            cell[outcome] = count
    return {
        "api": api,
        "upstream": upstream,
        "strict": strict,
        "verdict": "does not conform" if store.failed else "conforms",
        "operations": dict(sorted(operations.items())),
        **store.to_json(),
    }


def write_report(
    store: ViolationStore, path: Path, *, api: str, upstream: str, strict: bool, elapsed: float
) -> None:
    """Write the report of ``store`` to ``path`` in the format its extension names."""
    kind = report_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "json":
        body = to_json(store, api=api, upstream=upstream, strict=strict)
        path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    report = _conformance_report(store, api=api, upstream=upstream, elapsed=elapsed)
    if kind == "junit":
        from mockgate.reports.junit import write_junit

        write_junit(report, path)
    else:
        from mockgate.reports.html import write_html  # imports jinja2: only when used

        write_html(report, path)


def _conformance_report(
    store: ViolationStore, *, api: str, upstream: str, elapsed: float
) -> Report:
    report = Report(
        api=api,
        target=f"{upstream} (through mockgate proxy)",
        elapsed=elapsed,
        check_docs=dict(CHECK_DOCS),
    )
    report.passed.update(store.passed)
    for violation in store:
        reproduction = (_curl(violation, upstream),)
        for check, problems in (
            (REQUEST_CHECK, violation.request),
            (RESPONSE_CHECK, violation.response),
        ):
            if problems:
                message = "\n".join([violation.exchange.describe(), *problems])
                report.add(Finding(check, violation.operation, message, reproduction))
    if store.dropped:
        report.skipped.append(
            f"{store.dropped} older violation(s) are not listed: the proxy keeps the latest "
            f"{store.limit}"
        )
    return report


def _curl(violation: Violation, upstream: str) -> str:
    exchange = violation.exchange
    query = f"?{exchange.query}" if exchange.query else ""
    headers = {
        name: value
        for name, value in exchange.request_headers.items()
        if name not in _TRANSPORT_HEADERS and not name.startswith("x-forwarded-")
    }
    return Exchange(
        operation_id=violation.operation,
        method=exchange.method,
        path=exchange.path,
        url=upstream.rstrip("/") + exchange.path + query,
        status=exchange.status,
        response_headers={},
        content=b"",
        headers=headers,
        body=exchange.request_body,
    ).curl()
