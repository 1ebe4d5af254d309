"""The seed datasets: complete, consistent, valid against the spec, deterministic."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator

from mockgate.apis.context import MockOptions
from mockgate.apis.datasets import DatasetError
from mockgate.apis.state_tracking import API
from mockgate.apis.state_tracking.dataset import docs_dataset, empty_dataset, generate
from mockgate.apis.state_tracking.sessions import LIVE, STATUSES
from mockgate.apis.state_tracking.tasks import STATUSES as TASK_STATUSES
from mockgate.core.timestamps import parse_timestamp
from mockgate.mockserver.app import create_app
from mockgate.openapi.catalog import get_api

NOW = datetime(2026, 1, 19, 12, 0, 0, 123456, tzinfo=UTC)
SEEDS = [pytest.param(seed, id=f"seed-{seed}") for seed in (1, 2, 3, 42)]


@pytest.fixture(scope="module")
def schemas():
    found = get_api("state-tracking").resolved["components"]["schemas"]
    return {
        name: OAS30ReadValidator(found[name], format_checker=OAS30Validator.FORMAT_CHECKER)
        for name in ("Session", "Task", "Machine")
    }


def at(stamp: str | None) -> datetime:
    assert stamp is not None
    return parse_timestamp(stamp)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_demo_records_are_valid_api_records(seed, schemas):
    demo = generate(seed, NOW)
    for collection, schema in API.record_schemas.items():
        for record in demo[collection].values():
            assert list(schemas[schema].iter_errors(record)) == [], record
    assert set(demo) <= set(API.record_schemas) | set(API.internal_collections)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_demo_has_every_status(seed):
    demo = generate(seed, NOW)
    sessions = Counter(s["status"] for s in demo["sessions"].values())
    assert set(sessions) == set(STATUSES)
    assert set(Counter(t["status"] for t in demo["tasks"].values())) == set(TASK_STATUSES)
    machines = Counter(m["status"] for m in demo["machines"].values())
    assert machines == {"online": 4, "offline": 1, "maintenance": 1}
    project = {s["status"] for s in demo["sessions"].values() if s["project_id"] == "123"}
    assert project == set(STATUSES)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_demo_references_and_slots_agree(seed):
    demo = generate(seed, NOW)
    sessions, tasks, machines = demo["sessions"], demo["tasks"], demo["machines"]
    holders = {}
    for machine in machines.values():
        assert list(machine["assigned_sessions"]) == [str(s) for s in machine["docker_slots"]]
        for slot, holder in machine["assigned_sessions"].items():
            if holder is not None:
                holders[holder] = (machine["machine_id"], int(slot))
    for sid, session in sessions.items():
        assert session["machine_id"] in machines
        assert session["project_id"] in demo["projects"]
        assert session["docker_slot"] in machines[session["machine_id"]]["docker_slots"]
        if session["status"] in LIVE:
            assert holders.pop(sid) == (session["machine_id"], session["docker_slot"])
        current = tasks.get(session["current_task_id"])
        assert current is not None
        assert current["session_id"] == sid
    assert holders == {}, "only live sessions hold slots"
    for task in tasks.values():
        assert sessions[task["session_id"]]["project_id"] == task["project_id"]
    failed = {sid for sid, s in sessions.items() if s["status"] == "failed"}
    assert set(demo["failures"]) == failed


@pytest.mark.parametrize("seed", SEEDS)
def test_the_demo_timestamps_are_in_order(seed):
    demo = generate(seed, NOW)
    for session in demo["sessions"].values():
        started, heard = at(session["started_at"]), at(session["last_heartbeat"])
        assert started <= heard <= NOW
        registered = at(demo["machines"][session["machine_id"]]["created_at"])
        assert registered <= started
        if session["completed_at"] is not None:
            assert heard <= at(session["completed_at"]) <= NOW
        if "archived_at" in session:
            assert at(session["completed_at"]) < at(session["archived_at"]) <= NOW
        for task in demo["tasks"].values():
            if task["session_id"] != session["session_id"]:
                continue
            moments = [task["created_at"], task["started_at"], task["completed_at"]]
            stamps = [at(m) for m in moments if m is not None]
            assert stamps == sorted(stamps)
            assert started <= stamps[0]
            assert stamps[-1] <= at(task["updated_at"]) <= NOW


@pytest.mark.parametrize("seed", SEEDS)
def test_the_demo_has_the_real_servers_fields(seed):
    demo = generate(seed, NOW)
    for machine in demo["machines"].values():
        assert set(machine["metadata"]) == {"os", "cpu", "memory"}
        assert machine["updated_at"] == machine["last_heartbeat"]
    assert demo["machines"]["macbook-pro-m1"]["metadata"]["os"].startswith("macOS")
    for session in demo["sessions"].values():
        assert session["created_at"] == session["started_at"]
        last = session.get("archived_at") or session["completed_at"] or session["last_heartbeat"]
        assert session["updated_at"] == last


def test_the_demo_is_the_same_bytes_for_the_same_seed():
    first = json.dumps(generate(5, NOW), ensure_ascii=False)
    assert json.dumps(generate(5, NOW), ensure_ascii=False) == first
    assert API.seed("demo", 5, NOW) == json.loads(first)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_documented_workflows_find_what_they_need(seed):
    demo = generate(seed, NOW)
    machines = list(demo["machines"].values())
    assert [m["machine_id"] for m in machines[:2]] == ["macbook-pro-m1", "macbook-air-m2"]
    pro, air = machines[0]["assigned_sessions"], machines[1]["assigned_sessions"]
    assert (pro["1"], pro["2"], air["2"]) == (None, None, None)
    assert {"machine:macbook-pro-m1", "machine:macbook-air-m2"} <= set(demo["pulses"])


@pytest.mark.parametrize("seed", SEEDS)
def test_the_demo_has_named_and_blocked_tasks(seed):
    demo = generate(seed, NOW)
    tasks = list(demo["tasks"].values())
    names = [t["task_name"] for t in tasks]
    assert None in names
    assert sum(isinstance(n, str) for n in names) > len(tasks) / 2
    (paused,) = [s for s in demo["sessions"].values() if s["status"] == "paused"]
    current = demo["tasks"][paused["current_task_id"]]
    assert current["status"] == "blocked"
    assert current["started_at"] is not None
    blocked = {t["session_id"] for t in tasks if t["status"] == "blocked"}
    assert {demo["sessions"][sid]["status"] for sid in blocked} <= set(LIVE)


def test_the_demo_is_determined_by_seed_and_now():
    assert generate(7, NOW) == generate(7, NOW)
    assert generate(7, NOW) != generate(8, NOW)
    later = generate(7, NOW + timedelta(hours=1))
    assert list(later["sessions"]) == list(generate(7, NOW)["sessions"])
    assert later != generate(7, NOW)


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="naive"):
        generate(1, datetime(2026, 1, 19))


def test_the_plugin_hands_out_fresh_copies():
    first = API.seed("demo", 1, NOW)
    first["sessions"].clear()
    assert API.seed("demo", 1, NOW)["sessions"]


def test_the_docs_dataset_holds_the_documents_records(doc_examples, schemas):
    docs = docs_dataset()
    assert list(docs["sessions"].values()) == [doc_examples["get-session-200"]]
    machines = list(docs["machines"].values())
    assert machines[0] == doc_examples["list-machines-200"][0]
    assert machines[1]["machine_id"] == "macbook-air-m2"
    assert machines[1]["status"] == "offline"
    assert docs["tasks"]["task-uuid-456"] == doc_examples["list-tasks-200"][0]
    assert docs["tasks"]["task-uuid-455"]["status"] == "completed"
    for collection, schema in API.record_schemas.items():
        for record in docs[collection].values():
            assert list(schemas[schema].iter_errors(record)) == []


def test_the_empty_dataset_keeps_the_project_catalogue():
    empty = empty_dataset()
    assert (empty["sessions"], empty["tasks"], empty["machines"]) == ({}, {}, {})
    assert list(empty["projects"]) == ["123"]


def test_an_exported_state_loads_back_as_a_dataset_file(tracking, tmp_path):
    demo = tracking("demo", seed=3)
    demo.post("/machines", json={"machine_id": "extra", "hostname": "x", "docker_slots": [1]})
    path = tmp_path / "state.json"
    path.write_text(demo.get("/__mockgate/state").text, encoding="utf-8")
    loaded = tracking(str(path))
    assert loaded.get("/machines").json() == demo.get("/machines").json()
    assert loaded.get("/sessions?limit=100").json() == demo.get("/sessions?limit=100").json()


def test_a_dataset_file_with_a_broken_record_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("machines:\n  m:\n    machine_id: m\n    status: sleeping\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="not a valid Machine"):
        create_app("state-tracking", MockOptions(dataset=str(path)))
