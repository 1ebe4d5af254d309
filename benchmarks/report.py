"""Results as tables: one per section, with ratios and a PASS/MISS verdict per target.

The figures are printed, never asserted. A verdict is ``PASS`` or ``MISS`` against the issue's
target; ``n/a`` when the comparison is missing (e.g. Prism not available); ``FLAGGED`` when a
run the verdict depends on had errors (its req/s would count failed requests).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable

from benchmarks.load import LoadResult

__all__ = [
    "MOCKGATE",
    "PRISM",
    "STARLETTE",
    "ImageFigures",
    "Run",
    "StartupFigures",
    "Table",
    "image_table",
    "reads_table",
    "scale_table",
    "startup_table",
    "writes_table",
]

MOCKGATE, PRISM, STARLETTE = "mockgate", "Prism", "Starlette"

READ_RATIO = 1.0  # mockgate >= 1.0x Prism's req/s, and p99 below Prism's
WRITE_RATIO = 0.8  # a write >= 0.8x the GET's req/s
READY_S = 1.5  # first successful response of every API after start
RSS_MB = 150.0  # resident memory of `mockgate serve` (four APIs, demo datasets)
SCALE_RATIO = 0.5  # 100k-session filtered list within 2x of the 1k figure
CACHE_RATIO = 0.5  # a repeated image request at most half the first (rendering) one


@dataclass(frozen=True)
class Run:
    """One measured load run."""

    section: str
    scenario: str
    server: str
    load: LoadResult
    rss_mb: float
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "scenario": self.scenario,
            "server": self.server,
            "detail": self.detail,
            "rss_mb": round(self.rss_mb, 1),
            **self.load.to_json(),
        }


@dataclass(frozen=True)
class StartupFigures:
    ready_s: dict[str, float]  # API -> seconds from spawn to its first 2xx
    rss_mb: float  # after warm-up
    references: dict[str, float] = field(default_factory=dict)  # other servers' first 2xx


@dataclass(frozen=True)
class ImageFigures:
    key_count: int
    first_ms: list[float]  # each key's first request (rendered)
    repeat_ms: list[float]  # the same keys again (cached)


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)  # raw figures, for --json

    def print_rich(self, console: Console) -> None:
        table = RichTable(title=self.title, title_justify="left")
        for index, column in enumerate(self.columns):
            table.add_column(column, justify="right" if self._numeric(index) else "left")
        for row in self.rows:
            table.add_row(*row)
        console.print(table)
        for note in self.notes:
            console.print(f"  {note}", highlight=False)
        console.print()

    def _numeric(self, index: int) -> bool:
        """Figures are right-aligned; names, targets and verdicts are not."""
        return index >= 2 and self.columns[index] not in ("target", "result")

    def markdown(self) -> str:
        lines = [
            f"**{self.title}**",
            "",
            "| " + " | ".join(self.columns) + " |",
            "|"
            + "|".join("---:" if self._numeric(i) else "---" for i in range(len(self.columns)))
            + "|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        lines += ["", *(f"- {note}" for note in self.notes)] if self.notes else []
        return "\n".join(lines) + "\n"


def reads_table(runs: Sequence[Run]) -> Table:
    """List and single-record GETs: mockgate against Prism and bare Starlette."""
    table = Table(
        "Reads: list (20 records) and single-record GET, same payload on every server",
        [
            "scenario",
            "server",
            "req/s",
            "p50 ms",
            "p99 ms",
            "RSS MB",
            "xPrism",
            "xStarlette",
            "target",
            "result",
        ],
    )
    for scenario, by_server in _grouped(r for r in runs if r.section == "reads"):
        ours, prism, floor = (by_server.get(s) for s in (MOCKGATE, PRISM, STARLETTE))
        verdict = "n/a"
        if ours and prism:
            met = (
                ours.load.rps >= READ_RATIO * prism.load.rps
                and ours.load.p99_ms < prism.load.p99_ms
            )
            verdict = _verdict(met, ours, prism)
        for run in (ours, prism, floor):
            if run is None:
                continue
            first = run is ours
            table.rows.append(
                [
                    f"{scenario} ({run.detail})"
                    if first and run.detail
                    else (scenario if first else ""),
                    run.server,
                    *_figures(run),
                    _ratio(ours, prism) if first else "",
                    _ratio(ours, floor) if first else "",
                    f"≥{READ_RATIO:.1f}x Prism, p99 < Prism" if first else "",
                    verdict if first else "",
                ]
            )
        table.records.append(
            {
                "scenario": scenario,
                "per_prism": _raw_ratio(ours, prism),
                "per_starlette": _raw_ratio(ours, floor),
                "result": verdict,
            }
        )
    table.notes += _error_notes(runs, "reads")
    return table


def writes_table(runs: Sequence[Run]) -> Table:
    """Writes against the same API's single-record GET on mockgate."""
    table = Table(
        "Writes (state-tracking), against its single-record GET",
        [
            "scenario",
            "server",
            "req/s",
            "p50 ms",
            "p99 ms",
            "RSS MB",
            "write/GET",
            "xPrism",
            "target",
            "result",
        ],
    )
    gets = {
        r.scenario.split(" ")[0]: r
        for r in runs
        if r.section == "reads" and r.server == MOCKGATE and r.scenario.endswith(" get")
    }
    for scenario, by_server in _grouped(r for r in runs if r.section == "writes"):
        ours, prism = by_server.get(MOCKGATE), by_server.get(PRISM)
        get = gets.get(scenario.split(" ")[0])
        verdict = "n/a"
        if ours and get:
            verdict = _verdict(ours.load.rps >= WRITE_RATIO * get.load.rps, ours, get)
        for run in (by_server.get(s) for s in (MOCKGATE, PRISM, STARLETTE)):
            if run is None:
                continue
            first = run is ours
            table.rows.append(
                [
                    scenario if first else "",
                    run.server,
                    *_figures(run),
                    _ratio(ours, get) if first else "",
                    _ratio(ours, prism) if first else "",
                    f"≥{WRITE_RATIO:.1f}x GET" if first else "",
                    verdict if first else "",
                ]
            )
        table.records.append(
            {"scenario": scenario, "per_get": _raw_ratio(ours, get), "result": verdict}
        )
    table.notes += _error_notes(runs, "writes")
    return table


def startup_table(figures: StartupFigures) -> Table:
    count = len(figures.ready_s)
    table = Table(
        f"Start-up: {'all four APIs' if count == 4 else f'{count} API(s)'} from one "
        "`mockgate serve` (median of the starts)",
        ["measure", "figure", "target", "result"],
    )
    for api, seconds in figures.ready_s.items():
        verdict = "PASS" if seconds < READY_S else "MISS"
        table.rows.append(
            [f"{api}: first 2xx after spawn", f"{seconds:.2f} s", f"< {READY_S} s", verdict]
        )
    rss = "PASS" if figures.rss_mb < RSS_MB else "MISS"
    table.rows.append(["RSS after warm-up", f"{figures.rss_mb:.0f} MB", f"< {RSS_MB:.0f} MB", rss])
    for name, seconds in figures.references.items():
        table.rows.append([f"for reference: {name}", f"{seconds:.2f} s", "", ""])
    table.records.append(
        {
            "ready_s": {k: round(v, 3) for k, v in figures.ready_s.items()},
            "rss_mb": round(figures.rss_mb, 1),
            "references_ready_s": {k: round(v, 3) for k, v in figures.references.items()},
        }
    )
    return table


def scale_table(runs: Sequence[Run]) -> Table:
    """The same filtered list with 1,000 and 100,000 sessions loaded (first run is the base)."""
    table = Table(
        "Scale: agentlens filtered list, 1,000 vs 100,000 sessions",
        ["dataset", "server", "req/s", "p50 ms", "p99 ms", "RSS MB", "÷ first", "target", "result"],
    )
    scale = [r for r in runs if r.section == "scale"]
    base = scale[0] if scale else None
    for run in scale:
        is_base = run is base
        verdict = (
            "" if is_base else _verdict(run.load.rps >= SCALE_RATIO * base.load.rps, run, base)
        )  # type: ignore[union-attr]
        table.rows.append(
            [
                run.detail,
                run.server,
                *_figures(run),
                "1.00x" if is_base else _ratio(run, base),
                "" if is_base else f"≥{SCALE_RATIO:.1f}x (within 2x)",
                verdict,
            ]
        )
        table.records.append({"dataset": run.detail, "per_first": _raw_ratio(run, base)})
    table.notes += _error_notes(runs, "scale")
    return table


def image_table(runs: Sequence[Run], figures: ImageFigures | None) -> Table:
    table = Table(
        "Image proxy: piorchestrator GET /api/v1/evidence/image, first (rendered) vs cached",
        ["measure", "server", "req/s", "p50 ms", "p99 ms", "RSS MB", "figure", "target", "result"],
    )
    if figures is not None and figures.first_ms:
        first, repeat = statistics.median(figures.first_ms), statistics.median(figures.repeat_ms)
        verdict = "PASS" if repeat <= CACHE_RATIO * first else "MISS"
        table.rows.append(
            [
                f"first request, median of {figures.key_count} keys",
                MOCKGATE,
                "",
                "",
                "",
                "",
                f"{first:.1f} ms",
                "",
                "",
            ]
        )
        table.rows.append(
            [
                "same keys again (cache)",
                MOCKGATE,
                "",
                "",
                "",
                "",
                f"{repeat:.1f} ms",
                f"≤ {CACHE_RATIO:.1f}x first",
                verdict,
            ]
        )
        table.records.append(
            {"first_ms": figures.first_ms, "repeat_ms": figures.repeat_ms, "result": verdict}
        )
    for run in (r for r in runs if r.section == "image"):
        table.rows.append([run.scenario, run.server, *_figures(run), "", "", ""])
    table.notes += _error_notes(runs, "image")
    return table


def _grouped(runs: Iterable[Run]) -> list[tuple[str, dict[str, Run]]]:
    groups: dict[str, dict[str, Run]] = {}
    for run in runs:
        groups.setdefault(run.scenario, {})[run.server] = run
    return list(groups.items())


def _figures(run: Run) -> list[str]:
    rps = f"{run.load.rps:,.0f}" + (" ⚠" if run.load.errors else "")
    return [rps, f"{run.load.p50_ms:.1f}", f"{run.load.p99_ms:.1f}", f"{run.rss_mb:.0f}"]


def _ratio(ours: Run | None, other: Run | None) -> str:
    value = _raw_ratio(ours, other)
    return "" if value is None else f"{value:.2f}x"


def _raw_ratio(ours: Run | None, other: Run | None) -> float | None:
    if ours is None or other is None or not other.load.rps:
        return None
    return round(ours.load.rps / other.load.rps, 3)


def _verdict(met: bool, *depends_on: Run) -> str:
    if any(run.load.errors for run in depends_on):
        return "FLAGGED"
    return "PASS" if met else "MISS"


def _error_notes(runs: Sequence[Run], section: str) -> list[str]:
    return [
        f"⚠ {run.scenario} on {run.server}: {run.load.error_detail} "
        f"(of {run.load.requests:,} requests; req/s counts them)"
        for run in runs
        if run.section == section and run.load.errors
    ]
