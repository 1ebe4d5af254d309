"""``mockgate serve``: the mocks, on their documented ports, in one process."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

from mockgate.apis.base import DATASETS
from mockgate.core.clock import Clock
from mockgate.core.timestamps import parse_timestamp
from mockgate.openapi.catalog import ApiSpec, bundled_apis, get_api, use_spec

__all__ = ["serve"]

# `--clock frozen` without `--start` pins time here, so the same seed gives the same bytes.
FROZEN_START = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        api, sep, rest = value.partition("=")
        if not sep or api not in bundled_apis():
            raise click.BadParameter(
                f"{value!r}: expected API=VALUE with API one of {', '.join(bundled_apis())}",
                param_hint=option,
            )
        pairs[api] = rest
    return pairs


@click.command()
@click.argument("apis", nargs=-1, metavar="[API]...")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", "ports", multiple=True, metavar="API=PORT", help="Port of one API (repeatable)."
)
@click.option("--seed", default=1, show_default=True, help="Seed of the generated data.")
@click.option(
    "--dataset",
    default="demo",
    show_default=True,
    metavar="NAME|FILE",
    help=f"One of {', '.join(DATASETS)}, or a JSON/YAML file shaped like GET /__mockgate/state.",
)
@click.option(
    "--clock",
    "clock_option",
    default="real",
    show_default=True,
    metavar="real|frozen|speed=N",
    help="How virtual time runs (changeable later through POST /__mockgate/clock).",
)
@click.option("--start", metavar="TIME", help="Virtual time at start (ISO 8601 with zone).")
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="[API=]KEY",
    envvar="MOCKGATE_API_KEYS",
    help="Accept KEY (instead of the printed dev key) on every keyed API, or on API only "
    "(repeatable; or MOCKGATE_API_KEYS, space-separated).",
)
@click.option(
    "--rate-limit",
    metavar="off|docs|N",
    help="Rate limits of APIs that document them: the documented ones (default), none, "
    "or N requests per minute.",
)
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    metavar="API=NAME",
    help="Start API in a named behaviour, e.g. piorchestrator=v1-unregistered (repeatable).",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False),
    metavar="PATH",
    help="Keep state and clock in this SQLite file: they survive a restart (a new file is "
    "seeded from --dataset; see `mockgate state`).",
)
@click.option(
    "--state-sync",
    type=click.Choice(["normal", "full"]),
    default="normal",
    show_default=True,
    envvar="MOCKGATE_STATE_SYNC",
    help="normal: an acknowledged write survives the process being killed; full: also power "
    "loss (an fsync per write).",
)
@click.option("--no-cors", is_flag=True, help="Do not answer CORS requests.")
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Allow credentials from ORIGIN (repeatable); otherwise any origin, no credentials.",
)
@click.option("--validate-responses", is_flag=True, help="Check every response against the spec.")
@click.option(
    "--spec",
    "spec_files",
    multiple=True,
    metavar="API=FILE",
    help="Serve API from the OpenAPI document FILE instead of the bundled one, e.g. an edited "
    "copy of `mockgate specs show API` (repeatable).",
)
@click.option(
    "--reload",
    is_flag=True,
    help="Reload an API when its spec (or a file it $refs) or the --dataset FILE changes, "
    "keeping the data that is still valid.",
)
@click.option("--access-log/--no-access-log", default=True, show_default=True)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
def serve(
    apis: tuple[str, ...],
    host: str,
    ports: tuple[str, ...],
    seed: int,
    dataset: str,
    clock_option: str,
    start: str | None,
    api_keys: tuple[str, ...],
    rate_limit: str | None,
    scenarios: tuple[str, ...],
    state_file: str | None,
    state_sync: str,
    no_cors: bool,
    cors_origins: tuple[str, ...],
    validate_responses: bool,
    spec_files: tuple[str, ...],
    reload: bool,
    access_log: bool,
    log_level: str,
) -> None:
    """Serve the mocks of API... (all four when none is named) on their documented ports.

    Each mock has Swagger UI, an admin API under /__mockgate (reset, state, request journal,
    clock, faults) and answers Prism-style Prefer headers (code=, example=, dynamic=, delay=).
    """
    from mockgate.apis.datasets import DatasetError
    from mockgate.cli.state import ServedState
    from mockgate.mockserver.app import context_of, create_app, docs_paths
    from mockgate.mockserver.reload import Reloader
    from mockgate.mockserver.responses import parser_refusal
    from mockgate.mockserver.server import MockServer
    from mockgate.mockserver.server import serve as run

    unknown = [a for a in apis if a not in bundled_apis()]
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)}: bundled APIs are {', '.join(bundled_apis())}", param_hint="API"
        )
    port_of = _ports(ports)
    scenario_of = _pairs(scenarios, "--scenario")
    _use_specs(_pairs(spec_files, "--spec"))
    if rate_limit is not None and rate_limit not in ("off", "docs") and not rate_limit.isdigit():
        raise click.BadParameter(
            f"{rate_limit!r}: expected off, docs or N", param_hint="--rate-limit"
        )
    keys_for = _keys_by_api(api_keys)
    try:
        when = parse_timestamp(start) if start else None
        frozen_default = FROZEN_START if clock_option == "frozen" else None
        clock = Clock.from_option(clock_option, start=when or frozen_default)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    state = ServedState.open(state_file, clock, sync=state_sync) if state_file else None
    if state is not None:
        clock = state.clock

    logging.basicConfig(level=log_level.upper(), format="%(message)s")
    access = logging.getLogger("mockgate.access")
    # The access log is its own switch (--no-access-log), independent of --log-level.
    access.setLevel(logging.INFO)
    access.propagate = False
    access.addHandler(logging.StreamHandler(sys.stdout))
    mocks = []
    apps = {}
    reloader = Reloader() if reload else None
    for api in apis or tuple(bundled_apis()):
        try:
            store, api_seed, api_dataset = None, seed, dataset
            if state is not None:
                store, entry = state.store(api, seed, dataset)
                api_seed, api_dataset = entry.seed, entry.dataset
            build = functools.partial(
                create_app,
                api,
                seed=api_seed,
                dataset=api_dataset,
                clock=clock,
                store=store,
                api_keys=keys_for(api),
                validate_responses=validate_responses,
                cors=not no_cors,
                cors_origins=cors_origins,
                access_log=access_log,
                rate_limit=rate_limit,
                scenario=scenario_of.get(api),
            )
            app = apps[api] = build()
        except (DatasetError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        port = port_of.get(api) or get_api(api).default_port or 8000
        if reloader is not None:
            app = reloader.add(app, build)
        refusal = parser_refusal(context_of(apps[api]).api, clock.now)
        mocks.append(MockServer(api, host, port, app, refusal))

    def banner() -> None:
        origin = (
            f"state file {state_file}"
            if state is not None
            else f"seed {seed}, dataset {dataset}, clock {clock_option}"
        )
        click.echo(f"mockgate: {len(mocks)} mock(s), {origin}")
        for mock in mocks:
            ctx = context_of(apps[mock.api])
            base = f"http://{host}:{mock.port}"
            ui, _ = docs_paths(mock.api)
            click.echo(f"  {mock.api:<15} {base}   docs {base}{ui}/   admin {base}/__mockgate/ui/")
            for line in ctx.api.credentials_help(ctx):
                click.echo(f"  {'':<15} {line}")
        click.echo("Ctrl-C stops.")

    try:
        background = [reloader.run] if reloader is not None else []
        run(mocks, log_level=log_level, on_ready=banner, background=background)
    finally:
        if state is not None:
            state.close()


def _keys_by_api(values: tuple[str, ...]) -> Callable[[str], tuple[str, ...]]:
    """``KEY`` applies to every API, ``API=KEY`` to that API only."""
    everywhere, scoped = [], {}
    for value in values:
        api, sep, key = value.partition("=")
        if sep and api in bundled_apis():
            scoped.setdefault(api, []).append(key)
        else:
            everywhere.append(value)
    return lambda api: (*everywhere, *scoped.get(api, []))


def _use_specs(files: dict[str, str]) -> None:
    """``--spec API=FILE``: serve API from FILE, once it passes ``mockgate specs validate``."""
    from mockgate.openapi.speccheck import check_spec

    for api, file in files.items():
        path = Path(file)
        if not path.is_file():
            raise click.BadParameter(f"{api}={file}: no such file", param_hint="--spec")
        problems = check_spec(path)
        if problems:
            raise click.ClickException(
                f"--spec {api}={file} cannot be served:\n  " + "\n  ".join(map(str, problems))
            )
        use_spec(ApiSpec(api, path.resolve()))


def _ports(values: tuple[str, ...]) -> dict[str, int]:
    ports = {}
    for api, port in _pairs(values, "--port").items():
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise click.BadParameter(f"{api}={port}: a port is 1-65535", param_hint="--port")
        ports[api] = int(port)
    return ports
