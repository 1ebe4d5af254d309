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

    from mockgate.reports.coverage import Coverage

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


@specs.command("diff")
@click.argument("old")
@click.argument("new")
@click.option(
    "--usage",
    "usage_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A coverage file of `mockgate serve --coverage-out` (repeatable: merged): fail only on "
    "breaking changes that reach what this consumer used.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def diff_spec(old: str, new: str, usage_files: tuple[Path, ...], fmt: str) -> None:
    """Breaking and non-breaking changes from OLD to NEW (OpenAPI files or bundled API names).

    Exits 1 if a change is breaking for the API's clients; with --usage, only if a breaking
    change reaches an operation, status, parameter, enum value or property that consumer used
    (the other breaking changes are listed as warnings). Exits 2 on a usage error.
    """
    from mockgate.openapi.drift import diff_specs, touches

    before, after = _openapi(old, "OLD"), _openapi(new, "NEW")
    changes = diff_specs(before.resolved, after.resolved)
    usage = _usage(usage_files, before) if usage_files else None
    used = {id(c): touches(c, usage) for c in changes if c.breaking} if usage else {}
    failing = [c for c in changes if c.breaking and (usage is None or used[id(c)])]
    if fmt == "json":
        document = {
            "old": str(before.path),
            "new": str(after.path),
            "usage": [str(path) for path in usage_files] or None,
            "breaking": sum(c.breaking for c in changes),
            "non_breaking": sum(not c.breaking for c in changes),
            "failing": len(failing),
            "changes": [{**c.to_json(), "used": used.get(id(c))} for c in changes],
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        breaking = [c for c in changes if c.breaking]
        click.echo(
            f"{before.path.name} → {after.path.name}: {len(breaking)} breaking, "
            f"{len(changes) - len(breaking)} non-breaking change(s)"
        )
        if usage is None:
            groups = [("Breaking", breaking)]
        else:
            groups = [
                ("Breaking, used by this consumer", failing),
                (
                    "Breaking, not used by this consumer (warnings)",
                    [c for c in breaking if not used[id(c)]],
                ),
            ]
        groups.append(("Non-breaking", [c for c in changes if not c.breaking]))
        for title, group in groups:
            if group:
                click.echo(f"\n{title}:")
                for change in group:
                    click.echo(f"  {change.operation}  {change.message}")
    if failing:
        raise SystemExit(1)


def _openapi(target: str, hint: str) -> ApiSpec:
    """The OpenAPI document at path ``target``, or the bundled API of that name."""
    spec = ApiSpec.from_path(Path(target)) if Path(target).is_file() else _api(target)
    try:
        document = spec.resolved
    except Exception as exc:  # unreadable YAML, a broken $ref: prance raises several kinds
        raise click.BadParameter(f"{target}: {exc}", param_hint=hint) from None
    if not isinstance(document, dict) or "openapi" not in document:
        raise click.BadParameter(f"{target} is not an OpenAPI document", param_hint=hint)
    return spec


def _usage(paths: tuple[Path, ...], spec: ApiSpec) -> Coverage:
    """The coverage of ``spec``'s API in the files at ``paths``, merged."""
    from mockgate.reports.coverage import load_file, merge_all

    found = []
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a mockgate coverage file (not a JSON object)")
            found.extend(load_file(data))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise click.BadParameter(f"{path}: {exc}", param_hint="--usage") from None
    coverages = merge_all(found)
    chosen = [c for c in coverages if c.api == spec.name or c.spec_title == spec.title]
    if len(coverages) == 1:
        chosen = coverages
    if not chosen:
        apis = ", ".join(c.api for c in coverages)
        raise click.BadParameter(
            f"no coverage of {spec.title!r} (the files hold: {apis})", param_hint="--usage"
        )
    usage = chosen[0]
    ids = {op.operation_id for op in spec.operations}
    routes = {(op.method, op.path) for op in spec.operations}
    called = [u for u in usage.operations.values() if u.requests]
    if not any(u.operation_id in ids or (u.method, u.path) in routes for u in called):
        # Nothing can reach this consumer: say so rather than pass quietly on the wrong file.
        click.echo(
            f"warning: the usage files show no call to an operation of {spec.path.name}", err=True
        )
    return usage


def _api(name: str) -> ApiSpec:
    try:
        return get_api(name)
    except UnknownApiError as exc:
        raise click.BadParameter(str(exc), param_hint="API") from None


def _console() -> Console:
    from rich.console import Console

    # Wide enough that a table never wraps in CI logs or under CliRunner.
    return Console(width=max(Console().width, 120))
