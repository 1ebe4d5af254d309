"""The plugin's mock fixtures, used from a consumer project built by pytester."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CONFTEST = """
import pytest

@pytest.fixture
def mockgate_api():
    return "agentlens"
"""


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


PER_WORKER = """
import os

import httpx
import pytest

KEY = {"Authorization": "Bearer als_mockgate_dev_key"}


@pytest.mark.parametrize("n", range(6), ids=lambda n: f"test{n}")
def test_each_test_gets_a_fresh_mock_of_its_worker(mockgate_mock, mockgate_live_mock, n):
    sessions = mockgate_mock.ctx.store.values("sessions")
    mockgate_mock.ctx.store.delete("sessions", sessions[0]["id"])
    assert mockgate_mock.client.get("/api/sessions", headers=KEY).json()["total"] == 39
    r = httpx.get(mockgate_live_mock.base_url + "/api/sessions", headers=KEY)
    assert r.json()["total"] == 40
    with open(os.environ["PORTS_FILE"], "a") as out:
        out.write(f"{os.environ['PYTEST_XDIST_WORKER']} {mockgate_live_mock.base_url}\\n")
"""


@pytest.mark.slow
def test_the_mock_fixtures_under_xdist_are_per_worker(pytester, monkeypatch):
    ports = pytester.path / "ports.txt"
    monkeypatch.setenv("PORTS_FILE", str(ports))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(PER_WORKER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=6)
    served = {tuple(line.split()) for line in ports.read_text().splitlines()}
    # Both workers ran tests, each with one live mock of its own, on ports of their own.
    assert sorted(worker for worker, _ in served) == ["gw0", "gw1"]
    assert len({url for _, url in served}) == 2
