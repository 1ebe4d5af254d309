"""``mockgate serve``: the mocks, on their documented ports, in one process.

The command declares the options; ``serve_config.ServeConfig`` reads and checks them.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import click

from mockgate.apis.base import DATASETS
from mockgate.cli.serve_config import ServeConfig
from mockgate.mockserver.logs import LOG_FORMATS, configured, event_line

__all__ = ["serve"]


@click.command()
@click.argument("apis", nargs=-1, metavar="[API]...")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", "ports", multiple=True, metavar="API=PORT", help="Port of one API (repeatable)."
)
@click.option("--seed", default=1, show_default=True, help="Seed of the generated data.")
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    metavar="[API=]NAME|FILE",
    help=f"One of {', '.join(DATASETS)} (default demo), or a JSON/YAML file shaped like GET "
    "/__mockgate/state; API=... seeds that API only (repeatable; a file needs API= when "
    "several APIs are served).",
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
    help="Let the page at ORIGIN (e.g. http://localhost:5173; 127.0.0.1 and [::1] alike) send "
    "credentials and use the admin API (repeatable); every origin reads the APIs without.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests for NAME (or, as .NAME, for it and its subdomains); only "
    "localhost, *.localhost and IP addresses are answered otherwise (repeatable).",
)
@click.option(
    "--admin-token",
    metavar="TOKEN",
    envvar="MOCKGATE_ADMIN_TOKEN",
    help="Require the header X-Mockgate-Token: TOKEN on every call to the admin API "
    "(/__mockgate; or MOCKGATE_ADMIN_TOKEN).",
)
@click.option("--validate-responses", is_flag=True, help="Check every response against the spec.")
@click.option(
    "--coverage-out",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="On shutdown, write what the traffic used of each spec and the requests the specs "
    "refuse (consumer violations) to FILE, for `mockgate coverage report|check`.",
)
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
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="A line per request on stdout: time, API, method, path as sent, status, duration, "
    "request id.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    help="mockgate's own messages; the frameworks' show from warning (all at debug).",
)
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="text",
    show_default=True,
    help="json: the banner, access lines and messages as one JSON object per line.",
)
def serve(**params: Any) -> None:
    """Serve the mocks of API... (all four when none is named) on their documented ports.

    Each mock has Swagger UI, an admin API under /__mockgate (reset, state, request journal,
    clock, faults) and answers Prism-style Prefer headers (code=, example=, dynamic=, delay=).
    """
    config = ServeConfig.from_params(params)
    with configured(config.log_level, config.log_format):
        _serve(config)


def _serve(config: ServeConfig) -> None:
    from mockgate.apis.datasets import DatasetError
    from mockgate.cli.state import ServedState
    from mockgate.mockserver.app import context_of, create_app, docs_paths
    from mockgate.mockserver.reload import Reloader
    from mockgate.mockserver.responses import parser_refusal
    from mockgate.mockserver.server import ListenError, MockServer
    from mockgate.mockserver.server import serve as run

    clock = config.clock()
    state = None
    if config.state_file:
        state = ServedState.open(config.state_file, clock, sync=config.state_sync)
        clock = state.clock

    if config.exposed:
        logging.getLogger("mockgate").warning(_exposed_warning(config))
    mocks = []
    apps = {}
    served_apps: list[Any] = []
    reloader = Reloader() if config.reload else None
    for api in config.apis:
        try:
            store, seed, dataset = None, config.seed, config.dataset_of(api)
            stubs = None
            if state is not None:
                store, entry = state.store(api, seed, dataset)
                seed, dataset = entry.seed, entry.dataset
                stubs = state.stubs(api)
            options = config.mock_options(api, seed=seed, dataset=dataset)
            # The same stubs for every app a reload builds: they outlive a reload as a restart.
            build = functools.partial(
                create_app, options=options, clock=clock, store=store, stubs=stubs
            )
            app = apps[api] = build(config.spec(api))
        except (DatasetError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        served = app if reloader is None else reloader.add(app, build)
        served_apps.append(served)
        refusal = parser_refusal(context_of(apps[api]).api, clock.now)
        mocks.append(MockServer(api, config.host, config.port(api), served, refusal))

    def banner() -> None:
        origin = (
            f"state file {config.state_file}"
            if state is not None
            else f"seed {config.seed}, dataset {config.datasets_text}, clock {config.clock_option}"
        )
        rows = []
        for mock in mocks:
            ctx = context_of(apps[mock.api])
            base = f"http://{config.host}:{mock.port}"
            ui, _ = docs_paths(mock.api)
            docs, admin = f"{base}{ui}/", f"{base}/__mockgate/ui/"
            rows.append((mock.api, base, docs, admin, ctx.api.credentials_help(ctx)))
        summary = f"mockgate: {len(mocks)} mock(s), {origin}"
        if config.log_format == "json":  # one line a tool can wait for
            listing = [
                {"api": api, "url": base, "docs": docs, "admin": admin, "credentials": help_}
                for api, base, docs, admin, help_ in rows
            ]
            token = config.admin_token is not None
            click.echo(event_line("ready", summary, mocks=listing, admin_token=token))
            return
        click.echo(summary)
        for api, base, docs, admin, help_ in rows:
            click.echo(f"  {api:<15} {base}   docs {docs}   admin {admin}")
            for line in help_:
                click.echo(f"  {'':<15} {line}")
        if config.admin_token is not None:
            click.echo("Admin API: send X-Mockgate-Token with the --admin-token value.")
        click.echo("Ctrl-C stops.")

    try:
        background = [reloader.run] if reloader is not None else []
        run(mocks, on_ready=banner, background=background)
        if config.coverage_out:
            _write_coverage(config.coverage_out, [apps[m.api] for m in mocks], served_apps)
    except ListenError as exc:
        click.echo(exc.message(f"--port {exc.mock.api}=N"), err=True)
        raise SystemExit(2) from None
    finally:
        if state is not None:
            state.close()


def _write_coverage(path: str, started: list[Any], served: list[Any]) -> None:
    """Every served API's coverage in one file; a reloaded API's before and after the reload,
    merged (a different spec version is a warning in the file)."""
    import json
    from pathlib import Path

    from mockgate.mockserver.app import context_of
    from mockgate.mockserver.reload import SwappableApp
    from mockgate.reports.coverage import dump_file, merge_all

    coverages = []
    for first, now in zip(started, served, strict=True):
        current = now.app if isinstance(now, SwappableApp) else now
        coverages.append(context_of(first).coverage)
        if current is not first:
            coverages.append(context_of(current).coverage)
    data = dump_file(merge_all(coverages))
    Path(path).write_text(json.dumps(data, indent=1), encoding="utf-8")
    click.echo(f"mockgate: coverage written to {path}")


def _exposed_warning(config: ServeConfig) -> str:
    advice = [] if config.admin_token else ["protect the admin API with --admin-token TOKEN"]
    advice.append("name the hosts clients use with --allowed-host NAME")
    return (
        f"--host {config.host} exposes the mocks and their admin API "
        f"(state, credentials, faults) beyond this machine; {' and '.join(advice)}"
    )
