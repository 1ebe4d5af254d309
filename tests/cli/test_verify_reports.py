"""``mockgate verify``'s reports against a broken server that echoes the credentials it gets:
none of its outputs holds one, and a finding's reproduction, pasted into bash with the
variable it names set, gets the same answer again."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from mockgate.cli import cli
from tests.contracts.conftest import fasting_app, fasting_tokens
from tests.contracts.leaks import leaky_fasting
from tests.live import serving

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Run:
    url: str
    tokens: tuple[str, str]
    exit_code: int
    outputs: dict[str, str]  # what the run printed and each file it wrote

    @property
    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.outputs["report.json"])
        return data


@pytest.fixture(scope="module")
def verified(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    app = fasting_app()
    tokens = fasting_tokens(app)
    folder = tmp_path_factory.mktemp("reports")
    with serving(leaky_fasting(app)) as url:
        result = CliRunner().invoke(
            cli,
            [
                "verify",
                "fasting",
                "--base-url",
                url,
                "--api-key",
                tokens[0],
                "--api-key",
                tokens[1],
                "--max-examples",
                "5",
                "--seed",
                "1",
                "--junit-xml",
                str(folder / "junit.xml"),
                "--report",
                str(folder / "report.html"),
                "--report-json",
                str(folder / "report.json"),
            ],
        )
        outputs = {"console": result.output}
        outputs |= {path.name: path.read_text("utf-8") for path in folder.iterdir()}
        yield Run(url, (tokens[0], tokens[1]), result.exit_code, outputs)


def test_no_output_holds_a_credential(verified: Run) -> None:
    assert verified.exit_code == 1, verified.outputs["console"]
    assert set(verified.outputs) == {"console", "junit.xml", "report.html", "report.json"}
    for name, text in verified.outputs.items():
        for token in verified.tokens:
            assert token not in text, f"{name} shows a credential"
            assert quote(token, safe="") not in text, f"{name} shows it URL-encoded"
        assert "MOCKGATE_API_KEY" in text, f"{name} does not say where the credential went"


def _bash(command: str, env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        env={"PATH": os.environ.get("PATH", "")} | env,
        timeout=30,
        check=True,
    )
    text = done.stdout.decode("utf-8", "replace")
    status = re.match(r"HTTP/[\d.]+ (\d{3})", text)
    assert status, text[:300]
    return int(status.group(1)), text


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_a_reproduction_pasted_with_its_variables_gets_the_same_answer(verified: Run) -> None:
    findings = verified.report["findings"]
    with_credential = [f for f in findings if f["requires"] and f.get("response")]
    assert {f["check"] for f in with_credential} >= {"completed_only", "user_isolation"}
    env = {"MOCKGATE_API_KEY": verified.tokens[0], "MOCKGATE_API_KEY_2": verified.tokens[1]}
    for finding in with_credential:
        command = finding["reproduction"][-1]
        assert command.startswith("curl ")
        assert verified.url in command
        status, text = _bash(command, env)
        assert status == finding["response"]["status"], (finding["check"], text[:300])
        if finding["check"] == "completed_only":
            # The same defect, served to the same user: the credential went where it should.
            assert f"token={verified.tokens[0]}" in text
    # Without the variables, the same command is refused: the credential is really read.
    status, _ = _bash(with_credential[0]["reproduction"][-1], {})
    assert status == 401
