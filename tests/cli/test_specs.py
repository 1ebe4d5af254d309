"""``mockgate specs list|show|validate`` through click's runner."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from mockgate.cli import cli
from mockgate.openapi.catalog import bundled_apis


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_every_api_with_title_operations_and_port():
    code, out, _ = run("specs", "list")
    assert code == 0
    for name, api in bundled_apis().items():
        row = next(line for line in out.splitlines() if f" {name} " in line)
        assert api.title[:20] in row
        assert f" {len(api.operations)}" in row
        assert str(api.default_port) in row


def test_show_prints_one_document_as_yaml_or_json():
    code, out, _ = run("specs", "show", "agentlens")
    assert code == 0
    assert (
        yaml.safe_load(out)["paths"].keys() == bundled_apis()["agentlens"].document["paths"].keys()
    )
    code, out, _ = run("specs", "show", "fasting", "--format", "json")
    assert code == 0
    assert json.loads(out)["openapi"] == "3.0.3"


def test_show_writes_to_a_file(tmp_path):
    target = tmp_path / "st.json"
    code, _, err = run("specs", "show", "state-tracking", "--format", "json", "--out", str(target))
    assert code == 0
    assert f"wrote {target}" in err
    assert json.loads(target.read_text())["servers"][0]["url"] == "http://localhost:3000"


def test_unknown_api_is_a_usage_error_naming_the_known_ones():
    code, _, err = run("specs", "show", "nope")
    assert code == 2
    assert "unknown API 'nope'; bundled: agentlens, fasting, piorchestrator, state-tracking" in err


def test_validate_passes_for_every_bundled_spec():
    code, out, err = run("specs", "validate")
    assert (code, err) == (0, "")
    assert sorted(out.splitlines()) == sorted(f"{n}.yaml: ok" for n in bundled_apis())


def test_validate_one_api_by_name():
    code, out, _ = run("specs", "validate", "piorchestrator")
    assert (code, out) == (0, "piorchestrator.yaml: ok\n")


def test_validate_a_broken_file_reports_located_problems_and_exits_1(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n"
        "      responses:\n        '200': {description: ok}\n",
        encoding="utf-8",
    )
    code, out, err = run("specs", "validate", str(broken))
    assert code == 1
    assert out == "broken.yaml: 1 problem(s)\n"
    assert f"{broken}:5:5: at paths./a.get: no operationId" in err
