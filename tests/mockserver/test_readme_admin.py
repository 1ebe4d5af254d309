"""Every ``curl`` example under ``/__mockgate`` in README.md runs as written (issue 17, item 7).

Each is run by the real curl, in README order, against a live mock of the API whose default
port it names (or, for ``mockgate proxy``'s examples, a live proxy of it), with only the host
and port changed and ``--fail`` added: an example refused for a missing header (415) or for its
body (400) fails here.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mockgate.apis.context import MockOptions
from mockgate.core.clock import Clock
from mockgate.mockserver.app import create_app
from mockgate.openapi.catalog import bundled_apis
from mockgate.proxy.app import create_proxy_app
from tests.live import serving

README = Path(__file__).parents[2] / "README.md"
START = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)
_LOCAL = re.compile(r"localhost:(\d+)")


def admin_examples(text: str) -> list[str]:
    """The ``curl`` commands naming ``/__mockgate`` in the bash blocks of ``text``, in order,
    each whole: with its continuation lines (a trailing backslash, or a quote still open)."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        command = ""
        for line in block.splitlines():
            command += line + "\n"
            if command.rstrip().endswith("\\") or not _complete(command):
                continue
            if command.lstrip().startswith("curl ") and "/__mockgate" in command:
                commands.append(command.strip())
            command = ""
    return commands


def _complete(command: str) -> bool:
    try:
        shlex.split(command, comments=True)
    except ValueError:  # a quotation still open
        return False
    return True


def proxied_apis(text: str) -> dict[int, str]:
    """Port -> API of the README's ``mockgate proxy API ... --port N`` examples."""
    return {
        int(port): api for api, port in re.findall(r"mockgate proxy (\S+) .*--port (\d+)", text)
    }


TEXT = README.read_text(encoding="utf-8")
EXAMPLES = admin_examples(TEXT)
MOCKED = {spec.default_port: name for name, spec in bundled_apis().items()}
PROXIED = proxied_apis(TEXT)


@pytest.fixture(scope="module")
def live() -> Iterator[dict[int, str]]:
    """README port -> ``127.0.0.1:PORT`` of a live mock (or proxy) standing in for it."""
    ports = {int(p) for example in EXAMPLES for p in _LOCAL.findall(example)}
    with ExitStack() as stack:
        urls: dict[int, str] = {}
        for port in sorted(ports, key=lambda p: p in PROXIED):  # the mocks first
            if port in MOCKED:
                clock = Clock(START, frozen=True)
                app = create_app(MOCKED[port], MockOptions(validate_responses=True), clock=clock)
            else:
                assert port in PROXIED, f"README names port {port}: neither a mock's nor a proxy's"
                api = PROXIED[port]
                mocked = urls.get(bundled_apis()[api].default_port)
                upstream = (
                    f"http://{mocked}"
                    if mocked
                    else stack.enter_context(
                        serving(create_app(api, clock=Clock(START, frozen=True)))
                    )
                )
                app = create_proxy_app(api, upstream)
            urls[port] = stack.enter_context(serving(app)).removeprefix("http://")
        yield urls


def test_the_readme_has_admin_examples_for_the_mock_and_the_proxy():
    assert len(EXAMPLES) >= 8
    assert all(e.count("'") % 2 == 0 for e in EXAMPLES)  # each command whole
    assert any('{"set": "now"}' in e for e in EXAMPLES)
    assert any('{"clock": true}' in e for e in EXAMPLES)
    assert {int(p) for e in EXAMPLES for p in _LOCAL.findall(e)} & set(PROXIED)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_every_admin_example_runs_as_written(live, tmp_path):
    # One test, in README order: an example may use what an earlier one made (a stub's id).
    failed = []
    for example in EXAMPLES:
        command = _LOCAL.sub(lambda m: live[int(m.group(1))], example)
        command = command.replace("curl ", "curl --fail --silent --show-error ", 1)
        done = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=30
        )
        if done.returncode != 0:
            failed.append(f"{example}\n  -> {done.stderr.strip()} {done.stdout.strip()}")
    assert failed == []
    assert (tmp_path / "state.json").read_text().startswith("{")  # `> state.json` wrote it
