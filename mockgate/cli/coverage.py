"""``mockgate coverage``: the files ``serve``/``proxy --coverage-out`` write, merged and judged.

``report`` prints (and writes as HTML or JSON) what the traffic used of each spec; ``check`` is
the consumer gate: exit 1 when a request the spec refuses was sent, or too few operations were
called.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from mockgate.reports.coverage import Coverage, CoverageSummary

__all__ = ["coverage"]


@click.group()
def coverage() -> None:
    """Consumer-side coverage: what a client's traffic used of the specs (serve/proxy
    --coverage-out files)."""


_FILES = click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
_SPECS = click.option(
    "--spec",
    "spec_files",
    multiple=True,
    metavar="API=FILE",
    help="The spec of API when it is not the bundled one nor the file the coverage names.",
)


@coverage.command()
@_FILES
@_SPECS
@click.option("--html", "html_out", type=click.Path(dir_okay=False), help="Write an HTML page.")
@click.option(
    "--json", "json_out", type=click.Path(dir_okay=False), help="Write the summary as JSON."
)
@click.option(
    "--merged",
    "merged_out",
    type=click.Path(dir_okay=False),
    help="Write the merged coverage file (the format the inputs are in).",
)
def report(
    files: Sequence[str],
    spec_files: Sequence[str],
    html_out: str | None,
    json_out: str | None,
    merged_out: str | None,
) -> None:
    """Merge the coverage FILES (several CI jobs, several APIs) and show what was used of each
    spec and what was not: operations never called, documented statuses never seen, parameters
    and enum values never sent, request-body properties never sent, response properties never
    observed; routes not in the spec and consumer violations."""
    from mockgate.reports.coverage import dump_file
    from mockgate.reports.coverage_html import coverage_lines, coverage_page

    merged, summaries = _summaries(files, spec_files)
    for summary in summaries:
        for line in coverage_lines(summary):
            click.echo(line)
    if html_out:
        Path(html_out).write_text(coverage_page(summaries), encoding="utf-8")
        click.echo(f"HTML report: {html_out}")
    if json_out:
        data = {"mockgate_coverage_summary": 1, "apis": [s.to_json() for s in summaries]}
        Path(json_out).write_text(json.dumps(data, indent=1), encoding="utf-8")
        click.echo(f"JSON report: {json_out}")
    if merged_out:
        Path(merged_out).write_text(json.dumps(dump_file(merged), indent=1), encoding="utf-8")
        click.echo(f"merged coverage: {merged_out}")


@coverage.command()
@_FILES
@_SPECS
@click.option(
    "--fail-on-violations",
    is_flag=True,
    help="Exit 1 when a request the spec refuses was sent (listed): its shape refused, a "
    "missing credential, a route not in the spec.",
)
@click.option(
    "--min-operations",
    type=click.FloatRange(0, 100),
    metavar="PERCENT",
    help="Exit 1 when fewer than PERCENT of an API's operations were called.",
)
def check(
    files: Sequence[str],
    spec_files: Sequence[str],
    fail_on_violations: bool,
    min_operations: float | None,
) -> None:
    """The consumer gate over the coverage FILES (merged)."""
    from mockgate.reports.coverage_html import violation_lines

    _, summaries = _summaries(files, spec_files)
    failed = False
    for summary in summaries:
        count = summary.violation_count
        if count and fail_on_violations:
            failed = True
            click.echo(f"{summary.api}: {count} consumer violation(s):")
            for line in violation_lines(summary):
                click.echo(f"  {line}")
        elif count:
            click.echo(f"{summary.api}: {count} consumer violation(s) (not failing)")
        ratio = summary.operations.ratio
        if min_operations is not None and ratio is not None and ratio * 100 < min_operations:
            failed = True
            click.echo(
                f"{summary.api}: {summary.operations.percent()} of the operations called, "
                f"below {min_operations:g}%; never called: {', '.join(summary.operations.missing)}"
            )
    if failed:
        raise SystemExit(1)
    click.echo("coverage check passed")


def _summaries(
    files: Sequence[str], spec_files: Sequence[str]
) -> tuple[list[Coverage], list[CoverageSummary]]:
    from mockgate.openapi.catalog import ApiSpec, UnknownApiError, get_api
    from mockgate.reports.coverage import load_file, merge_all

    given: dict[str, ApiSpec] = {}
    for pair in spec_files:
        api, sep, path = pair.partition("=")
        if not sep or not api or not path:
            raise click.BadParameter(f"expected API=FILE, got {pair!r}", param_hint="--spec")
        given[api] = ApiSpec(name=api, path=Path(path))
    loaded = []
    for name in files:
        try:
            loaded += load_file(json.loads(Path(name).read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise click.ClickException(f"{name}: {exc}") from None
    merged = merge_all(loaded)
    summaries = []
    for one in merged:
        spec = given.get(one.api)
        if spec is None and one.spec_path and Path(one.spec_path).is_file():
            spec = ApiSpec(name=one.api, path=Path(one.spec_path))
        if spec is None:
            try:
                spec = get_api(one.api)
            except UnknownApiError:
                raise click.ClickException(
                    f"no spec for {one.api!r}: give it with --spec {one.api}=FILE"
                ) from None
        summaries.append(one.summary(spec))
    return merged, summaries
