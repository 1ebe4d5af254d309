"""``mockgate state export|import|reset``: a state file, offline, through click's runner."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from mockgate.cli import cli
from mockgate.cli.state import ServedState
from mockgate.core.clock import Clock
from mockgate.core.store.sqlite import StateFile
from mockgate.openapi.catalog import bundled_apis

START = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["state", *args])
    return result.exit_code, result.output


def served(path: Path, *apis: str, dataset: str = "demo") -> dict[str, dict]:
    """A state file as `mockgate serve --state-file` leaves it, and each API's state."""
    state = ServedState.open(str(path), Clock(START, frozen=True))
    try:
        return {api: state.store(api, 1, dataset)[0].snapshot() for api in apis}
    finally:
        state.close()


def in_file(path: Path, api: str) -> dict:
    state_file = StateFile.open(path)
    try:
        return state_file.records(api)
    finally:
        state_file.close()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


def test_export_prints_one_api_state_like_the_admin_api(path):
    seeded = served(path, "state-tracking")
    code, out = run("export", str(path))
    assert code == 0, out
    assert json.loads(out) == seeded["state-tracking"]


def test_export_keys_several_apis_by_name_unless_one_is_chosen(path, tmp_path):
    seeded = served(path, "state-tracking", "fasting")
    code, out = run("export", str(path))
    assert code == 0, out
    assert json.loads(out) == seeded
    target = tmp_path / "fasting.json"
    code, out = run("export", str(path), "--api", "fasting", "-o", str(target))
    assert (code, out) == (0, "")
    assert json.loads(target.read_text()) == seeded["fasting"]


def test_import_replaces_one_api_state_and_reset_brings_the_seed_back(path, tmp_path):
    seeded = served(path, "state-tracking", "fasting")
    state = seeded["state-tracking"]
    dropped = next(iter(state["machines"]))
    del state["machines"][dropped]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(state))

    code, out = run("import", str(path), str(edited), "--api", "state-tracking")
    assert code == 0, out
    assert in_file(path, "state-tracking") == state
    assert in_file(path, "fasting") == seeded["fasting"]

    code, out = run("reset", str(path), "--api", "state-tracking")
    assert code == 0, out
    assert "state-tracking: reset to dataset demo, seed 1" in out
    assert dropped in in_file(path, "state-tracking")["machines"]


def test_reset_goes_back_to_a_dataset_file_it_was_seeded_from(path, tmp_path, monkeypatch):
    dataset = tmp_path / "mine.json"
    dataset.write_text(json.dumps({"machines": {}, "sessions": {}}))
    monkeypatch.chdir(tmp_path)
    served(path, "state-tracking", dataset="mine.json")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the file's path was saved absolute
    code, out = run("reset", str(path))
    assert code == 0, out
    assert in_file(path, "state-tracking") == {"machines": {}, "sessions": {}}


# agentlens' demo is ~1 MB of JSON, which the dataset loader's pure-Python YAML parser takes ~7 s
# to read: its docs dataset has the same kinds of records.
ROUND_TRIPS = {api: "docs" if api == "agentlens" else "demo" for api in bundled_apis()}


def test_reset_can_switch_the_dataset_for_good(path):
    served(path, "state-tracking")
    code, out = run("reset", str(path), "--dataset", "empty", "--seed", "5")
    assert code == 0, out
    assert "state-tracking: reset to dataset empty, seed 5" in out
    empty = in_file(path, "state-tracking")
    assert run("reset", str(path))[1] == "state-tracking: reset to dataset empty, seed 5\n"
    assert in_file(path, "state-tracking") == empty
    assert not any(empty.get(name) for name in ("machines", "sessions", "tasks"))


def test_a_server_still_starts_when_the_dataset_file_is_gone(path, tmp_path, capsys):
    dataset = tmp_path / "mine.json"
    dataset.write_text(json.dumps({"machines": {}, "sessions": {}}))
    served(path, "state-tracking", dataset=str(dataset))
    dataset.unlink()
    state = ServedState.open(str(path), Clock(START, frozen=True))
    try:
        store, _ = state.store("state-tracking", 1, "demo")
        store.put("machines", "m", {"machine_id": "m"})
        store.reset()
        assert store.snapshot() == {"machines": {}, "sessions": {}}
    finally:
        state.close()
    out = capsys.readouterr().out
    assert "a reset returns to the state restored now" in out
    assert "--seed/--dataset ignored" in out
    code, out = run("reset", str(path))
    assert code != 0
    assert f"dataset {dataset}" in out
    assert "not a file" in out


@pytest.mark.parametrize(("api", "dataset"), ROUND_TRIPS.items(), ids=list(ROUND_TRIPS))
def test_an_export_imports_back_unchanged(path, tmp_path, api, dataset):
    seeded = served(path, api, dataset=dataset)
    exported = tmp_path / "export.json"
    assert run("export", str(path), "-o", str(exported))[0] == 0
    code, out = run("import", str(path), str(exported), "--api", api)
    assert code == 0, out
    assert in_file(path, api) == seeded[api]


def test_import_checks_records_against_the_spec_and_changes_nothing_when_wrong(path, tmp_path):
    seeded = served(path, "state-tracking")
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "machines": {\n    "m": {"machine_id": 42}\n  },\n  "nope": {}\n}\n')
    code, out = run("import", str(path), str(bad), "--api", "state-tracking")
    assert code != 0
    assert f"{bad}:3:" in out
    assert "not a valid Machine" in out
    assert "nope" in out
    assert "unknown collection" in out
    assert in_file(path, "state-tracking") == seeded["state-tracking"]


def test_import_refuses_what_is_not_a_state_shape(path, tmp_path):
    served(path, "state-tracking")
    bad = tmp_path / "bad.json"
    bad.write_text('{"machines": []}')
    code, out = run("import", str(path), str(bad), "--api", "state-tracking")
    assert code != 0
    assert "expected an object of records keyed by id" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("export", "{missing}"), "no such state file", id="missing-file"),
        pytest.param(("reset", "{text}"), "is not a mockgate state file", id="not-a-state-file"),
        pytest.param(
            ("export", "{state}", "--api", "fasting"),
            "holds no state of fasting",
            id="api-not-in-file",
        ),
        pytest.param(("export", "{state}", "--api", "nope"), "bundled APIs are", id="unknown-api"),
        pytest.param(
            ("import", "{state}", "{text}"), "Missing option '--api'", id="import-needs-api"
        ),
    ],
)
def test_bad_use_is_refused_clearly(path, tmp_path, args, message):
    served(path, "state-tracking")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    names = {"missing": tmp_path / "missing.db", "text": text, "state": path}
    code, out = run(*(a.format(**names) for a in args))
    assert code != 0
    assert message in out


def test_a_file_in_use_by_a_server_is_left_alone(path):
    served(path, "state-tracking")
    server = StateFile.open(path)  # as a running `mockgate serve` holds it
    try:
        for command in ("export", "reset"):
            code, out = run(command, str(path))
            assert code != 0
            assert "is in use by another process (a running `mockgate serve`?)" in out
    finally:
        server.close()


def test_serve_refuses_a_state_file_it_cannot_use(path, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    result = CliRunner().invoke(cli, ["serve", "state-tracking", "--state-file", str(text)])
    assert result.exit_code != 0
    assert "is not a mockgate state file" in result.output
    assert text.read_text() == "hello"
    served(path, "state-tracking")
    server = StateFile.open(path)  # another server has it
    try:
        result = CliRunner().invoke(cli, ["serve", "state-tracking", "--state-file", str(path)])
    finally:
        server.close()
    assert result.exit_code != 0
    assert "is in use by another process" in result.output
