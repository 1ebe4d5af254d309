"""Machine rules without HTTP: slots, going offline, heartbeats, availability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockgate.apis.state_tracking import machines
from mockgate.apis.state_tracking.rules import Conflict, Invalid

T0 = datetime(2026, 1, 19, 12, 0, tzinfo=UTC)


def make(status: str = "online", slots: tuple[int, ...] = (1, 2, 3, 4)) -> dict:
    machine = machines.new_machine(
        machine_id="macbook-pro-m1", hostname="macbook.local", docker_slots=slots, now=T0
    )
    return {**machine, "status": status}


def test_a_new_machine_is_online_with_the_documented_empty_map():
    machine = make()
    assert machine["status"] == "online"
    assert machine["assigned_sessions"] == {}
    assert machine["last_heartbeat"] == machine["created_at"] == "2026-01-19T12:00:00.000Z"


def test_repeated_slots_count_once():
    assert make(slots=(2, 1, 2))["docker_slots"] == [2, 1]


def test_occupy_fills_in_every_slot():
    taken = machines.occupy(make(), 1, "s-1")
    assert taken["assigned_sessions"] == {"1": "s-1", "2": None, "3": None, "4": None}


def test_occupy_moves_a_session_within_the_machine():
    moved = machines.occupy(machines.occupy(make(), 1, "s-1"), 3, "s-1")
    assert moved["assigned_sessions"] == {"1": None, "2": None, "3": "s-1", "4": None}


def test_occupying_ones_own_slot_changes_nothing():
    taken = machines.occupy(make(), 2, "s-1")
    assert machines.occupy(taken, 2, "s-1") == taken


def test_a_slot_the_machine_lacks_is_invalid():
    with pytest.raises(Invalid) as caught:
        machines.occupy(make(), 9, "s-1")
    assert caught.value.details == (
        ("docker_slot", "must be one of the docker slots of machine macbook-pro-m1 (1, 2, 3, 4)"),
    )


def test_a_slot_another_session_holds_is_a_conflict():
    with pytest.raises(Conflict, match="Docker slot 1 on machine macbook-pro-m1 is already"):
        machines.occupy(machines.occupy(make(), 1, "s-1"), 1, "s-2")


def test_release_frees_only_that_sessions_slot():
    taken = machines.occupy(machines.occupy(make(), 1, "s-1"), 2, "s-2")
    freed = machines.release(taken, "s-1")
    assert freed["assigned_sessions"] == {"1": None, "2": "s-2", "3": None, "4": None}
    assert machines.free_slots(freed) == [1, 3, 4]


def test_the_slot_map_keeps_unknown_keys_of_a_hand_written_dataset():
    assert machines.slot_map([1], {"7": "s-7"}) == {"1": None, "7": "s-7"}


@pytest.mark.parametrize(
    ("status", "silence", "expected"),
    [
        pytest.param("online", 300, "online", id="online-300s"),
        pytest.param("online", 301, "offline", id="online-301s-offline"),
        pytest.param("maintenance", 3600, "maintenance", id="maintenance-stays"),
        pytest.param("offline", 3600, "offline", id="offline-stays"),
    ],
)
def test_a_silent_online_machine_goes_offline(status, silence, expected):
    settled = machines.settle(make(status), T0 + timedelta(seconds=silence))
    assert settled["status"] == expected


@pytest.mark.parametrize(
    ("status", "after"),
    [
        pytest.param("offline", "online", id="offline-back-online"),
        pytest.param("online", "online", id="online"),
        pytest.param("maintenance", "maintenance", id="maintenance-stays"),
    ],
)
def test_a_heartbeat_brings_an_offline_machine_back(status, after):
    beat = machines.heartbeat(make(status), T0 + timedelta(seconds=15))
    assert (beat["status"], beat["last_heartbeat"]) == (after, "2026-01-19T12:00:15.000Z")


def test_available_lists_online_machines_with_counts():
    busy = machines.occupy(make(), 1, "s-1")
    down = {**make("offline"), "machine_id": "down"}
    full = {**machines.occupy(make(slots=(1,)), 1, "s-2"), "machine_id": "full"}
    assert machines.available([busy, down, full]) == [
        {
            "machine_id": "macbook-pro-m1",
            "hostname": "macbook.local",
            "available_slots": 3,
            "total_slots": 4,
            "assigned_sessions": 1,
        },
        {
            "machine_id": "full",
            "hostname": "macbook.local",
            "available_slots": 0,
            "total_slots": 1,
            "assigned_sessions": 1,
        },
    ]


def test_select_filters_by_status_and_hostname():
    found = [make(), {**make("offline"), "machine_id": "b", "hostname": "b.local"}]
    assert [m["machine_id"] for m in machines.select(found, status="offline")] == ["b"]
    assert [m["machine_id"] for m in machines.select(found, hostname="macbook.local")] == [
        "macbook-pro-m1"
    ]
