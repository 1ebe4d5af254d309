"""What happens as the mock's clock moves: stalls, machines going offline, the demo's simulated
heartbeats, the health endpoints' live figures; and what stays the same: determinism."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.apis.state_tracking.factory import AUTH, machine, session


@pytest.fixture
def client(tracking):
    made = tracking("empty")
    machine(made, "box-1")
    return made


def test_an_active_session_stalls_on_the_clock_wherever_it_is_observed(client):
    sid = session(client, slot=1)["session_id"]
    client.ctx.clock.advance(timedelta(seconds=300))
    assert client.get(f"/sessions/{sid}").json()["status"] == "active"
    client.ctx.clock.advance(timedelta(seconds=1))
    assert client.get(f"/sessions/{sid}").json()["status"] == "stalled"
    assert client.get("/sessions?status=stalled").json()[0]["session_id"] == sid
    assert client.get("/sessions/active").json() == []
    stale = client.get("/sessions/stale").json()
    assert [(s["session_id"], s["status"], s["seconds_since_heartbeat"]) for s in stale] == [
        (sid, "stalled", 301)
    ]
    health = client.get(f"/sessions/{sid}/health").json()
    assert (health["status"], health["is_stale"], health["health_score"]) == ("stalled", True, 30)
    assert client.get("/__mockgate/state").json()["sessions"][sid]["status"] == "stalled"
    # It keeps its slot: a stalled session may still be running.
    assert client.get("/machines").json()[0]["assigned_sessions"]["1"] == sid


def test_a_stalled_session_never_comes_back_without_a_heartbeat(client):
    sid = session(client)["session_id"]
    client.ctx.clock.advance(timedelta(minutes=10))
    client.put(f"/sessions/{sid}", json={"status": "active"})
    assert client.get(f"/sessions/{sid}").json()["status"] == "stalled"
    client.ctx.clock.set(client.ctx.started_at)  # even with the clock set back
    assert client.get(f"/sessions/{sid}").json()["status"] == "stalled"
    client.ctx.clock.advance(timedelta(minutes=10))
    beat = client.post(f"/sessions/{sid}/heartbeat").json()
    assert beat == {
        "session_id": sid,
        "status": "active",
        "last_heartbeat": "2026-01-19T12:10:00.000Z",
        "message": "Heartbeat updated successfully",
    }


def test_paused_sessions_do_not_stall_but_become_stale(client):
    sid = session(client)["session_id"]
    client.put(f"/sessions/{sid}", json={"status": "paused"})
    client.ctx.clock.advance(timedelta(hours=1))
    assert client.get(f"/sessions/{sid}").json()["status"] == "paused"
    assert client.get("/sessions/stale?threshold=600").json()[0]["status"] == "paused"
    assert client.get("/sessions/stale?threshold=7200").json() == []


def test_the_stall_threshold_is_a_setting_of_the_state(client):
    sid = session(client)["session_id"]
    state = client.get("/__mockgate/state").json()
    state["settings"]["thresholds"]["stall_after_seconds"] = 30
    assert client.put("/__mockgate/state", json=state).status_code == 204
    client.ctx.clock.advance(timedelta(seconds=31))
    assert client.get(f"/sessions/{sid}").json()["status"] == "stalled"


def test_a_recovered_session_starts_a_fresh_silence(client):
    sid = session(client, slot=1)["session_id"]
    client.ctx.clock.advance(timedelta(minutes=6))
    recovered = client.post(f"/sessions/{sid}/recover").json()
    assert (recovered["status"], recovered["docker_slot"]) == ("active", 1)
    assert client.get(f"/sessions/{sid}").json()["last_heartbeat"] == "2026-01-19T12:06:00.000Z"


def test_a_silent_machine_goes_offline_and_a_heartbeat_brings_it_back(client):
    client.ctx.clock.advance(timedelta(seconds=301))
    assert client.get("/machines").json()[0]["status"] == "offline"
    assert client.get("/machines/available").json() == []
    beat = client.post("/machines/box-1/heartbeat").json()
    assert (beat["status"], beat["last_heartbeat"]) == ("online", "2026-01-19T12:05:01.000Z")
    assert client.get("/machines/available").json()[0]["machine_id"] == "box-1"


def test_the_demo_keeps_running_clients_alive_and_lets_the_silent_ones_stall(tracking):
    demo = tracking("demo", seed=1)
    active_before = {s["session_id"] for s in demo.get("/sessions/active").json()}
    demo.ctx.clock.advance(timedelta(hours=2))
    active_after = {s["session_id"] for s in demo.get("/sessions/active").json()}
    assert len(active_before) == 4
    assert len(active_after) == 3
    assert active_after < active_before
    statuses = {m["machine_id"]: m["status"] for m in demo.get("/machines").json()}
    assert list(statuses.values()).count("online") == 3
    assert statuses["macbook-pro-m1"] == statuses["macbook-air-m2"] == "online"
    beats = {m["last_heartbeat"] for m in demo.get("/machines?status=online").json()}
    assert all(beat > "2026-01-19T13:59:00.000Z" for beat in beats)


def test_what_a_client_does_to_a_demo_session_is_not_undone_by_the_simulation(tracking):
    demo = tracking("demo", seed=1)
    paused = demo.get("/sessions?status=paused").json()[0]["session_id"]
    demo.put(f"/sessions/{paused}", json={"status": "stalled"})
    demo.ctx.clock.advance(timedelta(hours=1))
    assert demo.get(f"/sessions/{paused}").json()["status"] == "stalled"


def test_health_endpoints_report_live_figures(client):
    session(client)
    session(client)
    client.ctx.clock.advance(timedelta(seconds=90))
    health = client.get("/health", headers={"Authorization": ""}).json()
    assert (health["status"], health["database"], health["uptime"]) == ("ok", "connected", 90.0)
    assert health["timestamp"] == "2026-01-19T12:01:30.000Z"
    assert health["latency"] >= 0
    assert client.get("/health/live").json()["uptime"] == 90.0
    detailed = client.get("/health/detailed").json()
    metrics = detailed["metrics"]
    assert (metrics["activeSessionCount"], metrics["version"]) == (2, "0.1.0")
    assert metrics["averageResponseTime"] > 0
    assert metrics["errorRate"] == 0
    assert detailed["checks"] == {"memory": "ok", "database": "ok", "responseTime": "ok"}
    client.ctx.clock.advance(timedelta(seconds=300))
    assert client.get("/health/detailed").json()["metrics"]["activeSessionCount"] == 0
    system = client.get("/health/system").json()
    assert system["nodeVersion"] == "v20.10.6"
    assert system["cpus"] >= 1
    assert system["uptime"] == 390.0


def test_readiness_answers_the_documented_503_through_a_fault(client, doc_examples):
    client.post("/__mockgate/faults", json={"operation": "getReadiness", "status": 503, "times": 1})
    down = client.get("/health/ready")
    assert down.status_code == 503
    assert down.json() == doc_examples["get-readiness-503"]
    assert client.get("/health/ready").json() == doc_examples["get-readiness-200"]


def test_same_seed_and_start_give_the_same_bytes(tracking):
    def run(seed: int) -> list[bytes]:
        demo = tracking("demo", seed=seed)
        created = demo.post(
            "/sessions", json={"project_id": "123", "machine_id": "macbook-pro-m1"}
        ).json()
        demo.post("/tasks", json={"session_id": created["session_id"], "project_id": "123"})
        paths = ("/sessions?limit=100&include_archived=true", "/tasks?limit=100", "/machines")
        return [demo.get(path).content for path in paths]

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert first != other


def test_health_needs_no_key_but_sessions_do(client):
    assert client.get("/health", headers={"Authorization": ""}).status_code == 200
    assert client.get("/sessions", headers={"Authorization": ""}).status_code == 401
    assert client.get("/sessions", headers=AUTH).status_code == 200
