"""An interrupted run (Ctrl-C) ends early with what it found until then and says where it stopped;
it is never reported as complete. The signals themselves: ``tests/cli/test_verify_interrupt.py``."""

from __future__ import annotations

import _thread
import threading

import pytest

from mockgate.contracts import runner
from mockgate.contracts.conformance import ConformanceOptions
from mockgate.contracts.runner import Target, VerifyOptions, verify
from tests.contracts.conftest import AGENTLENS_KEY, SEED, agentlens_app


def _target() -> Target:
    return Target("agentlens", app=agentlens_app(), credentials=(AGENTLENS_KEY,))


def _options(max_examples: int = 2) -> VerifyOptions:
    return VerifyOptions(ConformanceOptions(max_examples=max_examples, seed=SEED))


def test_ctrl_c_in_the_schema_suite_skips_the_probes_and_keeps_what_was_found(monkeypatch):
    def interrupted_run(api, report, *, progress, **kwargs):
        progress("fuzzing: GET /api/sessions")
        report.passed[("listSessions", "not_a_server_error")] += 3
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_conformance", interrupted_run)
    heard: list[str] = []
    report = verify(_target(), _options(), progress=heard.append)
    assert report.interrupted == "during fuzzing: GET /api/sessions"
    assert report.passed[("listSessions", "not_a_server_error")] == 3
    assert not any(step.startswith("probe:") for step in heard)
    assert report.verdict == "interrupted"


def test_ctrl_c_in_a_probe_stops_there(monkeypatch):
    monkeypatch.setattr(runner, "run_conformance", lambda *args, **kwargs: None)
    heard: list[str] = []

    def progress(step: str) -> None:
        heard.append(step)
        if step == "probe: page_walk":
            raise KeyboardInterrupt

    report = verify(_target(), _options(), progress=progress)
    assert report.interrupted == "during probe: page_walk"
    assert heard[-1] == "probe: page_walk"  # no probe after it
    assert any(check == "paging_clamp" for _, check in report.passed)  # the one before it


@pytest.mark.slow
def test_ctrl_c_that_schemathesis_catches_still_ends_the_run_as_interrupted():
    # Ctrl-C lands wherever the main thread is, mostly in schemathesis' wait for its worker,
    # where schemathesis catches it and winds the run down as if it had completed.
    started = threading.Event()

    def progress(step: str) -> None:
        if step.startswith("fuzzing: ") and not started.is_set():
            started.set()
            threading.Timer(0.2, _thread.interrupt_main).start()

    report = verify(_target(), _options(max_examples=500), progress=progress)
    assert started.is_set()
    assert report.interrupted is not None
    assert report.interrupted.startswith("during fuzzing: ")
    assert report.passed  # what was checked until then
    assert not report.ok
