"""``mockgate specs``: list, show and validate the OpenAPI documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
import yaml

from mockgate.openapi.catalog import ApiSpec, UnknownApiError, bundled_apis, get_api

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["specs"]


@click.group()
def specs() -> None:
    """The OpenAPI specs bundled with mockgate."""


@specs.command("list")
def list_specs() -> None:
    """Each bundled API: title, version, operation count and default port."""
    from rich.table import Table  # rich costs ~40 ms to import: `mockgate serve` does without

    table = Table("API", "Title", "Version", "Operations", "Default port", "Spec")
    for name, api in bundled_apis().items():
        inferred = sum(op.inferred for op in api.operations)
        count = f"{len(api.operations)}" + (f" ({inferred} inferred)" if inferred else "")
        table.add_row(
            name, api.title, api.version, count, str(api.default_port or "-"), api.path.name
        )
    _console().print(table)


@specs.command("show")
@click.argument("api")
@click.option(
    "--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
def show_spec(api: str, fmt: str, out: Path | None) -> None:
    """The spec of API as one document, with references to other files resolved."""
    document = _api(api).bundle()
    if fmt == "json":
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@specs.command("validate")
@click.argument("target", required=False)
def validate_spec(target: str | None) -> None:
    """Check the bundled specs, one API's spec, or the OpenAPI file at PATH.

    Reports every problem with its file, line and location, and exits 1 if there is any.
    """
    if target is None:
        paths = [api.path for api in bundled_apis().values()]
    elif Path(target).is_file():
        paths = [Path(target)]
    else:
        paths = [_api(target).path]
    from mockgate.openapi.speccheck import check_spec  # openapi validators: ~0.4 s to import

    failed = False
    for path in paths:
        problems = check_spec(path)
        failed |= bool(problems)
        for problem in problems:
            click.echo(str(problem), err=True)
        verdict = f"{len(problems)} problem(s)" if problems else "ok"
        click.echo(f"{path.name}: {verdict}")
    if failed:
        raise SystemExit(1)


def _api(name: str) -> ApiSpec:
    try:
        return get_api(name)
    except UnknownApiError as exc:
        raise click.BadParameter(str(exc), param_hint="API") from None


def _console() -> Console:
    from rich.console import Console

    # Wide enough that a table never wraps in CI logs or under CliRunner.
    return Console(width=max(Console().width, 120))
