"""``mockgate verify``: judge a running implementation of an API against its contract."""

from __future__ import annotations

import contextlib
import difflib
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from mockgate.openapi.catalog import ApiSpec, bundled_apis, get_api

if TYPE_CHECKING:
    from rich.console import Console

    from mockgate.reports.provider_coverage import Threshold

__all__ = [
    "EXIT_FINDINGS",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_UNREACHABLE",
    "verify",
]

EXIT_OK = 0
EXIT_FINDINGS = 1  # the implementation departs from the contract
# 2 is click's usage error
EXIT_UNREACHABLE = 3  # the server could not be reached, or the suite itself failed
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130, as a shell reports a Ctrl-C
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


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


def _refuse_unknown_checks(option: str, names: frozenset[str], known: set[str]) -> None:
    unknown = []
    for name in sorted(names - known):
        close = difflib.get_close_matches(name, known, n=1)
        unknown.append(f"{name} (did you mean {close[0]}?)" if close else name)
    if unknown:
        raise click.BadParameter(
            f"unknown check(s) {', '.join(unknown)}; `mockgate verify API --list-checks` "
            "lists them",
            param_hint=option,
        )


def _thresholds(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[Threshold, ...]:
    from mockgate.reports.provider_coverage import Threshold

    try:
        return tuple(Threshold.parse(value) for value in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return value
    if "://" not in value and not value.startswith(("http:", "https:")):
        raise click.BadParameter(f"{value!r} has no scheme: did you mean http://{value} ?")
    raise click.BadParameter(f"{value!r}: expected an http:// or https:// URL with a host")


def _credential_needed(spec: ApiSpec) -> str | None:
    """How ``spec`` takes a credential, when its protected operations need one (None if not)."""
    default = spec.document.get("security") or []
    protected = [
        op
        for op in spec.operations
        if op.operation_id
        and (rules := spec.operation_by_id(op.operation_id).get("security", default))
        and {} not in rules  # an empty requirement makes the credential optional
    ]
    if not protected:
        return None
    schemes = spec.document.get("components", {}).get("securitySchemes", {})
    ways = []
    for scheme in schemes.values():
        if scheme.get("type") == "http":
            ways.append(f"Authorization: {str(scheme.get('scheme', '')).capitalize()} KEY")
        elif scheme.get("type") == "apiKey":
            ways.append(f"the {scheme.get('name')} {scheme.get('in')}")
    return " or ".join(ways) or "a credential"


def _writes(spec: ApiSpec, width: int) -> list[str]:
    """The operations of ``spec`` that write, in lines of ``width``, never cut inside one."""
    lines = [""]
    for op in spec.operations:
        if op.method in _SAFE_METHODS:
            continue
        item = f"{op.method} {op.path}"
        if lines[-1] and len(lines[-1]) + len(item) + 2 > width:
            lines[-1] += ","
            lines.append(item)
        else:
            lines[-1] += f", {item}" if lines[-1] else item
    return lines if lines[0] else ["none"]


class _VerifyCommand(click.Command):
    """``verify``'s help also lists, per API, the operations that write to the target."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help_text(ctx, formatter)
        with formatter.section("Operations that write to the target (left out by --read-only)"):
            apis = bundled_apis()
            column = max(map(len, apis)) + 2
            width = max((formatter.width or 80) - formatter.current_indent - column, 30)
            for name, spec in apis.items():
                for index, line in enumerate(_writes(spec, width)):
                    term = name if index == 0 else ""
                    formatter.write(f"{'':>{formatter.current_indent}}{term:<{column}}{line}\n")


class _Signals:
    """SIGINT and SIGTERM remembered for the exit code, and raised as ``KeyboardInterrupt``
    while armed (during the run); before it (start-up) and after it (the reports are being
    written) only remembered."""

    def __init__(self) -> None:
        self.received: signal.Signals | None = None
        self.armed = False
        self._previous: dict[signal.Signals, Any] = {}

    def install(self) -> None:
        # Handlers can only be set from the main thread; elsewhere the defaults stay.
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            # A signal the parent chose to ignore (a background job's SIGINT) stays ignored.
            if signal.getsignal(signum) is not signal.SIG_IGN:
                self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = self.received or signal.Signals(signum)
        if self.armed:
            # A second one while schemathesis winds down stops it without waiting for its workers.
            raise KeyboardInterrupt

    def check(self) -> None:
        """Raise the interruption again at a step of the run: schemathesis swallows a
        ``KeyboardInterrupt`` that lands in some of its bookkeeping and runs on."""
        if self.received is not None and self.armed:
            raise KeyboardInterrupt

    @property
    def exit_code(self) -> int:
        return EXIT_TERMINATED if self.received == signal.SIGTERM else EXIT_INTERRUPTED


@contextlib.contextmanager
def _progress(console: Console, title: str) -> Iterator[Callable[[str], None]]:
    """A spinner on a terminal; elsewhere (CI logs) one plain line per step, no escape codes."""
    if console.is_terminal:
        with console.status(title) as status:
            yield lambda text: status.update(f"{title}: {text}")
        return
    console.print(title, markup=False, highlight=False, soft_wrap=True)
    last = ""

    def line(text: str) -> None:
        nonlocal last
        if text != last:  # a step repeated (stateful sequences) is said once
            console.print(f"  {text}", markup=False, highlight=False, soft_wrap=True)
            last = text

    yield line


@click.command(cls=_VerifyCommand)
@click.argument("api", type=click.Choice(sorted(bundled_apis())), metavar="API")
@click.option(
    "--base-url",
    metavar="URL",
    callback=_base_url,
    help="Where the implementation runs (required, except with --list-checks).",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="Only safe methods (GET/HEAD/OPTIONS), no writing probes: use it against production.",
)
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
@click.option(
    "--junit-xml", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML."
)
@click.option(
    "--report",
    "html_report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a self-contained HTML report.",
)
@click.option(
    "--report-json",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report as JSON, for machines.",
)
@click.option(
    "--min-coverage",
    "min_coverage",
    multiple=True,
    metavar="AREA=PERCENT",
    callback=_thresholds,
    help="Fail (exit 1) unless the run exercised at least PERCENT % of AREA: operations, "
    "statuses, parameters, enum_values, body_properties or response_properties. Repeatable.",
)
@click.option("--fail-fast", is_flag=True, help="Stop at the first failure.")
@click.option(
    "--strict",
    is_flag=True,
    help="Advisories (HTTP hygiene beyond the documents, e.g. 405 for a method no document "
    "mentions) fail the run too; without it only contract findings do.",
)
@click.option("--list-checks", is_flag=True, help="List the checks for API and exit.")
def verify(
    api: str,
    base_url: str | None,
    read_only: bool,
    api_keys: tuple[str, ...],
    headers: tuple[str, ...],
    max_examples: int,
    seed: int | None,
    workers: int,
    checks: str,
    exclude_checks: str | None,
    junit_xml: Path | None,
    html_report: Path | None,
    report_json: Path | None,
    min_coverage: tuple[Threshold, ...],
    fail_fast: bool,
    strict: bool,
    list_checks: bool,
) -> None:
    """Check the implementation of API at --base-url against mockgate's contract for it.

    This WRITES to the target: every POST/PUT/PATCH/DELETE operation of the API (listed below)
    is called with generated data, and probes create records. Against production, pass
    --read-only (GET/HEAD/OPTIONS only).

    Runs schema and stateful conformance (schemathesis) and mockgate's semantic checks, and
    prints every finding with a curl command that reproduces it. Ctrl-C or SIGTERM stops the
    run and still writes the reports, marked incomplete.

    \b
    Exit codes:
      0    conforms
      1    findings: the implementation departs from the contract, or the run
           exercised less of it than a --min-coverage threshold asks
      2    usage error
      3    the server could not be reached, or the suite could not judge it
      130  interrupted by Ctrl-C (SIGINT), 143 by SIGTERM: never a pass
    """
    signals = _Signals()
    signals.install()
    ctx = click.get_current_context()
    ctx.call_on_close(signals.restore)

    from rich.console import Console

    from mockgate.contracts.conformance import BUILTIN_DOCS, ConformanceOptions, check_kind
    from mockgate.contracts.registry import checks_for
    from mockgate.contracts.runner import Target, VerifyOptions, unreachable
    from mockgate.contracts.runner import verify as run
    from mockgate.reports.console import print_report
    from mockgate.reports.findings import Report
    from mockgate.reports.html import write_html
    from mockgate.reports.jsonreport import write_json
    from mockgate.reports.junit import write_junit

    console = Console(stderr=False)
    semantic = {c.name: c for c in checks_for(api)}
    if list_checks:
        console.print(
            "[dim]contract: its findings fail the run; advisory: reported apart, failing the "
            "run only with --strict[/dim]",
            soft_wrap=True,
        )
        origins = dict.fromkeys(BUILTIN_DOCS, "schemathesis")
        origins |= {name: check.kind for name, check in semantic.items()}
        docs = BUILTIN_DOCS | {name: check.doc for name, check in semantic.items()}
        for name, origin in origins.items():
            kind, why = check_kind(name)
            console.print(f"{name}  [bold]{kind}[/bold]: {why}", highlight=False, soft_wrap=True)
            console.print(
                f"    [dim]({origin}) {docs[name]}[/dim]", highlight=False, soft_wrap=True
            )
        return
    if base_url is None:
        raise click.MissingParameter(
            "Where the implementation runs; only --list-checks goes without it.",
            ctx=ctx,
            param=next(p for p in ctx.command.params if p.name == "base_url"),
        )
    known = {*BUILTIN_DOCS, *semantic}
    include, exclude = _check_list(checks), _check_list(exclude_checks) or frozenset()
    _refuse_unknown_checks("--checks", include or frozenset(), known)
    _refuse_unknown_checks("--exclude-checks", exclude, known)
    sent_headers = _headers(headers)
    needed = _credential_needed(get_api(api))
    if needed and not api_keys:
        raise click.UsageError(
            f"{api} needs a credential ({needed}) on every operation but its public ones: "
            "pass it with --api-key KEY"
        )
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
        ),
        strict=strict,
        min_coverage=min_coverage,
    )
    target = Target(api, base_url=base_url, credentials=api_keys, headers=sent_headers)
    report = Report(api=api, target=base_url, interrupted="before the run started")
    signals.armed = True
    try:
        if signals.received is None:  # else it came during start-up: nothing is run
            problem = unreachable(base_url)
            if problem is not None:
                console.print(f"[red]{problem}[/red]")
                raise SystemExit(EXIT_UNREACHABLE)
            with _progress(console, f"verifying {api} at {base_url}") as progress:

                def step(text: str) -> None:
                    signals.check()
                    progress(text)

                report = run(target, options, progress=step)
    except KeyboardInterrupt:
        pass  # before the run, or between two of its steps: the report says it is incomplete
    except Exception:
        # A second signal can land in the engine's own locking as it winds down (a
        # RuntimeError): the run was interrupted all the same.
        if signals.received is None:
            raise
    signals.armed = False  # the reports are written whatever comes now
    if signals.received is not None:
        report.interrupted = f"{signals.received.name} {report.interrupted or 'at the end'}"
    print_report(report, console)
    if junit_xml is not None:
        write_junit(report, junit_xml)
        console.print(f"JUnit XML: {junit_xml}")
    if html_report is not None:
        write_html(report, html_report)
        console.print(f"HTML report: {html_report}")
    if report_json is not None:
        write_json(report, report_json)
        console.print(f"JSON report: {report_json}")
    if report.incomplete:
        raise SystemExit(signals.exit_code)
    if report.errors:
        raise SystemExit(EXIT_UNREACHABLE)
    raise SystemExit(EXIT_OK if report.ok else EXIT_FINDINGS)
