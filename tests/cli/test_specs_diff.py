"""``mockgate specs diff OLD NEW [--usage FILE]`` through click's runner: the changes grouped by
severity, JSON, and the exit code with and without a consumer's coverage file."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from mockgate.cli import cli
from mockgate.openapi.catalog import get_api
from mockgate.reports.coverage import Coverage, dump_file

OLD = str(get_api("agentlens").path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["specs", "diff", *args])
    return result.exit_code, result.stdout, result.stderr


def new_spec(tmp_path: Path, *, status: str | None = None, drop_events: bool = False) -> str:
    """AgentLens with a session status added (breaking for readers of sessions) and/or without
    its ingest operation (breaking for whoever ingests), and an optional parameter added."""
    document = copy.deepcopy(get_api("agentlens").document)
    if status:
        document["components"]["schemas"]["SessionStatus"]["enum"].append(status)
    if drop_events:
        del document["paths"]["/api/events"]
    document["paths"]["/api/sessions"]["get"]["parameters"].append(
        {"name": "project", "in": "query", "schema": {"type": "string"}}
    )
    path = tmp_path / "agentlens-v2.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return str(path)


def usage_file(tmp_path: Path, *exchanges: dict[str, Any]) -> str:
    """A coverage file as ``mockgate serve --coverage-out`` writes it."""
    coverage = Coverage.for_spec(get_api("agentlens"))
    for exchange in exchanges:
        coverage.record(**exchange)
    path = tmp_path / "coverage.json"
    path.write_text(json.dumps(dump_file([coverage])), encoding="utf-8")
    return str(path)


READS_A_SESSION = {
    "operation_id": "getSession", "method": "GET", "path": "/api/sessions/s1", "status": 200,
    "path_params": {"id": "s1"},
    "response_body": {"id": "s1", "agentId": "a", "status": "active", "tags": []},
}  # fmt: skip
INGESTS = {
    "operation_id": "ingestEvents", "method": "POST", "path": "/api/events", "status": 201,
    "body": {"events": [{"sessionId": "s1", "agentId": "a", "eventType": "custom",
                         "payload": {}}]},
}  # fmt: skip


def test_breaking_changes_fail_listed_before_the_others(tmp_path):
    code, out, err = run(OLD, new_spec(tmp_path, status="idle"))
    assert (code, err) == (1, "")
    assert (
        out.splitlines()[0]
        == "agentlens.yaml → agentlens-v2.yaml: 2 breaking, 1 non-breaking change(s)"
    )
    breaking, non_breaking = out.split("\nBreaking:\n")[1].split("\nNon-breaking:\n")
    assert breaking.splitlines() == [
        "  GET /api/sessions  response 200 body.sessions[].status: enum value 'idle' added",
        "  GET /api/sessions/{id}  response 200 body.status: enum value 'idle' added",
    ]
    assert non_breaking.splitlines() == [
        "  GET /api/sessions  parameter query:project: added, optional"
    ]


def test_non_breaking_changes_only_pass(tmp_path):
    code, out, _ = run(OLD, new_spec(tmp_path))
    assert code == 0
    assert "0 breaking, 1 non-breaking" in out
    assert "Breaking" not in out


@pytest.mark.parametrize("target", [OLD, "agentlens"], ids=["file", "bundled-name"])
def test_a_spec_against_itself_has_no_change(target):
    code, out, _ = run(OLD, target)
    assert (code, out) == (
        0,
        "agentlens.yaml → agentlens.yaml: 0 breaking, 0 non-breaking change(s)\n",
    )


@pytest.mark.parametrize(
    ("exchanges", "code", "used", "warned"),
    [
        ((READS_A_SESSION,), 1, ["GET /api/sessions/{id}"], ["GET /api/sessions"]),
        ((INGESTS,), 0, [], ["GET /api/sessions", "GET /api/sessions/{id}"]),
    ],
    ids=["reads-session-status", "only-ingests"],
)
def test_with_usage_only_what_the_consumer_used_fails(tmp_path, exchanges, code, used, warned):
    usage = usage_file(tmp_path, *exchanges)
    result, out, _ = run(OLD, new_spec(tmp_path, status="idle"), "--usage", usage)
    assert result == code

    def operations(title: str) -> list[str]:
        if f"\n{title}:\n" not in out:
            return []
        section = out.split(f"\n{title}:\n")[1].split("\n\n")[0]
        return [line.split("  ")[1] for line in section.splitlines()]

    assert operations("Breaking, used by this consumer") == used
    assert operations("Breaking, not used by this consumer (warnings)") == warned


@pytest.mark.parametrize(
    ("exchanges", "code"),
    [((INGESTS,), 1), ((READS_A_SESSION,), 0)],
    ids=["ingests", "never-ingests"],
)
def test_a_removed_operation_fails_only_its_callers(tmp_path, exchanges, code):
    usage = usage_file(tmp_path, *exchanges)
    assert run(OLD, new_spec(tmp_path, drop_events=True), "--usage", usage)[0] == code


def test_json_lists_each_change_and_whether_the_consumer_used_it(tmp_path):
    usage = usage_file(tmp_path, READS_A_SESSION)
    code, out, _ = run(OLD, new_spec(tmp_path, status="idle"), "--usage", usage, "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert (report["breaking"], report["non_breaking"], report["failing"]) == (2, 1, 1)
    assert report["usage"] == [usage]
    assert [(c["operation"], c["severity"], c["used"]) for c in report["changes"]] == [
        ("GET /api/sessions", "non-breaking", None),
        ("GET /api/sessions", "breaking", False),
        ("GET /api/sessions/{id}", "breaking", True),
    ]
    assert report["changes"][2]["location"] == "response 200 body.status"


def test_usage_of_another_api_is_warned_about(tmp_path):
    fasting = Coverage.for_spec(get_api("fasting"))
    path = tmp_path / "fasting.json"
    path.write_text(json.dumps(fasting.to_json()), encoding="utf-8")
    code, _, err = run(OLD, new_spec(tmp_path, status="idle"), "--usage", str(path))
    assert code == 0
    assert "warning: the usage files show no call to an operation of agentlens.yaml" in err


@pytest.mark.parametrize(
    ("old", "new", "usage", "message"),
    [
        ("missing.yaml", OLD, None, "unknown API 'missing.yaml'"),
        (OLD, "list.yaml", None, "list.yaml is not an OpenAPI document"),
        (OLD, "broken.yaml", None, "broken.yaml:"),
        (OLD, OLD, "list.yaml", "list.yaml: Expecting value"),
        (OLD, OLD, "other.json", "not a mockgate coverage file"),
        (OLD, OLD, "nowhere.json", "nowhere.json:"),
    ],
    ids=[
        "old-missing",
        "not-openapi",
        "unreadable-yaml",
        "usage-not-json",
        "not-coverage",
        "usage-missing",
    ],
)
def test_usage_errors_exit_2(tmp_path, monkeypatch, old, new, usage, message):
    monkeypatch.chdir(tmp_path)
    Path("list.yaml").write_text("- 1\n- 2\n", encoding="utf-8")
    Path("broken.yaml").write_text("openapi: [\n", encoding="utf-8")
    Path("other.json").write_text('[{"mockgate_coverage": 1}]', encoding="utf-8")
    code, _, err = run(old, new, *(["--usage", usage] if usage else []))
    assert code == 2
    assert message in err
