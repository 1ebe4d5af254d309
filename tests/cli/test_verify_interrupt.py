"""``mockgate verify`` stopped by a signal, as CI and a person at a terminal stop it: a real
``mockgate serve`` and a real ``python -m mockgate verify`` process, interrupted mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from xml.etree import ElementTree as ET

import pytest

from tests.reliability.served import serve


@pytest.fixture(scope="module")
def agentlens_url(tmp_path_factory):
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with serve(("agentlens",), "--log-level", "warning", "--no-access-log", log=log) as urls:
        yield urls["agentlens"]


def _started_checking(process: subprocess.Popen[str]) -> str:
    """The output until the first operation is being fuzzed (the run is well under way)."""
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        assert line, f"verify ended before checking:\n{''.join(seen)}"
        seen.append(line)
        if line.strip().startswith("fuzzing: "):
            return "".join(seen)
    raise AssertionError(f"no progress line within 60 s:\n{''.join(seen)}")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "exit_code"),
    [
        pytest.param(signal.SIGINT, 130, id="sigint"),
        pytest.param(signal.SIGTERM, 143, id="sigterm"),
    ],
)
def test_an_interrupted_run_is_never_a_pass(agentlens_url, tmp_path, signum, exit_code):
    junit, html = tmp_path / "junit.xml", tmp_path / "report.html"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockgate",
            "verify",
            "agentlens",
            "--base-url",
            agentlens_url,
            "--api-key",
            "als_mockgate_dev_key",
            "--max-examples",
            "2000",  # minutes of fuzzing: the signal lands mid-run
            "--junit-xml",
            str(junit),
            "--report",
            str(html),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        out = _started_checking(process)
        process.send_signal(signum)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    out += rest
    name = signal.Signals(signum).name

    assert process.returncode == exit_code, out
    assert "agentlens: interrupted" in out
    assert f"{name} during fuzzing: " in out
    assert "listSessions" in out  # the table of what was checked until then
    assert "conforms" not in out
    assert "Traceback" not in out

    suite = ET.parse(junit).getroot().find("testsuite")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["incomplete"] == "true"
    assert suite.get("errors") == "1"
    [case] = [c for c in suite.iter("testcase") if c.get("name") == "interrupted"]
    message = case.find("error").get("message")
    assert message.startswith(f"interrupted ({name} during fuzzing: ")
    assert message.endswith("the run is incomplete")

    page = html.read_text()
    assert "<title>mockgate · agentlens · interrupted</title>" in page
    assert f"Interrupted ({name} during fuzzing: " in page
