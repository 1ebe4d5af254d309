"""The command line of ``benchmarks/run.py``: options, the sections in turn, the tables."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks import sections
from benchmarks.load import WrkMissingError, wrk_path
from benchmarks.report import (
    Run,
    StartupFigures,
    Table,
    image_table,
    reads_table,
    scale_table,
    startup_table,
    writes_table,
)
from benchmarks.scenarios import API_NAMES
from benchmarks.servers import REPO, PrismUnavailableError, ensure_prism

__all__ = ["main", "parser"]

SECTIONS = ("reads", "startup", "scale", "image")
DEFAULT_PRISM_DIR = Path.home() / ".cache" / "mockgate-bench" / "prism"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="mockgate against Prism and bare Starlette, side by side (wrk on loopback).",
    )
    parser.add_argument(
        "--duration", type=float, default=5.0, help="seconds of each measured run (5)"
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of load before each run (2)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds per scenario, servers taking turns; the median is kept (1)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 s runs after 1 s warm-ups (overrides both)"
    )
    parser.add_argument("-c", "--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("-t", "--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument(
        "--section",
        action="append",
        choices=SECTIONS,
        help="run only this section (repeatable; reads includes state-tracking's writes)",
    )
    parser.add_argument(
        "--apis",
        default=",".join(API_NAMES),
        help=f"comma-separated APIs for reads and start-up ({','.join(API_NAMES)})",
    )
    parser.add_argument("--no-prism", action="store_true", help="leave Prism out")
    parser.add_argument(
        "--prism-dir",
        type=Path,
        default=DEFAULT_PRISM_DIR,
        help=f"where Prism is installed from npm on first use ({DEFAULT_PRISM_DIR})",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument(
        "--markdown", action="store_true", help="print the tables as Markdown (for the README)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep logs, specs and captures here (default: a temp dir)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console(highlight=False)
    if not console.is_terminal:  # piped or redirected: wide enough for the tables
        console = Console(highlight=False, width=180)
    apis = tuple(a for a in args.apis.split(",") if a)
    unknown = sorted(set(apis) - set(API_NAMES))
    if unknown:
        parser().error(f"unknown API(s) {', '.join(unknown)}; known: {', '.join(API_NAMES)}")
    try:
        wrk_path()
    except WrkMissingError as exc:
        console.print(f"error: {exc}")
        return 2
    seconds, warmup = (2.0, 1.0) if args.quick else (args.duration, args.warmup)
    chosen = tuple(args.section or SECTIONS)
    notes: list[str] = []

    def note(text: str) -> None:
        notes.append(text)
        console.print(f"[yellow]{text}[/]")

    prism = None
    if not args.no_prism and "reads" in chosen:
        try:
            prism = ensure_prism(args.prism_dir)
        except PrismUnavailableError as exc:
            note(f"Prism skipped: {exc}")

    with tempfile.TemporaryDirectory(prefix="mockgate-bench-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        settings = sections.Settings(
            seconds=seconds,
            warmup=warmup,
            repeat=max(1, args.repeat),
            connections=args.connections,
            threads=args.threads,
            workdir=workdir,
            prism=prism,
            say=lambda text: console.print(f"[dim]… {text}[/]"),
            note=note,
        )
        header = _header(settings)
        console.print(header)
        tables, runs, failed = _run_sections(settings, chosen, apis, console)
        notes.append(f"load average at the end: {os.getloadavg()[0]:.1f} (other work competes)")

    for table in (t for t in tables if t.rows):
        if args.markdown:
            console.print(table.markdown(), markup=False, soft_wrap=True)
        else:
            table.print_rich(console)
    for text in notes + failed:
        console.print(text)
    if args.json:
        results = {
            "header": header,
            "settings": _settings_json(settings),
            "commit": _commit(),
            "notes": notes + failed,
            "tables": [
                {
                    "title": t.title,
                    "columns": t.columns,
                    "rows": t.rows,
                    "notes": t.notes,
                    "records": t.records,
                }
                for t in tables
            ],
            "runs": [run.to_json() for run in runs],
        }
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 1 if failed else 0


def _run_sections(
    settings: sections.Settings, chosen: tuple[str, ...], apis: tuple[str, ...], console: Console
) -> tuple[list[Table], list[Run], list[str]]:
    """Each chosen section in turn; one that fails is reported and the others still run."""
    tables: list[Table] = []
    runs: list[Run] = []
    failed: list[str] = []
    references: dict[str, float] = {}

    def reads() -> tuple[list[Table], list[Run]]:
        measured, ready = sections.reads_and_writes(settings, apis)
        references.update(ready)
        return [reads_table(measured), writes_table(measured)], measured

    def startup() -> tuple[list[Table], list[Run]]:
        figures = sections.startup(settings, apis)
        return [startup_table(StartupFigures(figures.ready_s, figures.rss_mb, references))], []

    def scale() -> tuple[list[Table], list[Run]]:
        measured = sections.scale(settings)
        return [scale_table(measured)], measured

    def image() -> tuple[list[Table], list[Run]]:
        measured, figures = sections.image(settings)
        return [image_table(measured, figures)], measured

    steps: dict[str, Callable[[], tuple[list[Table], list[Run]]]] = {
        "reads": reads,
        "startup": startup,
        "scale": scale,
        "image": image,
    }
    for name in chosen:
        try:
            new_tables, new_runs = steps[name]()
        except Exception as exc:  # a section's failure must not lose the other figures
            failed.append(f"section {name} failed: {exc}")
            console.print(f"[red]section {name} failed:[/] {exc}")
            continue
        tables += new_tables
        runs += new_runs
    return tables, runs, failed


def _header(settings: sections.Settings) -> str:
    prism = "Prism 5 (static, -m)" if settings.prism else "no Prism"
    return (
        f"mockgate {_commit()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
        f"wrk -t{settings.threads} -c{settings.connections} -d{settings.seconds:g}s "
        f"after {settings.warmup:g}s warm-up, median of {settings.repeat} · {prism} · "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )


def _settings_json(settings: sections.Settings) -> dict[str, Any]:
    return {
        "seconds": settings.seconds,
        "warmup": settings.warmup,
        "connections": settings.connections,
        "threads": settings.threads,
        "repeat": settings.repeat,
        "prism": str(settings.prism) if settings.prism else None,
        "cpus": os.cpu_count(),
    }


def _commit() -> str:
    """The measured commit, marked when mockgate/ has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "mockgate", "specs", "fixtures"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown commit"
    return f"{head or 'unknown'}{' + uncommitted changes' if dirty else ''}"
