"""One self-contained HTML page: the verdict, a matrix of operations and checks, and every
failure with its reproduction. No external assets, so it can be archived as a CI artefact."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from mockgate.reports.evidence import reproduce_heading, response_evidence
from mockgate.reports.findings import Report
from mockgate.reports.text import printable

__all__ = ["render_html", "write_html"]

_ENV = Environment(
    loader=PackageLoader("mockgate.reports", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# Check docstrings write code as ``name``: shown as <code>name</code>, everything else escaped.
_ENV.filters["rst"] = lambda text: Markup(
    re.sub(r"``(.+?)``", r"<code>\1</code>", str(escape(text)))
)


def render_html(report: Report) -> str:
    matrix = report.matrix()
    checks = sorted({check for row in matrix.values() for check in row})

    def clean(value: object) -> object:
        """Every value the page shows without credentials or characters HTML cannot hold."""
        if isinstance(value, str) and not isinstance(value, Markup):
            return printable(report.secrets.redact(value))
        return value

    return (
        _ENV.overlay(finalize=clean)
        .get_template("report.html.j2")
        .render(
            evidence=response_evidence,
            reproduce_heading=reproduce_heading,
            report=report,
            matrix=matrix,
            operations=sorted(matrix),
            checks=checks,
            docs={name: report.check_docs.get(name, "") for name in checks},
        )
    )


def write_html(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
