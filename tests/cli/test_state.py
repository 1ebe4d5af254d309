"""``mockgate state export|import|reset``: a state file, offline, through click's runner."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from mockgate.cli import cli
from mockgate.cli.state import ServedState
from mockgate.core.clock import Clock
from mockgate.core.store.sqlite import StateFile
from mockgate.core.stubs import Stub
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


# A saved clock outside the clock's range (an older mockgate let `POST /__mockgate/clock` set
# year 9999; or the file was edited by hand): `serve` says so and how out, `state reset` gets out.

YEAR_9999 = datetime(9999, 12, 31, 23, 59, 58, tzinfo=UTC).timestamp()


def with_clock(path: Path, now: object) -> dict:
    """A served file whose saved clock is then set to ``now``; the state it holds."""
    state = served(path, "state-tracking")["state-tracking"]
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE clock SET now = ?", (now,))
    db.close()
    return state


def serve(path: Path) -> tuple[int, str]:
    """`mockgate serve` through its entry point, up to where it opens the file (it stops there
    when the file cannot be used, before any server starts)."""
    result = CliRunner().invoke(cli, ["serve", "state-tracking", "--state-file", str(path)])
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("now", "problem"),
    [
        pytest.param(
            YEAR_9999,
            "9999-12-31T23:59:58.000Z is outside the clock's range, 1971-01-01T00:00:00.000Z "
            "to 9899-12-31T23:59:59.000Z",
            id="year-9999",
        ),
        pytest.param("later", "could not convert string to float: 'later'", id="not-a-number"),
    ],
)
def test_serve_refuses_a_saved_clock_it_cannot_use_in_one_line_with_the_way_out(path, now, problem):
    with_clock(path, now)
    code, out = serve(path)
    assert code == 2
    assert out.count("\n") == 1
    assert out.startswith(f"Error: {path}: its saved clock cannot be used ({problem}); ")
    assert f"`mockgate state reset {path} --clock-only` discards it and keeps the state" in out
    code, out = run("import", str(path), "/dev/null", "--api", "state-tracking")
    assert (code, out.count("\n")) == (2, 1)
    assert "its saved clock cannot be used" in out


def test_reset_clock_only_discards_an_unusable_clock_and_keeps_the_state(path):
    state = with_clock(path, YEAR_9999)
    code, out = run("reset", str(path), "--clock-only")
    assert (code, out) == (
        0,
        "clock: discarded (it could not be used); the next `mockgate serve` starts it from "
        "--clock/--start\n",
    )
    assert in_file(path, "state-tracking") == state
    later = datetime(2031, 5, 1, tzinfo=UTC)
    reopened = ServedState.open(str(path), Clock(later, frozen=True))
    try:
        assert reopened.clock.now() == later
        assert reopened.store("state-tracking", 1, "demo")[0].snapshot() == state
    finally:
        reopened.close()


def test_reset_always_gets_a_file_out_of_an_unusable_clock(path):
    with_clock(path, YEAR_9999)
    db = sqlite3.connect(path)
    with db:  # and records it cannot even decode
        db.execute("UPDATE records SET body = '{not json'")
    db.close()
    code, out = run("reset", str(path))
    assert code == 0, out
    assert out.splitlines() == [
        "clock: discarded (it could not be used); the next `mockgate serve` starts it from "
        "--clock/--start",
        "state-tracking: reset to dataset demo, seed 1",
    ]
    assert in_file(path, "state-tracking")["machines"]
    state_file = StateFile.open(path)
    try:
        assert state_file.saved_clock() is None
    finally:
        state_file.close()


def test_reset_clock_only_says_what_it_discarded_and_resets_nothing_else(path):
    state = served(path, "state-tracking")["state-tracking"]
    code, out = run("reset", str(path), "--clock-only")
    assert code == 0, out
    assert out.startswith("clock: discarded (it was 2026-01-19T12:00:00.000Z); ")
    assert in_file(path, "state-tracking") == state
    code, out = run("reset", str(path), "--clock-only", "--seed", "3")
    assert code == 2
    assert "--clock-only resets the clock alone" in out


def test_reset_refuses_a_file_that_is_not_ours_and_leaves_it_as_it_was(tmp_path):
    other = tmp_path / "app.db"  # someone's SQLite database, with a table named like ours
    db = sqlite3.connect(other)
    with db:
        db.execute("CREATE TABLE clock (now REAL)")
        db.execute("INSERT INTO clock VALUES (?)", (YEAR_9999,))
    db.close()
    before = other.read_bytes()
    damaged = tmp_path / "damaged.db"
    served(damaged, "state-tracking")
    data = bytearray(damaged.read_bytes())
    data[4096:] = b"Z" * (len(data) - 4096)  # every page but the header's
    damaged.write_bytes(bytes(data))
    for file, message in (
        (other, f"{other} is not a mockgate state file"),
        (damaged, f"{damaged}: database disk image is malformed"),
    ):
        for args in (["reset", str(file)], ["reset", str(file), "--clock-only"]):
            code, out = run(*args)
            assert (code, out) == (1, f"Error: {message}\n")
        assert serve(file) == (1, f"Error: {message}\n")
    assert other.read_bytes() == before


def test_reset_removes_the_stubs_as_the_admin_reset_does(path):
    served(path, "state-tracking")
    state = ServedState.open(str(path), Clock(START, frozen=True))
    store, _ = state.store("state-tracking", 1, "demo")
    stub = {"match": {"path": "/health/live"}, "response": {"status": 200}}
    state.stubs("state-tracking").add(Stub.from_json(stub))
    store.commit()
    state.close()

    code, out = run("reset", str(path))
    assert code == 0, out
    state = ServedState.open(str(path), Clock(START, frozen=True))
    try:
        assert len(state.stubs("state-tracking")) == 0
    finally:
        state.close()
