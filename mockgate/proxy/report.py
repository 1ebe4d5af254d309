"""The proxy's report, written when it stops: JSON, JUnit XML or HTML, by the file's extension.

JUnit XML and HTML are ``mockgate verify``'s own renderings (``mockgate.reports``), and judge
the upstream only: its violations become ``Finding``s (with a curl command that sends the
request to the upstream again, each redacted credential read from an environment variable,
``$MOCKGATE_AUTHORIZATION`` for the client's ``Authorization``) and the responses that passed
become its passed assertions, so CI shows one test case per operation (``response_conforms``).
The client's requests outside the contract are no finding and no part of the verdict: they are
listed apart, one line per distinct problem with how many requests had it, and so are the
responses not judged (too large for ``--validate-max-bytes``, cut short). JSON is
``mockgate verify``'s JSON report (``mockgate.reports.jsonreport``) with everything the
violations endpoint holds, its counts of both sides among it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from mockgate.proxy.validate import is_textual
from mockgate.proxy.violations import (
    CHECK_DOCS,
    REDACTED,
    RESPONSE_CHECK,
    Violation,
    ViolationStore,
)
from mockgate.proxy.violations import Exchange as ProxiedExchange
from mockgate.reports.exchange import Exchange
from mockgate.reports.findings import Finding, Report
from mockgate.reports.jsonreport import report_json
from mockgate.reports.secrets import Secret, Secrets

__all__ = ["REPORT_FORMATS", "report_format", "to_json", "write_report"]

REPORT_FORMATS = {".json": "json", ".xml": "junit", ".html": "html", ".htm": "html"}
# Request headers a reproduction leaves out: the transport's, not the request's.
_TRANSPORT_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding"})
_CLIENT_LINES = 20  # distinct client problems listed
_CLIENT_CHARS = 300  # of one problem, or of the request that showed it


def report_format(path: Path) -> str:
    """``json``, ``junit`` or ``html`` for ``path``; ValueError for another extension."""
    try:
        return REPORT_FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(REPORT_FORMATS)
        raise ValueError(f"{path.name}: the report's extension must be one of {known}") from None


def to_json(
    store: ViolationStore, *, api: str, upstream: str, strict: bool, elapsed: float = 0.0
) -> dict[str, Any]:
    """The JSON report: the verdict, counts and findings as ``mockgate verify`` writes them, the
    upstream, whether the proxy was strict, and every violation with its exchange."""
    report = _conformance_report(store, api=api, upstream=upstream, elapsed=elapsed)
    return {**report_json(report), "upstream": upstream, "strict": strict, **store.to_json()}


def write_report(
    store: ViolationStore, path: Path, *, api: str, upstream: str, strict: bool, elapsed: float
) -> None:
    """Write the report of ``store`` to ``path`` in the format its extension names."""
    kind = report_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "json":
        body = to_json(store, api=api, upstream=upstream, strict=strict, elapsed=elapsed)
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
    report.passed.update({key: n for key, n in store.passed.items() if key[1] == RESPONSE_CHECK})
    sent = [_exchange(violation, upstream) for violation in store]
    # What the store redacted, each header its own variable: set it, and the curl runs.
    report.secrets = Secrets(
        Secret(_placeholder(name), _variable(name), f"the {name} header the client sent")
        for exchange in sent
        for name, value in exchange.headers.items()
        if value == _placeholder(name)
    )
    for violation, exchange in zip(store, sent, strict=True):
        if violation.response:
            message = "\n".join([violation.exchange.describe(), *violation.response])
            report.add(Finding.from_exchanges(RESPONSE_CHECK, message, exchange))
    report.skipped += _client_lines(store)
    report.skipped += _not_judged_lines(store)
    if store.dropped:
        report.skipped.append(
            f"{store.dropped} older violation(s) are not listed: the proxy keeps the latest "
            f"{store.limit}"
        )
    return report


def _client_lines(store: ViolationStore) -> list[str]:
    """The client's requests outside the contract, reported apart from the upstream's
    violations: a count, then each distinct problem (per operation) with its requests."""
    if not store.client_requests:
        return []
    seen: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], str] = {}
    for violation in store:
        for problem in violation.request:
            key = (violation.operation, _shorten(problem))
            seen[key] += 1
            example.setdefault(key, violation.exchange.describe())
    lines = [
        f"{store.client_requests} client request(s) outside the contract: the client's "
        "departures, not the upstream's, and no part of the verdict"
    ]
    lines += [
        f"client request outside the contract · {operation}: {problem} ({count} request(s), "
        f"e.g. {_shorten(example[operation, problem])})"
        for (operation, problem), count in seen.most_common(_CLIENT_LINES)
    ]
    if len(seen) > _CLIENT_LINES:
        lines.append(f"... and {len(seen) - _CLIENT_LINES} more distinct client problems")
    return lines


def _not_judged_lines(store: ViolationStore) -> list[str]:
    """The responses the proxy passed on without judging them (too large, cut short): neither
    a pass nor a violation, one line per operation and reason."""
    return [
        f"not judged: {_shorten(entry['detail'])} · {entry['operation']}: {entry['count']} "
        f"response(s) for this reason, the latest {entry['exchange']}"
        for entry in store.not_judged()
    ]


def _shorten(text: str) -> str:
    return text if len(text) <= _CLIENT_CHARS else text[: _CLIENT_CHARS - 3] + "..."


def _exchange(violation: Violation, upstream: str) -> Exchange:
    """The violation's exchange as a reproduction sends it again: to the upstream itself."""
    exchange = violation.exchange
    query = f"?{exchange.query}" if exchange.query else ""
    headers = {
        name: _placeholder(name) if value == REDACTED else value
        for name, value in exchange.request_headers.items()
        if name not in _TRANSPORT_HEADERS and not name.startswith("x-forwarded-")
    }
    return Exchange(
        operation_id=violation.operation,
        method=exchange.method,
        path=exchange.path,
        url=upstream.rstrip("/") + exchange.path + query,
        status=exchange.status,
        response_headers=exchange.response_headers,
        # A body the store kept as text; others it described by size and type only.
        content=(exchange.response_body or "").encode() if _textual(exchange) else b"",
        headers=headers,
        body=exchange.request_body,
        request_content=None if exchange.request_body is None else exchange.request_body.encode(),
    )


def _textual(exchange: ProxiedExchange) -> bool:
    return is_textual(exchange.response_headers.get("content-type", ""))


def _placeholder(header: str) -> str:
    return f"mockgate-redacted-{header.lower()}"


def _variable(header: str) -> str:
    return "MOCKGATE_" + "".join(c if c.isalnum() else "_" for c in header.upper())
