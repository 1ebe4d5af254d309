"""The conformance suite as pytest items, in consumer projects built by pytester: collected only
when asked, counted and selected like any item, run once with the selected checks only, one
clear failure for a target it cannot use."""

from __future__ import annotations

import re
import time

import pytest

from tests.pytest_plugin.conftest import KEY, checks, configure

pytest_plugins = ["pytester"]

# Runs of schemathesis' engine go in a subprocess: pytester's in-process runs drop the modules
# first imported inside them, and a second run would mix two copies of schemathesis' classes.

CHECKS = checks("agentlens")


@pytest.mark.parametrize(
    "args",
    [(), ("test_models.py",), ("-m", "not slow"), ("-m", "not mockgate")],
    ids=["plain", "one-file", "unrelated-marker", "not-mockgate"],
)
def test_a_configured_suite_runs_only_when_asked(pytester, agentlens, args):
    configure(pytester, agentlens.base_url)
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["collected 1 item*"])
    assert "mockgate[" not in result.stdout.str()
    assert agentlens.requests() == []  # not even a reachability check


def test_the_header_says_a_configured_suite_is_not_run_and_how_to_run_it(pytester, agentlens):
    configure(pytester, agentlens.base_url)
    result = pytester.runpytest("test_models.py")
    result.stdout.fnmatch_lines(
        [
            f"mockgate: conformance suite for agentlens at {agentlens.base_url} configured; "
            "run it with --mockgate or -m mockgate"
        ]
    )


@pytest.mark.parametrize(
    ("args", "own"),
    [
        (("--mockgate",), 1),
        (("-m", "mockgate"), 0),
        (("-m", "mockgate or slow"), 0),
        (("--mockgate-api", "agentlens"), 1),
    ],
    ids=["flag", "marker", "marker-expression", "api-option"],
)
def test_asking_for_the_suite_collects_one_item_per_check(pytester, agentlens, args, own):
    configure(pytester, agentlens.base_url)
    result = pytester.runpytest("--co", "-q", *args)
    listed = [line for line in result.outlines if "::" in line]
    assert listed[own:] == [f"mockgate[agentlens]::{name}" for name in CHECKS]
    # The counts pytest prints are those of the items it lists.
    total = 1 + len(CHECKS)
    if own:
        result.stdout.fnmatch_lines([f"{total} tests collected in *"])
    else:
        result.stdout.fnmatch_lines([f"{len(CHECKS)}/{total} tests collected (1 deselected) in *"])
    assert agentlens.requests() == []  # collecting sends nothing


def test_k_selects_one_check_and_the_counts_add_up(pytester, agentlens):
    configure(pytester, agentlens.base_url)
    result = pytester.runpytest("--co", "-q", "--mockgate", "-k", "hash_chain")
    assert [line for line in result.outlines if "::" in line] == ["mockgate[agentlens]::hash_chain"]
    result.stdout.fnmatch_lines(
        [f"1/{1 + len(CHECKS)} tests collected ({len(CHECKS)} deselected)*"]
    )


@pytest.mark.slow  # a response check judges the engine's generated requests: it runs them
def test_a_selected_response_check_runs_alone(pytester, agentlens):
    configure(pytester, agentlens.base_url)
    # schemathesis as a library: its own pytest plugin can be left out of every run.
    result = pytester.runpytest_subprocess(
        "--mockgate", "-k", "hash_chain", "-v", "-p", "no:schemathesis"
    )
    result.assert_outcomes(passed=1, deselected=len(CHECKS))
    result.stdout.fnmatch_lines(
        [
            f"*collected {1 + len(CHECKS)} items / {len(CHECKS)} deselected / 1 selected",
            "*mockgate[[]agentlens[]]::hash_chain PASSED*",
        ]
    )


def test_a_selected_probe_sends_only_its_own_requests(pytester, agentlens):
    configure(pytester, agentlens.base_url)
    result = pytester.runpytest("--mockgate", "-k", "session_counters")
    result.assert_outcomes(passed=1, deselected=len(CHECKS))
    sent = agentlens.requests()
    # No generated request (the engine would POST events, send TRACE...): the reachability and
    # credential checks, then the probe's reads.
    assert {entry["method"] for entry in sent} == {"GET"}
    assert {entry["operation_id"] for entry in sent} == {
        None,  # GET / : is anything there?
        "listSessions",
        "getSession",
        "getSessionTimeline",
    }


def test_only_the_suite_item_sends_only_the_checks_before_the_run(pytester, agentlens):
    configure(pytester, agentlens.base_url)
    result = pytester.runpytest("--mockgate", "-k", "suite")
    result.assert_outcomes(passed=1, deselected=len(CHECKS))
    assert [entry["operation_id"] for entry in agentlens.requests()] == [
        None,
        "listSessions",
        "listSessions",
    ]


@pytest.mark.slow
def test_the_suite_runs_against_a_server_and_reports_each_check(pytester, agentlens):
    configure(pytester, agentlens.base_url)
    result = pytester.runpytest_subprocess("--mockgate", "--mockgate-seed", "1", "-v")
    result.assert_outcomes(passed=1 + len(CHECKS))
    result.stdout.fnmatch_lines(["*mockgate[[]agentlens[]]::response_schema_conformance PASSED*"])


@pytest.mark.parametrize(
    ("select", "failing"),
    [((), "suite"), (("-k", "hash_chain or page_walk"), "page_walk")],
    ids=["whole-suite", "two-checks"],
)
def test_an_unreachable_target_fails_one_item_and_skips_the_others(
    pytester, closed_port, select, failing
):
    url = f"http://127.0.0.1:{closed_port}"
    configure(pytester, url)
    started = time.monotonic()
    result = pytester.runpytest("--mockgate", "-rfs", *select)
    assert time.monotonic() - started < 5
    selected = len(CHECKS) if not select else 2
    result.assert_outcomes(passed=1 if not select else 0, failed=1, skipped=selected - 1)
    result.stdout.fnmatch_lines(
        [
            f"cannot reach {url}: *",
            "Check that the implementation runs there and that mockgate_base_url points at it.",
            f"FAILED mockgate[[]agentlens[]]::{failing} - cannot reach {url}*",
            f"SKIPPED [[]{selected - 1}[]] mockgate:1: target unreachable: see "
            f"mockgate[[]agentlens[]]::{failing}",
        ]
    )
    assert "ConnectError" not in result.stdout.str()


@pytest.mark.parametrize(
    ("keys", "given"),
    [
        (("--mockgate-api-key", "not-the-key"), "1 key(s) from --mockgate-api-key"),
        (("-o", "mockgate_api_keys=wrong-one second"), "2 key(s) from mockgate_api_keys in *"),
    ],
    ids=["option", "ini-two-keys-on-one-line"],
)
def test_a_refused_credential_fails_one_item_saying_which(pytester, agentlens, keys, given):
    configure(pytester, agentlens.base_url)
    result = pytester.runpytest("--mockgate", *keys)
    result.assert_outcomes(passed=1, failed=1, skipped=len(CHECKS) - 1)
    result.stdout.fnmatch_lines(
        [
            "the credential was refused (GET /api/sessions*401*",
            f"({given}; the first is used.)",
            "FAILED mockgate[[]agentlens[]]::suite*",
        ]
    )
    assert not re.search(r"wrong-one|not-the-key", result.stdout.str())  # never shown


def test_without_a_credential_one_item_says_how_to_give_one(pytester, agentlens):
    configure(pytester, agentlens.base_url, key=None)
    result = pytester.runpytest("-m", "mockgate", "-k", "suite or page_walk")
    result.assert_outcomes(failed=1, skipped=1, deselected=len(CHECKS) - 1)
    result.stdout.fnmatch_lines(
        [
            "agentlens requires credentials: *--mockgate-api-key*",
            "(no key given (--mockgate-api-key, or mockgate_api_keys in the ini file).)",
        ]
    )


def test_a_check_the_run_left_out_is_skipped_saying_why(pytester):
    from mockgate.mockserver.handles import MockFactory

    factory = MockFactory()
    try:
        target = factory.start("state-tracking", live=True, seed=1)
        configure(pytester, target.base_url, api="state-tracking", key="st_mockgate_dev_key")
        result = pytester.runpytest(
            "-m", "mockgate", "-k", "session_state_machine", "--mockgate-read-only", "-rs"
        )
    finally:
        factory.close()
    result.assert_outcomes(skipped=1, deselected=len(checks("state-tracking")))
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] mockgate:1: sends writes (read-only mode)"])


INTERRUPTING_CONFTEST = """
from mockgate.contracts import runner

_original = runner.run_conformance


def _interrupted(*args, **kwargs):
    raise KeyboardInterrupt


def pytest_configure(config):
    runner.run_conformance = _interrupted


def pytest_unconfigure(config):
    runner.run_conformance = _original
"""


def test_ctrl_c_during_the_suite_interrupts_pytest_and_passes_no_check(pytester, agentlens):
    configure(pytester, agentlens.base_url)
    pytester.makeconftest(INTERRUPTING_CONFTEST)
    result = pytester.runpytest(
        "-m",
        "mockgate",
        no_reraise_ctrlc=True,  # pytester would pass the inner run's Ctrl-C on to this run
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    assert result.parseoutcomes().get("passed", 0) == 0


def test_the_api_key_option_overrides_the_ini_keys(pytester, agentlens):
    configure(pytester, agentlens.base_url)
    result = pytester.runpytest(
        *("--mockgate", "-k", "suite", "-o", "mockgate_api_keys=wrong"),
        *("--mockgate-api-key", KEY),
    )
    result.assert_outcomes(passed=1, deselected=len(CHECKS))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("dist", "runs"),
    [("loadscope", {1}), ("loadfile", {1}), ("load", {1, 2})],
    ids=["loadscope", "loadfile", "load"],
)
def test_the_suite_under_xdist(pytester, agentlens, dist, runs):
    configure(pytester, agentlens.base_url)
    probes = "suite or page_walk or session_counters or paging_clamp"
    result = pytester.runpytest(
        "--mockgate", "-n", "2", "--dist", dist, "-k", f"models or {probes}"
    )
    result.assert_outcomes(passed=5)
    # Each run of the suite begins with one reachability check (GET /).
    assert len([e for e in agentlens.requests() if e["path"] == "/"]) in runs
    header = "mockgate: under --dist load each worker that gets a check of the suite runs *"
    if len(runs) > 1:
        result.stdout.fnmatch_lines([header])
    else:
        result.stdout.no_fnmatch_line(header)
