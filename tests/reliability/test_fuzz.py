"""schemathesis against every mock, in-process, with a large example budget: valid and invalid
requests for every operation (the spec's examples, its boundary values, random data) and, where
the spec links operations, stateful sequences. No request may get a 5xx, and the run must not
crash. The mocks check their own responses (a response that breaks the spec is a 500, so this
catches those too).

The budget per operation is ``MOCKGATE_FUZZ_EXAMPLES`` (default ``DEFAULT_EXAMPLES``, sized for
CI); a thorough run: ``MOCKGATE_FUZZ_EXAMPLES=2000 pytest tests/reliability/test_fuzz.py``.
``MOCKGATE_FUZZ_SEED`` replays a run (default: a fixed seed, so CI is reproducible).
"""

from __future__ import annotations

import os

import pytest

from mockgate.contracts.conformance import ConformanceOptions, run_conformance
from mockgate.mockserver.app import create_app
from mockgate.openapi.catalog import get_api
from mockgate.reports.findings import Report
from tests.reliability.conftest import APIS, options_for

pytestmark = pytest.mark.slow

DEFAULT_EXAMPLES = 50
EXAMPLES = int(os.environ.get("MOCKGATE_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
SEED = int(os.environ.get("MOCKGATE_FUZZ_SEED", 1))


def _credentials(api: str, credentials: dict[str, dict[str, str]]) -> tuple[str, ...]:
    """The raw credential schemathesis sends through each security scheme of ``api``."""
    header = credentials[api]
    value = next(iter(header.values()), "")
    return (value.removeprefix("Bearer "),) if value else ()


@pytest.mark.parametrize("api", APIS)
def test_no_generated_request_gets_a_server_error(api, credentials):
    report = Report(api=api, target=f"in-process {api} mock")
    options = ConformanceOptions(
        max_examples=EXAMPLES,
        seed=SEED,
        include_checks=frozenset({"not_a_server_error"}),
        stateful=True,
    )
    app = create_app(api, **options_for(api))
    run_conformance(
        get_api(api), report, credentials=_credentials(api, credentials), options=options, app=app
    )
    ran = sum(n for (_, check), n in report.passed.items() if check == "not_a_server_error")
    assert ran or report.findings, f"{api}: schemathesis checked nothing: {report.errors}"
    assert not report.errors, f"{api}: the run crashed or could not generate:\n" + "\n".join(
        report.errors
    )
    assert not report.findings, f"{api}: {len(report.findings)} server error(s):\n" + "\n".join(
        f"- {f.operation}: {f.message[:400]}\n  {f.reproduction[-1] if f.reproduction else ''}"
        for f in report.findings
    )
