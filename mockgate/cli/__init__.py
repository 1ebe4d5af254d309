"""The ``mockgate`` command line: a click group whose subcommands live one per module."""

from __future__ import annotations

from collections.abc import Sequence

import click

from mockgate import __version__
from mockgate.cli.coverage import coverage
from mockgate.cli.proxy import proxy
from mockgate.cli.serve import serve
from mockgate.cli.specs import specs
from mockgate.cli.state import state
from mockgate.cli.verify import verify

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mockgate")
def cli() -> None:
    """Contract specs, mocks and conformance suites for four HTTP APIs."""


cli.add_command(coverage)
cli.add_command(proxy)
cli.add_command(serve)
cli.add_command(specs)
cli.add_command(state)
cli.add_command(verify)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="mockgate")
