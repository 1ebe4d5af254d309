"""Persistence end to end: ``mockgate serve --state-file`` as a real process, killed (SIGKILL)
while writes are in flight and restarted on the same file; admin writes through HTTP in-process.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from mockgate.apis.context import MockOptions
from mockgate.cli.state import ServedState
from mockgate.core.clock import Clock
from mockgate.core.store.sqlite import StateFile
from mockgate.mockserver.app import create_app

AUTH = {"Authorization": "Bearer st_mockgate_dev_key"}
JSON = {"Content-Type": "application/json"}  # what a write to the admin API carries
WRITERS = 6
ACKNOWLEDGED_BEFORE_KILL = 150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``mockgate serve state-tracking --state-file FILE`` on a free loopback port."""

    def __init__(self, state_file: Path, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "mockgate",
                    "serve",
                    "state-tracking",
                    "--state-file",
                    str(state_file),
                    "--port",
                    f"state-tracking={self.port}",
                    "--rate-limit",
                    "off",
                    "--no-access-log",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"mockgate serve exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/__mockgate/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        pytest.fail(f"mockgate serve did not start:\n{self.log.read_text()}")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=AUTH, timeout=10)

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no shutdown, no last commit
        self.process.wait()


@contextmanager
def serving(state_file: Path, log: Path) -> Iterator[Server]:
    server = Server(state_file, log)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.kill()


def machine(machine_id: str) -> dict[str, object]:
    return {"machine_id": machine_id, "hostname": f"{machine_id}.local", "docker_slots": [1, 2]}


@pytest.mark.slow
def test_a_killed_server_restarts_with_every_acknowledged_write_and_its_clock(tmp_path):
    # One test for both, as each server start costs seconds.
    state_file = tmp_path / "state.db"
    clock_change = {"set": "2031-05-01T08:30:00Z", "freeze": True, "speed": 3}
    acknowledged: list[str] = []  # ids whose create got its 201
    unexpected: list[str] = []

    def write(server: Server, writer: int) -> None:
        with server.client() as client:
            for n in range(2000):  # bounded; the kill ends it long before
                machine_id = f"w{writer}-{n}"
                try:
                    response = client.post("/machines", json=machine(machine_id))
                except httpx.TransportError:
                    return  # the server is gone
                if response.status_code == 201:
                    acknowledged.append(machine_id)
                else:
                    unexpected.append(f"{response.status_code} {response.text}")

    with serving(state_file, tmp_path / "first.log") as server:
        with server.client() as client:
            assert client.post("/__mockgate/clock", json=clock_change).status_code == 200
        writers = [threading.Thread(target=write, args=(server, w)) for w in range(WRITERS)]
        for thread in writers:
            thread.start()
        while len(acknowledged) < ACKNOWLEDGED_BEFORE_KILL and any(t.is_alive() for t in writers):
            time.sleep(0.01)
        server.kill()  # while every writer still has a request in flight
        for thread in writers:
            thread.join()
    assert unexpected == []
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL

    # The file as the kill left it: SQLite recovers the WAL, and every record is whole JSON.
    with closing(sqlite3.connect(state_file)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        for (body,) in db.execute("SELECT body FROM records"):
            json.loads(body)

    with serving(state_file, tmp_path / "second.log") as server, server.client() as client:
        machines = client.get("/__mockgate/state").json()["machines"]
        assert sorted(set(acknowledged) - set(machines)) == []
        for machine_id in acknowledged:
            assert machines[machine_id]["hostname"] == f"{machine_id}.local"
        # The restarted server knows them through the API too, and takes new writes.
        heartbeat = client.post(f"/machines/{acknowledged[-1]}/heartbeat")
        assert heartbeat.status_code == 200, heartbeat.text
        assert client.post("/machines", json=machine("after-restart")).status_code == 201
        clock = client.get("/__mockgate/clock").json()
    assert clock == {"now": "2031-05-01T08:30:00.000Z", "frozen": True, "speed": 3.0}
    log = (tmp_path / "second.log").read_text()
    assert "state-tracking restored from" in log
    assert "clock resumed at 2031-05-01T08:30:00.000Z (frozen)" in log


START = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)


@contextmanager
def in_process(state_file: Path) -> Iterator[TestClient]:
    """The state-tracking mock over ``state_file``, as `mockgate serve` wires it."""
    state = ServedState.open(str(state_file), Clock(START, frozen=True))
    store, entry = state.store("state-tracking", 1, "demo")
    app = create_app(
        "state-tracking",
        MockOptions(seed=entry.seed, rate_limit="off"),
        clock=state.clock,
        store=store,
    )
    try:
        with TestClient(app, base_url="http://localhost", headers=AUTH) as client:
            yield client
    finally:
        state.close()


def machines_in(state_file: Path) -> dict[str, object]:
    with closing(StateFile.open(state_file)) as state:
        return state.records("state-tracking")["machines"]


def test_api_and_admin_writes_are_in_the_file_when_acknowledged(tmp_path):
    state_file = tmp_path / "state.db"
    with in_process(state_file) as client:
        seeded = client.get("/__mockgate/state").json()
        assert client.post("/machines", json=machine("m-1")).status_code == 201
        assert client.post("/__mockgate/reset", headers=JSON).status_code == 204
        assert client.post("/machines", json=machine("m-2")).status_code == 201
        upload = {**seeded, "machines": {}}
        assert client.put("/__mockgate/state", json=upload).status_code == 204
        assert client.post("/machines", json=machine("m-3")).status_code == 201
        expected = client.get("/__mockgate/state").json()
    assert list(machines_in(state_file)) == ["m-3"]
    with in_process(state_file) as client:
        assert client.get("/__mockgate/state").json() == expected
        assert client.post("/__mockgate/reset", headers=JSON).status_code == 204
    assert machines_in(state_file) == seeded["machines"]
