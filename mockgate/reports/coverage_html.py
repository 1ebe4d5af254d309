"""Coverage as HTML and as text: a fragment the verify report embeds (``coverage_html``), a
standalone page (``coverage_page``, what ``mockgate coverage report --html`` writes) and the
console lines (``coverage_lines``). No external assets, every value escaped."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape

from mockgate.reports.coverage import AREAS, CoverageSummary, Ratio
from mockgate.reports.text import printable

__all__ = ["COVERAGE_CSS", "coverage_html", "coverage_lines", "coverage_page", "violation_lines"]

AREA_TITLES = {
    "operations": "Operations called",
    "statuses": "Documented statuses seen",
    "parameters": "Parameters sent",
    "enum_values": "Enum values sent",
    "body_properties": "Request-body properties sent",
    "response_properties": "Response properties observed",
}
MISSING_SHOWN = 200
"""Items of one missing list shown in HTML; the rest are counted."""

COVERAGE_CSS = """
.coverage table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; }
.coverage th, .coverage td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: center; }
.coverage th { background: #f6f8fa; font-weight: 600; }
.coverage td.op { text-align: left; font-family: ui-monospace, Menlo, monospace; }
.coverage td.full { background: #dafbe1; } .coverage td.part { background: #fff8c5; }
.coverage td.zero { background: #ffebe9; } .coverage td.none { color: #8c959f; }
.coverage .violation { border-left: 4px solid #cf222e; padding: .3rem .8rem; margin: .6rem 0; }
.coverage .warning { background: #fff8c5; padding: .4rem .8rem; border-radius: .4rem; }
.coverage pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; font-size: 12.5px; }
"""


def _text(value: object) -> Markup:
    return escape(printable(str(value)))


def _cell(ratio: Ratio) -> str:
    if ratio.total == 0:
        return '<td class="none">-</td>'
    kind = "full" if ratio.covered == ratio.total else "zero" if ratio.covered == 0 else "part"
    return f'<td class="{kind}">{ratio.covered}/{ratio.total}</td>'


def _missing(items: Sequence[str]) -> str:
    if not items:
        return ""
    shown = "".join(f"<li><code>{_text(item)}</code></li>" for item in items[:MISSING_SHOWN])
    more = len(items) - MISSING_SHOWN
    rest = f"<li>… and {more} more</li>" if more > 0 else ""
    return f"<ul>{shown}{rest}</ul>"


def coverage_html(summary: CoverageSummary) -> str:
    """One API's coverage as a ``<section class="coverage">`` fragment (its styles are
    ``COVERAGE_CSS``)."""
    parts = [
        f'<section class="coverage" id="coverage-{_text(summary.api)}">',
        f'<h2>Coverage of {_text(summary.api)} <span class="muted">'
        f"{_text(summary.spec_title)} {_text(summary.spec_version)}, "
        f"{summary.requests} requests</span></h2>",
    ]
    parts += [f'<p class="warning">{_text(w)}</p>' for w in summary.warnings]
    parts.append('<table class="totals"><tr><th>Figure</th><th>Covered</th><th>%</th></tr>')
    for area in AREAS:
        ratio = summary.area(area)
        parts.append(
            f'<tr><td class="op">{AREA_TITLES[area]}</td>{_cell(ratio)}'
            f"<td>{ratio.percent()}</td></tr>"
        )
    parts.append("</table>")
    header = "".join(f"<th>{AREA_TITLES[a]}</th>" for a in AREAS[1:])
    parts.append(f'<table class="operations"><tr><th>Operation</th><th>Requests</th>{header}</tr>')
    for op in summary.per_operation:
        cells = "".join(_cell(getattr(op, area)) for area in AREAS[1:])
        parts.append(
            f'<tr><td class="op">{_text(op.method)} {_text(op.path)} '
            f'<span class="muted">{_text(op.operation_id)}</span></td>'
            f"<td>{op.requests}</td>{cells}</tr>"
        )
    parts.append("</table>")
    parts.append('<div class="missing"><h3>What is missing</h3>')
    for area in AREAS:
        missing = summary.area(area).missing
        if missing:
            parts.append(
                f"<details><summary>{AREA_TITLES[area]}: {len(missing)} missing</summary>"
                f"{_missing(missing)}</details>"
            )
    parts.append("</div>")
    if summary.unknown_routes:
        routes = [f"{route} ({count})" for route, count in summary.unknown_routes.items()]
        parts.append(f'<div class="unknown"><h3>Routes not in the spec</h3>{_missing(routes)}')
        parts.append("</div>")
    parts.append(f'<div class="violations"><h3>Consumer violations: {summary.violation_count}</h3>')
    for v in summary.violations[:MISSING_SHOWN]:
        request = json.dumps(v.request, indent=1, ensure_ascii=False)
        parts.append(
            f'<div class="violation"><b>{_text(v.method)} {_text(v.path)} → {v.status}</b> '
            f"{_text(v.reason)}<pre>{_text(request)}</pre></div>"
        )
    parts.append("</div></section>")
    return "\n".join(parts)


def coverage_page(summaries: Iterable[CoverageSummary], title: str = "mockgate coverage") -> str:
    """A standalone page of every API's coverage."""
    sections = "\n".join(coverage_html(summary) for summary in summaries)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_text(title)}</title><style>"
        'body { font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; '
        "margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #1f2328; } "
        f".muted {{ color: #57606a; font-weight: 400; }}{COVERAGE_CSS}</style></head>"
        f"<body><h1>{_text(title)}</h1>\n{sections}\n</body></html>\n"
    )


def coverage_lines(summary: CoverageSummary, *, missing_shown: int = 20) -> list[str]:
    """One API's coverage as console lines: totals, per operation, what is missing."""
    lines = [
        f"{summary.api} ({summary.spec_title} {summary.spec_version}): {summary.requests} requests"
    ]
    lines += [f"  warning: {w}" for w in summary.warnings]
    for area in AREAS:
        ratio = summary.area(area)
        lines.append(
            f"  {AREA_TITLES[area]:<30} {ratio.covered:>5}/{ratio.total:<5} {ratio.percent():>5}"
        )
    lines.append("  per operation (requests, statuses, parameters, body, response):")
    for op in summary.per_operation:
        figures = "  ".join(
            f"{getattr(op, a).covered}/{getattr(op, a).total}"
            for a in ("statuses", "parameters", "body_properties", "response_properties")
        )
        lines.append(f"    {op.method:<6} {op.path:<45} {op.requests:>6}  {figures}")
    for area in AREAS:
        missing = summary.area(area).missing
        if not missing:
            continue
        lines.append(f"  missing {AREA_TITLES[area].lower()} ({len(missing)}):")
        lines += [f"    {item}" for item in missing[:missing_shown]]
        if len(missing) > missing_shown:
            lines.append(f"    … and {len(missing) - missing_shown} more (see --json or --html)")
    if summary.unknown_routes:
        lines.append(f"  routes not in the spec ({len(summary.unknown_routes)}):")
        lines += [f"    {route} ({count})" for route, count in summary.unknown_routes.items()]
    lines.append(f"  consumer violations: {summary.violation_count}")
    return [printable(line) for line in lines]


def violation_lines(summary: CoverageSummary) -> list[str]:
    """Each consumer violation on a line: what was sent, what the mock answered and why."""
    lines = [
        printable(f"{summary.api}: {v.method} {v.path} → {v.status}: {v.reason}")
        for v in summary.violations
    ]
    if summary.violations_dropped:
        lines.append(f"{summary.api}: … and {summary.violations_dropped} more (not kept)")
    return lines
