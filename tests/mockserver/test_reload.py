"""``mockgate serve --reload``: spec and dataset edits reach a running mock, valid state survives.

In-process tests drive ``Reloader.apply`` (what the file watcher calls) and talk to the mock
through the ``SwappableApp`` the servers use; one test runs the real CLI on a loopback port and
really edits files on disk.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import logging
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from mockgate.apis.context import MockOptions
from mockgate.cli import cli
from mockgate.core.clock import Clock
from mockgate.core.timestamps import parse_timestamp
from mockgate.mockserver.app import context_of, create_app
from mockgate.mockserver.reload import Reloader, merge_dataset, spec_files
from mockgate.openapi.catalog import ApiSpec, get_api

AUTH = {"Authorization": "Bearer als_mockgate_dev_key"}

# A new operation: served from its example the moment it is in the spec.
NEW_OPERATION = """paths:
  /api/reloaded:
    get:
      operationId: getReloaded
      security: []
      responses:
        '200':
          description: Proof that the edited spec is served.
          content:
            application/json:
              schema:
                type: object
              example:
                reloaded: true
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy (and return it), or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def ingest(client: Any, session_id: str, agent_id: str = "my-agent") -> None:
    event = {
        "sessionId": session_id,
        "agentId": agent_id,
        "eventType": "session_started",
        "timestamp": "2026-02-09T14:00:00.000Z",
        "payload": {"agentName": "Client"},
    }
    response = client.post("/api/events", json={"events": [event]}, headers=AUTH)
    assert response.status_code == 201, response.text


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    """A user's copy of the agentlens spec, to serve instead of the bundled one."""
    path = tmp_path / "agentlens.yaml"
    shutil.copy(get_api("agentlens").path, path)
    return path


def builder(api: str, dataset: str = "docs") -> Callable[..., Any]:
    """What ``mockgate serve`` hands the reloader: ``create_app`` with the options bound."""
    return functools.partial(create_app, options=MockOptions(dataset=dataset))


def served(dataset: str = "docs", spec: Path | None = None) -> tuple[Reloader, TestClient]:
    build = builder("agentlens", dataset)
    reloader = Reloader()
    app = reloader.add(build(ApiSpec("agentlens", spec) if spec else "agentlens"), build)
    return reloader, TestClient(app, base_url="http://localhost", raise_server_exceptions=False)


def reload(reloader: Reloader, *changed: Path) -> None:
    asyncio.run(reloader.apply({path.resolve() for path in changed}))


# --- spec edits --------------------------------------------------------------------------------


def test_a_spec_edit_is_served_and_client_records_survive(spec_copy, caplog):
    caplog.set_level(logging.INFO, logger="mockgate.reload")
    reloader, client = served(spec=spec_copy)
    ingest(client, "sess_client")
    client.post("/__mockgate/faults", json={"operation": "getSession", "status": 503})
    assert client.get("/api/reloaded").status_code == 404

    spec_copy.write_text(spec_copy.read_text().replace("paths:\n", NEW_OPERATION, 1))
    reload(reloader, spec_copy)

    assert client.get("/api/reloaded").json() == {"reloaded": True}
    ids = {s["id"] for s in client.get("/api/sessions", headers=AUTH).json()["sessions"]}
    assert ids == {"sess_01HXYZ", "sess_client"}
    # Journal and faults carried over: the fault still answers, the journal still holds the POST.
    assert client.get("/api/sessions/sess_client", headers=AUTH).status_code == 503
    journal = client.get("/__mockgate/requests").json()
    assert any(entry["path"] == "/api/events" for entry in journal["requests"])
    assert f"reloaded agentlens after changes to {spec_copy}" in caplog.text


def test_records_the_new_spec_rejects_are_dropped_with_why(spec_copy, caplog):
    caplog.set_level(logging.INFO, logger="mockgate.reload")
    reloader, client = served(spec=spec_copy)
    ingest(client, "sess_other", agent_id="other-bot")
    ingest(client, "sess_mine", agent_id="second-agent")

    text = spec_copy.read_text()
    agent_id = "        agentId:\n          type: string\n"
    assert agent_id in text
    spec_copy.write_text(text.replace(agent_id, agent_id + "          pattern: '-agent$'\n", 1))
    reload(reloader, spec_copy)

    ids = {s["id"] for s in client.get("/api/sessions", headers=AUTH).json()["sessions"]}
    assert ids == {"sess_01HXYZ", "sess_mine"}
    assert "dropped sessions/sess_other: not a valid Session['agentId']" in caplog.text
    assert "1 dropped as invalid" in caplog.text


def test_an_invalid_spec_keeps_the_old_app_and_a_fix_reloads(spec_copy, caplog):
    reloader, client = served(spec=spec_copy)
    ingest(client, "sess_client")
    good = spec_copy.read_text()
    lines = good.splitlines()
    spec_copy.write_text("\n".join([*lines[:10], "  : [unclosed", *lines[10:]]))

    reload(reloader, spec_copy)

    assert f"{spec_copy}:11:" in caplog.text  # located: file:line:column
    assert "still serving the previous one" in caplog.text
    assert client.get("/api/sessions/sess_client", headers=AUTH).status_code == 200

    spec_copy.write_text(good.replace("paths:\n", NEW_OPERATION, 1))
    reload(reloader, spec_copy)
    assert client.get("/api/reloaded").json() == {"reloaded": True}
    assert client.get("/api/sessions/sess_client", headers=AUTH).status_code == 200


def test_a_spec_that_no_longer_defines_a_stored_schema_is_refused(spec_copy, caplog):
    reloader, client = served(spec=spec_copy)
    text = spec_copy.read_text()
    spec_copy.write_text(
        text.replace("'#/components/schemas/Session'", "'#/components/schemas/S2'").replace(
            "    Session:\n", "    S2:\n", 1
        )
    )

    reload(reloader, spec_copy)

    assert "components/schemas/Session is gone" in caplog.text
    assert client.get("/api/sessions", headers=AUTH).json()["total"] == 1


def test_a_spec_edit_keeps_what_a_reset_knows_of_the_clock(spec_copy):
    clock = Clock(datetime(2026, 1, 19, 12, 0, tzinfo=UTC), frozen=True)
    build = functools.partial(create_app, options=MockOptions(), clock=clock)
    reloader = Reloader()
    app = reloader.add(build(ApiSpec("agentlens", spec_copy)), build)
    client = TestClient(app, base_url="http://localhost")
    assert client.post("/__mockgate/clock", json={"advance": "-30d"}).status_code == 200
    spec_copy.write_text(spec_copy.read_text().replace("paths:\n", NEW_OPERATION, 1))
    reload(reloader, spec_copy)
    headers = {"Content-Type": "application/json"}
    assert client.post("/__mockgate/reset", headers=headers).status_code == 204
    listed = client.get("/api/sessions?limit=100", headers=AUTH).json()["sessions"]
    assert max(parse_timestamp(s["startedAt"]) for s in listed) <= clock.now()


def test_only_the_api_whose_spec_changed_is_rebuilt(spec_copy):
    reloader = Reloader()
    apps = {}
    for api, spec in (("agentlens", ApiSpec("agentlens", spec_copy)), ("fasting", "fasting")):
        build = builder(api)
        apps[api] = reloader.add(build(spec), build)
    before = {api: app.app for api, app in apps.items()}
    assert spec_copy.resolve() in reloader.watched_files()

    spec_copy.write_text(spec_copy.read_text().replace("paths:\n", NEW_OPERATION, 1))
    reload(reloader, spec_copy)

    assert apps["agentlens"].app is not before["agentlens"]
    assert apps["fasting"].app is before["fasting"]


def test_spec_files_follow_references_to_other_files(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "session.yaml").write_text("$ref: '../common.yaml#/Id'\n")
    (tmp_path / "common.yaml").write_text("Id: {type: string}\n")
    main = tmp_path / "api.yaml"
    main.write_text("a: {$ref: 'schemas/session.yaml'}\nb: {$ref: '#/a'}\n")
    assert spec_files(ApiSpec("agentlens", main)) == {
        main,
        tmp_path / "schemas" / "session.yaml",
        tmp_path / "common.yaml",
    }


# --- dataset edits -----------------------------------------------------------------------------


def sessions(*records: tuple[str, str]) -> dict[str, Any]:
    """A dataset of agentlens sessions ``(id, agentName)``, each a copy of the documents' one."""
    base = context_of(create_app("agentlens", MockOptions(dataset="docs"))).store.snapshot()
    session, timeline = base["sessions"]["sess_01HXYZ"], base["timelines"]["sess_01HXYZ"]
    data: dict[str, Any] = {"sessions": {}, "timelines": {}}
    for sid, name in records:
        data["sessions"][sid] = {**copy.deepcopy(session), "id": sid, "agentName": name}
        events = [{**event, "sessionId": sid} for event in timeline["events"]]
        data["timelines"][sid] = {"sessionId": sid, "events": events}
    return data


def names(client: TestClient) -> dict[str, str]:
    listed = client.get("/api/sessions", headers=AUTH).json()["sessions"]
    return {s["id"]: s["agentName"] for s in listed}


def test_a_dataset_edit_merges_the_file_with_what_clients_did(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="mockgate.reload")
    file = tmp_path / "state.json"
    file.write_text(json.dumps(sessions(("a", "A"), ("b", "B"), ("d", "D"), ("gone", "G"))))
    reloader, client = served(str(file))
    # A client deletes a, changes b and creates c (through the admin API's state import).
    state = client.get("/__mockgate/state").json()
    del state["sessions"]["a"], state["timelines"]["a"]
    state["sessions"]["b"]["agentName"] = "B by client"
    state["sessions"]["c"] = {**state["sessions"]["d"], "id": "c", "agentName": "C by client"}
    assert client.put("/__mockgate/state", json=state).status_code in (200, 204)

    edited = sessions(("a", "A2"), ("b", "B2"), ("d", "D2"), ("e", "E2"))
    file.write_text(json.dumps(edited))
    reload(reloader, file)

    assert names(client) == {"b": "B by client", "c": "C by client", "d": "D2", "e": "E2"}
    assert "2 removed with the file" in caplog.text  # the session and its timeline
    # Back to the seeded state means back to the new file.
    reset = client.post("/__mockgate/reset", headers={"Content-Type": "application/json"})
    assert reset.status_code in (200, 204)
    assert names(client) == {"a": "A2", "b": "B2", "d": "D2", "e": "E2"}


def test_a_dataset_file_with_problems_changes_nothing(tmp_path, caplog):
    file = tmp_path / "state.yaml"
    file.write_text(json.dumps(sessions(("a", "A"))))
    reloader, client = served(str(file))
    file.write_text("sessions:\n  a:\n    id: 7\n")

    reload(reloader, file)

    assert f"{file}:3:" in caplog.text
    assert names(client) == {"a": "A"}


# --- the 3-way merge ---------------------------------------------------------------------------

OLD = {"s": {"same": {"v": 1}, "edited": {"v": 1}, "deleted": {"v": 1}, "dropped": {"v": 1}}}


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        pytest.param(OLD["s"], OLD["s"], OLD["s"], id="nothing-changed"),
        pytest.param(
            OLD["s"],
            {"same": {"v": 2}, "edited": {"v": 2}, "deleted": {"v": 2}, "added": {"v": 2}},
            {"same": {"v": 2}, "edited": {"v": 2}, "deleted": {"v": 2}, "added": {"v": 2}},
            id="untouched-records-follow-the-file",
        ),
        pytest.param(
            {"same": {"v": 1}, "edited": {"v": 9}, "dropped": {"v": 1}, "mine": {"v": 9}},
            {"same": {"v": 2}, "edited": {"v": 2}, "deleted": {"v": 2}, "mine": {"v": 2}},
            {"same": {"v": 2}, "edited": {"v": 9}, "mine": {"v": 9}},
            id="client-changes-win-and-deletions-stay",
        ),
        pytest.param(
            {"edited": {"v": 9}, "mine": {"v": 9}},
            {},
            {"edited": {"v": 9}, "mine": {"v": 9}},
            id="client-records-outlive-the-file",
        ),
    ],
)
def test_merge_dataset(current, new, expected):
    merged = merge_dataset(OLD, {"s": new}, {"s": current})
    assert merged.state == {"s": expected}
    assert list(merged.state["s"]) == list(expected)  # the new file's order first


def test_merge_dataset_counts_where_records_came_from():
    merged = merge_dataset(
        OLD,
        {"s": {"same": {"v": 2}, "edited": {"v": 2}, "new": {"v": 2}}, "t": {"x": {}}},
        {"s": {"same": {"v": 1}, "edited": {"v": 9}, "dropped": {"v": 1}, "mine": {}}},
    )
    assert (merged.from_file, merged.kept, merged.removed) == (3, 2, 1)
    assert merged.state["t"] == {"x": {}}


# --- through the CLI, with files really edited on disk -----------------------------------------


@pytest.mark.slow
def test_serve_reload_follows_edits_on_disk(tmp_path):
    spec = tmp_path / "agentlens.yaml"
    shutil.copy(get_api("agentlens").path, spec)
    good = spec.read_text()
    edited = good.replace("paths:\n", NEW_OPERATION, 1)
    port = free_port()
    args = ["serve", "agentlens", "--port", f"agentlens={port}", "--spec", f"agentlens={spec}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "mockgate", *args, "--dataset", "docs", "--reload"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: list[str] = []
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: log.extend(process.stderr or ()), daemon=True)
    reader.start()

    def logged(text: str) -> bool:
        return any(text in line for line in list(log))

    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            wait_until(lambda: logged("reloading on changes to") or process.poll(), "the watcher")
            assert process.poll() is None, "".join(log)
            ingest(client, "sess_client")

            saved_at = [0.0]

            def saved_and_reloaded() -> bool:
                if logged("reloaded agentlens after changes to"):
                    return True
                # Saved again now and then: the watcher logs its start just before it watches.
                if time.monotonic() - saved_at[0] > 2:
                    spec.write_text(edited)
                    saved_at[0] = time.monotonic()
                return False

            wait_until(saved_and_reloaded, "a reload")
            assert client.get("/api/reloaded").json() == {"reloaded": True}
            assert client.get("/api/sessions/sess_client", headers=AUTH).status_code == 200

            spec.write_text("openapi: 3.0.3\npaths: [\n")  # saved mid-edit
            wait_until(lambda: logged("agentlens not reloaded"), "the refusal")
            assert logged(f"{spec.resolve()}:3:1: at (document): not valid YAML")
            assert client.get("/api/reloaded").json() == {"reloaded": True}

            spec.write_text(good)  # fixed: the operation added above is gone again
            wait_until(lambda: client.get("/api/reloaded").status_code == 404, "the fix")
            assert client.get("/api/sessions/sess_client", headers=AUTH).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
        reader.join(timeout=5)
        process.stderr.close()
    assert process.returncode == 0, "".join(log)


# --- the options --------------------------------------------------------------------------------


def test_help_explains_reload_and_spec():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert "--reload" in result.output
    assert "--spec API=FILE" in result.output


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(
            "agentlens=missing.yaml", "agentlens=missing.yaml: no such file", id="missing"
        ),
        pytest.param("nope=spec.yaml", "expected API=VALUE with API one of", id="unknown-api"),
        pytest.param(
            "agentlens=broken.yaml",
            "broken.yaml:3:1: at (document): not valid YAML",
            id="invalid-located",
        ),
    ],
)
def test_bad_spec_options_are_refused_clearly(tmp_path, monkeypatch, value, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.yaml").write_text("openapi: 3.0.3\npaths: [\n")
    result = CliRunner().invoke(cli, ["serve", "agentlens", "--spec", value, "--reload"])
    assert result.exit_code != 0
    assert message in result.output
