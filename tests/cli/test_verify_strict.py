"""``mockgate verify``: advisories pass unless ``--strict``; every report names the seed;
``--list-checks`` says what each check's findings are and why."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from mockgate.cli import cli
from mockgate.contracts.conformance import BUILTIN_DOCS
from mockgate.contracts.registry import checks_for
from tests.contracts import variants as v
from tests.contracts.conftest import AGENTLENS_KEY, agentlens_app
from tests.live import serving

APIS = ["agentlens", "fasting", "piorchestrator", "state-tracking"]


def _verify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("api", APIS, ids=APIS)
def test_list_checks_gives_each_check_its_kind_and_why(api: str) -> None:
    code, out = _verify(api, "--list-checks")
    assert code == 0, out
    kinds = dict(re.findall(r"^(\w+)  (contract|advisory): \S", out, re.MULTILINE))
    names = {*BUILTIN_DOCS, *(c.name for c in checks_for(api))}
    assert set(kinds) == names
    assert kinds["unsupported_method"] == "advisory"
    assert {kinds[name] for name in names - {"unsupported_method"}} == {"contract"}


def _not_found_for_undeclared_methods() -> v.Mutation:
    def edit(request: v.Request, response: v.Response) -> v.Response:
        if request.operation_id is None:
            response.status = 404
            response.json = {"error": "Not found", "status": 404}
            response.headers = [(k, val) for k, val in response.headers if k != "allow"]
        return response

    return v.Mutation("404 for undeclared methods", response=edit)


@pytest.mark.slow
def test_an_advisory_fails_the_run_only_with_strict(tmp_path: Path) -> None:
    variant = v.Variant(agentlens_app(), "agentlens", _not_found_for_undeclared_methods())
    with serving(variant) as url:
        runs = {}
        for mode in ("lenient", "strict"):
            junit, data = tmp_path / f"{mode}.xml", tmp_path / f"{mode}.json"
            args = [
                "agentlens",
                "--base-url",
                url,
                "--api-key",
                AGENTLENS_KEY,
                "--checks",
                "unsupported_method,not_a_server_error",
                "--max-examples",
                "2",
                "--seed",
                "3",
                "--junit-xml",
                str(junit),
                "--report-json",
                str(data),
                *(["--strict"] if mode == "strict" else []),
            ]
            runs[mode] = (*_verify(*args), ET.parse(junit).getroot(), json.loads(data.read_text()))
    code, out, junit_root, report = runs["lenient"]
    assert code == 0, out
    assert "agentlens: conforms" in out
    assert "advisory · unsupported_method" in out
    assert "seed 3" in out
    suite = junit_root.find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"
    assert {p.get("name"): p.get("value") for p in suite.iter("property")}["seed"] == "3"
    assert any(
        case.get("name") == "unsupported_method (advisory)" for case in suite.iter("testcase")
    )
    assert report["seed"] == 3
    assert {f["kind"] for f in report["findings"]} == {"advisory"}

    code, out, junit_root, report = runs["strict"]
    assert code == 1, out
    assert "agentlens: does not conform" in out
    suite = junit_root.find("testsuite")
    assert suite is not None
    assert suite.get("failures") != "0"
    assert {f.get("type") for f in suite.iter("failure")} == {"advisory"}
    assert report["strict"] is True
    assert report["ok"] is False
