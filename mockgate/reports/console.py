"""The console rendering: a table per operation and check, then every finding with its curl.

Nothing from the wire is read as rich markup, and control characters are shown escaped (a
server's answer cannot drive the terminal); reproductions are printed unwrapped, outside any
panel, so they can be copied and pasted as they are."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mockgate.reports.evidence import reproduce_heading, response_evidence
from mockgate.reports.findings import Report
from mockgate.reports.text import printable

__all__ = ["print_report"]


def print_report(report: Report, console: Console) -> None:
    def safe(text: str) -> str:
        return printable(report.secrets.redact(text))

    matrix = report.matrix()
    not_applicable = report.not_applicable()
    table = Table(title=safe(f"{report.api} against {report.target}"), title_justify="left")
    table.add_column("operation", style="bold")
    table.add_column("checks passed", justify="right")
    table.add_column("failed checks")
    table.add_column("not applicable", justify="right")
    for operation in sorted(matrix):
        row = matrix[operation]
        failed = sorted(check for check, (_, bad) in row.items() if bad)
        passed = sum(1 for _, bad in row.values() if not bad)
        table.add_row(
            Text(safe(operation)),
            f"{passed}/{len(row)}",
            Text(safe(", ".join(failed)) or "-"),
            str(len(not_applicable[operation]) or "-"),
        )
    console.print(table)
    # Contract findings first; advisories (HTTP hygiene beyond the documents) apart, after them.
    ordered = report.contract_findings + report.advisories
    for index, finding in enumerate(ordered, 1):
        body = safe(finding.message)
        if finding.exchanges:
            evidence = response_evidence(finding.exchanges[-1], report.secrets)
            body += "\n\nResponse:\n" + evidence
        advisory = finding.kind == "advisory"
        label = "advisory · " if advisory else ""
        cases = f" ({finding.count} cases)" if finding.count > 1 else ""
        console.print(
            Panel(
                Text(body),
                title=Text(safe(f"{index}. {label}{finding.check} · {finding.operation}{cases}")),
                title_align="left",
                border_style="red" if finding in report.failures else "yellow",
            )
        )
        if finding.reproduction:
            console.print(Text(reproduce_heading(finding, report.secrets), style="dim"))
        for step in finding.reproduction:
            # Unwrapped and outside the panel: copied from the terminal, it runs as it is.
            console.print(Text(safe(step)), soft_wrap=True)
    for error in report.errors:
        console.print(Panel(Text(safe(error)), title="suite error", border_style="yellow"))
    if report.interrupted is not None:
        console.print(
            Panel(
                Text(
                    f"{safe(report.interrupted)}: the run is incomplete; the table shows what "
                    "was checked until then"
                ),
                title="interrupted",
                border_style="yellow",
            )
        )
    for reason in report.skipped:
        console.print(f"[dim]skipped: {escape(safe(reason))}[/dim]")
    if report.coverage is not None:
        for line in report.coverage.lines():
            console.print(Text(safe(line)), soft_wrap=True)
        for shortfall in report.coverage_shortfalls:
            console.print(
                Text(safe(f"below --min-coverage: {shortfall.describe()}"), style="red"),
                soft_wrap=True,
            )
    failing = report.failures or report.coverage_shortfalls
    colour = "green" if report.ok else "red" if failing else "yellow"
    verdict = f"[bold {colour}]{report.verdict}[/]"
    advisories = len(report.advisories)
    strict = " (failing: --strict)" if report.strict and advisories else ""
    console.print(
        f"{report.api}: {verdict} · {len(report.contract_findings)} finding(s), "
        f"{advisories} advisory(ies){strict}, "
        f"{sum(report.passed.values())} passed assertions, {report.elapsed:.1f} s"
        + (
            f" · seed {report.seed} (--seed {report.seed} repeats this run)"
            if report.seed is not None
            else ""
        ),
        highlight=False,
    )
