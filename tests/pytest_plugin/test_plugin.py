"""The pytest plugin, used from a consumer project built by pytester."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CONFTEST = """
import pytest

@pytest.fixture
def mockgate_api():
    return "agentlens"
"""

KEY = {"Authorization": "Bearer als_mockgate_dev_key"}


def test_fixtures_serve_a_mock_reset_for_each_test(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        from datetime import timedelta

        KEY = {"Authorization": "Bearer als_mockgate_dev_key"}

        def test_delete_by_state_then_count(mockgate_mock):
            state = mockgate_mock.ctx.store
            sid = state.values("sessions")[0]["id"]
            state.delete("sessions", sid)
            r = mockgate_mock.client.get("/api/sessions", headers=KEY)
            assert r.json()["total"] == 39
            assert mockgate_mock.requests()[-1]["operation_id"] == "listSessions"

        def test_the_next_test_sees_the_seeded_state(mockgate_mock):
            r = mockgate_mock.client.get("/api/sessions", headers=KEY)
            assert r.json()["total"] == 40
            assert len(mockgate_mock.requests()) == 1

        def test_faults_and_clock(mockgate_mock):
            mockgate_mock.fault("listSessions", status=503, times=1)
            assert mockgate_mock.client.get("/api/sessions", headers=KEY).status_code == 503
            before = mockgate_mock.clock.now()
            mockgate_mock.clock.advance(timedelta(minutes=5))
            assert mockgate_mock.clock.now() - before >= timedelta(minutes=5)

        def test_live_mock_on_a_socket(mockgate_live_mock):
            import httpx
            assert mockgate_live_mock.base_url.startswith("http://127.0.0.1:")
            r = httpx.get(mockgate_live_mock.base_url + "/api/sessions", headers=KEY)
            assert r.status_code == 200
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_without_an_api_the_mock_fixture_says_how_to_choose_one(pytester):
    pytester.makepyfile("def test_it(mockgate_mock):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*override the `mockgate_api` fixture*"])


def run_suite(pytester, base_url: str, key: str, *extra: str):
    return pytester.runpytest(
        *("-p", "no:cacheprovider", "--mockgate-api", "agentlens"),
        *("--mockgate-base-url", base_url, "--mockgate-api-key", key),
        *("--mockgate-max-examples", "3", "--mockgate-seed", "1"),
        *extra,
    )


@pytest.mark.slow
def test_the_suite_runs_against_a_server_and_reports_each_check(pytester, live_agentlens):
    result = run_suite(pytester, live_agentlens, "als_mockgate_dev_key", "-v")
    result.assert_outcomes(passed=_checks("agentlens"))
    result.stdout.fnmatch_lines(["*mockgate[[]agentlens[]]::response_schema_conformance PASSED*"])


def test_a_refused_credential_fails_the_suite_item_saying_why(pytester, live_agentlens):
    result = run_suite(pytester, live_agentlens, "not-the-key")
    result.stdout.fnmatch_lines(["*FAILED mockgate[[]agentlens[]]::suite*"])
    result.stdout.fnmatch_lines(["*the credential was refused*"])


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


def test_ctrl_c_during_the_suite_interrupts_pytest_and_passes_no_check(pytester, live_agentlens):
    pytester.makeconftest(INTERRUPTING_CONFTEST)
    result = pytester.runpytest(
        *("-p", "no:cacheprovider", "--mockgate-api", "agentlens"),
        *("--mockgate-base-url", live_agentlens, "--mockgate-api-key", "als_mockgate_dev_key"),
        no_reraise_ctrlc=True,  # pytester would pass the inner run's Ctrl-C on to this run
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    assert result.parseoutcomes().get("passed", 0) == 0


def test_ini_keys_configure_the_suite(pytester):
    pytester.makeini("[pytest]\nmockgate_api = agentlens\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stderr.fnmatch_lines(["*--mockgate-api needs --mockgate-base-url*"])


def _checks(api: str) -> int:
    from mockgate.contracts.conformance import BUILTIN_DOCS
    from mockgate.contracts.registry import checks_for

    return 1 + len(BUILTIN_DOCS) + len(list(checks_for(api)))


@pytest.fixture(scope="module")
def live_agentlens():
    from mockgate.mockserver.handles import MockFactory

    factory = MockFactory()
    handle = factory.start("agentlens", live=True, seed=1)
    yield handle.base_url
    factory.close()
