"""A run given real credentials against a server that echoes them: no rendering of its report
holds one, and the reproductions read them from their variables."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

from rich.console import Console

from mockgate.contracts.conformance import ConformanceOptions
from mockgate.contracts.runner import Target, VerifyOptions, verify
from mockgate.reports.console import print_report
from mockgate.reports.html import write_html
from mockgate.reports.jsonreport import write_json
from mockgate.reports.junit import write_junit
from tests.contracts.conftest import describe, fasting_app, fasting_tokens, run
from tests.contracts.leaks import leaky_fasting


def test_no_output_of_a_run_holds_its_credentials(tmp_path: Path) -> None:
    app = fasting_app()
    tokens = fasting_tokens(app)[:2]
    report = run("fasting", leaky_fasting(app), tokens, max_examples=5)
    found = {f.check for f in report.findings}
    assert {"completed_only", "user_isolation"} <= found, describe(report.findings)
    # The evidence the findings carry holds the tokens: the renderings must leave them out.
    assert any(tokens[0].encode() in e.content for f in report.findings for e in f.exchanges)

    console = io.StringIO()
    print_report(report, Console(file=console, width=120, color_system=None))
    write_junit(report, tmp_path / "junit.xml")
    write_html(report, tmp_path / "report.html")
    write_json(report, tmp_path / "report.json")
    outputs = {
        "console": console.getvalue(),
        **{path.name: path.read_text("utf-8") for path in tmp_path.iterdir()},
    }
    for name, text in outputs.items():
        for token in tokens:
            assert token not in text, f"{name} shows a credential"
            assert quote(token, safe="") not in text, f"{name} shows a credential, URL-encoded"
        # ... and says where the credentials went instead.
        assert "$MOCKGATE_API_KEY" in text, name
    reproductions = "\n".join(step for f in report.findings for step in f.reproduction)
    assert "$MOCKGATE_API_KEY_2" in reproductions  # the second user's requests, by its variable
    assert "[Filtered]" not in reproductions  # a runnable command, not schemathesis' mask


def test_reproductions_name_where_the_credentials_were_given() -> None:
    # The pytest plugin gives its keys as --mockgate-api-key: "set MOCKGATE_API_KEY to the
    # first --api-key" would send its user looking for an option pytest does not have.
    app = fasting_app()
    tokens = fasting_tokens(app)[:1]
    target = Target(
        "fasting", app=app, credentials=tokens, credentials_given_by="--mockgate-api-key"
    )
    options = VerifyOptions(ConformanceOptions(max_examples=1, read_only=True), probes=False)
    report = verify(target, options)
    assert [s.source for s in report.secrets] == ["the first --mockgate-api-key"]
