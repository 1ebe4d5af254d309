"""``mockgate proxy``: a validating reverse proxy in front of a real implementation of an API."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import click

from mockgate.mockserver.logs import LOG_FORMATS, configured, event_line
from mockgate.openapi.catalog import bundled_apis

__all__ = ["proxy"]

_VALIDATE_MAX_BYTES = 4 * 1024 * 1024  # ProxyOptions' default (not imported here: it is heavy)


def _upstream(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(
            f"{value!r}: expected an http(s) URL such as http://127.0.0.1:3000",
            param_hint="--upstream",
        )
    try:
        parts.port  # noqa: B018  # raises on a port that is no port
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: {exc}", param_hint="--upstream") from None
    if parts.query or parts.fragment:
        raise click.BadParameter(
            f"{value!r}: no query or fragment, please", param_hint="--upstream"
        )
    return value


@click.command()
@click.argument("api", type=click.Choice(sorted(bundled_apis())), metavar="API")
@click.option("--upstream", required=True, metavar="URL", help="The real server to forward to.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Port to listen on (default: the API's documented port).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Answer a response that breaks the spec with a 502 (in the API's error shape) that "
    "says why, instead of passing it on.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a report when the proxy stops (Ctrl-C, SIGTERM): FILE.json, FILE.xml (JUnit: "
    "a test case per operation and check) or FILE.html.",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds for the whole exchange (connect, send, the upstream's answer to its last "
    "byte). Past it, the client gets a 504, or, once the answer is streaming, a cut response.",
)
@click.option(
    "--validate-max-bytes",
    default=_VALIDATE_MAX_BYTES,
    show_default=True,
    type=click.IntRange(min=0),
    metavar="N",
    help="Judge a JSON or text response only up to this size (decoded); a larger one streams "
    "through and is recorded as not judged (too large).",
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
    help="json: the banner, messages and the closing summary as one JSON object per line.",
)
@click.option(
    "--coverage-out",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="On shutdown, write what the client's traffic used of the spec and its requests "
    "outside the contract (consumer violations) to FILE, for `mockgate coverage report|check`.",
)
def proxy(
    api: str,
    upstream: str,
    host: str,
    port: int | None,
    strict: bool,
    report_path: Path | None,
    timeout: float,
    validate_max_bytes: int,
    log_level: str,
    log_format: str,
    coverage_out: str | None,
) -> None:
    """Forward API's traffic to --upstream and check every exchange against the spec.

    Requests go to the upstream as the client sent them, credentials included (hop-by-hop
    headers dropped, Host rewritten, X-Forwarded-For added; redirects are passed back, not
    followed). The proxy judges the upstream: a request that breaks the spec, or that the spec
    does not have, is recorded as the client's violation and still forwarded; it is counted
    apart ("client requests outside the contract") and is no part of the upstream's verdict,
    nor is a refusal of it with a 4xx the spec does not declare. A response that breaks the
    spec is logged and recorded; with --strict the client gets a 502 saying why.
    Responses stream through byte-identical. A JSON or text response is judged when it fits
    --validate-max-bytes (read whole first), a larger one is passed on unjudged and recorded
    as "not judged: too large"; images and other bodies are judged by their status, content
    type and headers, whatever their size.

    Violations, each with its exchange (credentials redacted), and the responses not judged:
    GET /__mockgate/violations on the proxy; DELETE clears them. Nothing under /__mockgate is
    forwarded. Upstream down: 502; no answer within --timeout: 504; request body over 10 MiB:
    413; all in the API's own error shape.
    """
    from mockgate.mockserver.responses import parser_refusal
    from mockgate.mockserver.server import ListenError, MockServer, serve
    from mockgate.proxy.app import ADMIN_PREFIX, ProxyOptions, create_proxy_app, proxy_of
    from mockgate.proxy.report import report_format, write_report
    from mockgate.proxy.selfloop import loops_back

    upstream = _upstream(upstream)
    if report_path is not None:
        try:
            report_format(report_path)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--report") from None
    port = port or bundled_apis()[api].default_port or 8000
    loop = loops_back(upstream, host, port)
    if loop is not None:
        raise click.BadParameter(loop, param_hint="--upstream")

    # Until the command ends, the summary included.
    click.get_current_context().with_resource(configured(log_level, log_format))
    options = ProxyOptions(strict=strict, timeout=timeout, validate_max_bytes=validate_max_bytes)
    app = create_proxy_app(api, upstream, options)
    base = f"http://{host}:{port}"

    def banner() -> None:
        mode = "strict: violating responses become 502" if strict else "recording violations"
        violations = f"{base}{ADMIN_PREFIX}/violations"
        ready = f"mockgate proxy: {api} on {base} -> {upstream} ({mode})"
        if log_format == "json":
            click.echo(
                event_line(
                    "ready",
                    ready,
                    api=api,
                    url=base,
                    upstream=upstream,
                    strict=strict,
                    violations=violations,
                )
            )
        else:
            click.echo(f"{ready}; violations at {violations}; Ctrl-C stops")

    started = time.monotonic()
    refusal = parser_refusal(proxy_of(app).plugin, lambda: datetime.now(UTC))
    try:
        serve([MockServer(api, host, port, app, refusal)], on_ready=banner)
    except ListenError as exc:
        click.echo(exc.message("--port N"), err=True)
        raise SystemExit(2) from None
    store = proxy_of(app).violations
    if coverage_out:
        from mockgate.reports.coverage import dump_file

        data = dump_file([proxy_of(app).coverage])
        Path(coverage_out).write_text(json.dumps(data, indent=1), encoding="utf-8")
    verdict = "does not conform" if store.upstream_violations else "conforms"
    unjudged = sum(store.unjudged.values())
    summary = (
        f"mockgate proxy: {store.exchanges} exchange(s); the upstream {verdict} "
        f"({store.upstream_violations} violation(s)); client requests outside the contract: "
        f"{store.client_requests}" + (f"; responses not judged: {unjudged}" if unjudged else "")
    )
    if log_format == "json":
        click.echo(
            event_line(
                "stopped",
                summary,
                exchanges=store.exchanges,
                upstream_violations=store.upstream_violations,
                client_requests=store.client_requests,
                not_judged=unjudged,
                conforms=not store.upstream_violations,
                report=None if report_path is None else str(report_path),
            )
        )
    else:
        click.echo(summary)
    if report_path is not None:
        write_report(
            store,
            report_path,
            api=api,
            upstream=upstream,
            strict=strict,
            elapsed=time.monotonic() - started,
        )
        if log_format == "text":  # json: in the "stopped" line
            click.echo(f"report: {report_path}")
