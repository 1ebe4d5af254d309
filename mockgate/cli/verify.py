"""``mockgate verify``: judge a running implementation of an API against its contract."""

from __future__ import annotations

from pathlib import Path

import click

from mockgate.openapi.catalog import bundled_apis

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_UNREACHABLE", "verify"]

EXIT_OK = 0
EXIT_FINDINGS = 1  # the implementation departs from the contract
# 2 is click's usage error
EXIT_UNREACHABLE = 3  # the server could not be reached, or the suite itself failed


def _headers(values: tuple[str, ...]) -> dict[str, str]:
    headers = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r}: expected 'Name: value'", param_hint="--header")
        headers[name.strip()] = content.strip()
    return headers


def _check_list(value: str | None) -> frozenset[str] | None:
    if value is None or value == "all":
        return None
    return frozenset(v.strip() for v in value.split(",") if v.strip())


@click.command()
@click.argument("api", type=click.Choice(sorted(bundled_apis())), metavar="API")
@click.option("--base-url", required=True, metavar="URL", help="Where the implementation runs.")
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY",
    help="Credential (API key or session token), applied as the spec's security scheme says "
    "and left out where the suite checks that it is required. Repeat for a second user.",
)
@click.option(
    "--header", "headers", multiple=True, metavar="'Name: value'", help="Sent on every request."
)
@click.option(
    "--max-examples", default=25, show_default=True, help="Generated cases per operation."
)
@click.option("--seed", type=int, help="Make generation reproducible.")
@click.option("--workers", default=1, show_default=True, help="Concurrent schemathesis workers.")
@click.option(
    "--checks",
    "checks",
    metavar="all|NAME,...",
    default="all",
    show_default=True,
    help="Only these checks (`mockgate verify --list-checks API` names them).",
)
@click.option("--exclude-checks", metavar="NAME,...", help="Leave these checks out.")
@click.option("--read-only", is_flag=True, help="Only safe methods (GET/HEAD): for production.")
@click.option(
    "--junit-xml", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML."
)
@click.option(
    "--report",
    "html_report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a self-contained HTML report.",
)
@click.option("--fail-fast", is_flag=True, help="Stop at the first failure.")
@click.option("--list-checks", is_flag=True, help="List the checks for API and exit.")
def verify(
    api: str,
    base_url: str,
    api_keys: tuple[str, ...],
    headers: tuple[str, ...],
    max_examples: int,
    seed: int | None,
    workers: int,
    checks: str,
    exclude_checks: str | None,
    read_only: bool,
    junit_xml: Path | None,
    html_report: Path | None,
    fail_fast: bool,
    list_checks: bool,
) -> None:
    """Check the implementation of API at --base-url against mockgate's contract for it.

    Runs schema and stateful conformance (schemathesis) and mockgate's semantic checks, prints
    every finding with a curl command that reproduces it, and exits 0 only when nothing failed
    (1: findings, 2: usage error, 3: unreachable server or a suite error).
    """
    import httpx
    from rich.console import Console

    from mockgate.contracts.conformance import BUILTIN_DOCS, ConformanceOptions
    from mockgate.contracts.registry import checks_for
    from mockgate.contracts.runner import Target, VerifyOptions
    from mockgate.contracts.runner import verify as run
    from mockgate.reports.console import print_report
    from mockgate.reports.html import write_html
    from mockgate.reports.junit import write_junit

    console = Console(stderr=False)
    semantic = {c.name: c for c in checks_for(api)}
    if list_checks:
        for name, doc in BUILTIN_DOCS.items():
            console.print(f"{name}  [dim](schemathesis) {doc}[/dim]")
        for check in semantic.values():
            console.print(f"{check.name}  [dim]({check.kind}) {check.doc}[/dim]")
        return
    known = {*BUILTIN_DOCS, *semantic}
    include, exclude = _check_list(checks), _check_list(exclude_checks) or frozenset()
    unknown = sorted(((include or frozenset()) | exclude) - known)
    if unknown:
        raise click.BadParameter(f"unknown check(s) {', '.join(unknown)}", param_hint="--checks")
    sent_headers = _headers(headers)
    try:
        httpx.get(base_url, timeout=10, follow_redirects=False)
    except httpx.HTTPError as exc:
        console.print(f"[red]cannot reach {base_url}: {exc}[/red]")
        raise SystemExit(EXIT_UNREACHABLE) from None

    options = VerifyOptions(
        ConformanceOptions(
            max_examples=max_examples,
            seed=seed,
            workers=workers,
            read_only=read_only,
            include_checks=include,
            exclude_checks=exclude,
            fail_fast=fail_fast,
            headers=sent_headers,
        )
    )
    target = Target(api, base_url=base_url, credentials=api_keys, headers=sent_headers)
    with console.status(f"verifying {api} at {base_url}") as status:
        report = run(target, options, progress=lambda text: status.update(f"{api}: {text}"))
    print_report(report, console)
    if junit_xml is not None:
        write_junit(report, junit_xml)
        console.print(f"JUnit XML: {junit_xml}")
    if html_report is not None:
        write_html(report, html_report)
        console.print(f"HTML report: {html_report}")
    if report.errors:
        raise SystemExit(EXIT_UNREACHABLE)
    raise SystemExit(EXIT_OK if report.ok else EXIT_FINDINGS)
