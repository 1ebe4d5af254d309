"""The ``mockgate`` command line: a click group whose subcommands live one per module."""

from __future__ import annotations

from collections.abc import Sequence

import click

from mockserver import __version__
from mockserver.cli.proxy import proxy
from mockserver.cli.serve import serve
from mockserver.cli.specs import specs
from mockserver.cli.state import state
from mockserver.cli.verify import verify

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mockgate")
def cli() -> None:
    """Contract specs, mocks and conformance suites for four HTTP APIs."""


cli.add_command(proxy)
cli.add_command(serve)
cli.add_command(specs)
cli.add_command(state)
cli.add_command(verify)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="mockgate")
