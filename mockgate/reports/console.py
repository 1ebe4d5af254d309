"""The console rendering: a table per operation and check, then every finding with its curl."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from mockgate.reports.findings import Report

__all__ = ["print_report"]


def print_report(report: Report, console: Console) -> None:
    matrix = report.matrix()
    table = Table(title=f"{report.api} against {report.target}", title_justify="left")
    table.add_column("operation", style="bold")
    table.add_column("checks passed", justify="right")
    table.add_column("failed checks")
    for operation in sorted(matrix):
        row = matrix[operation]
        failed = sorted(check for check, (_, bad) in row.items() if bad)
        passed = sum(1 for _, bad in row.values() if not bad)
        table.add_row(operation, f"{passed}/{len(row)}", ", ".join(failed) or "-")
    console.print(table)
    for index, finding in enumerate(report.findings, 1):
        body = [finding.message]
        for step in finding.reproduction:
            body += ["", "Reproduce:", step]
        console.print(
            Panel(
                "\n".join(body),
                title=f"{index}. {finding.check} · {finding.operation}",
                title_align="left",
                border_style="red",
            )
        )
    for error in report.errors:
        console.print(Panel(error, title="suite error", border_style="yellow"))
    for reason in report.skipped:
        console.print(f"[dim]skipped: {reason}[/dim]")
    colour = "green" if report.ok else "red" if report.findings else "yellow"
    verdict = f"[bold {colour}]{report.verdict}[/]"
    console.print(
        f"{report.api}: {verdict} · {len(report.findings)} finding(s), "
        f"{sum(report.passed.values())} passed assertions, {report.elapsed:.1f} s"
    )
