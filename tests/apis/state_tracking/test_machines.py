"""Machine rules without HTTP: slots, going offline, heartbeats, availability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockgate.apis.state_tracking import machines
from mockgate.apis.state_tracking.rules import Conflict, IllegalState, Invalid

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
    assert (machine["metadata"], machine["updated_at"]) == ({}, "2026-01-19T12:00:00.000Z")


def test_a_new_machine_keeps_the_metadata_it_was_given():
    given = {"os": "Ubuntu 22.04", "cpu": "8 cores"}
    machine = machines.new_machine(
        machine_id="m", hostname="m.local", docker_slots=[1], now=T0, metadata=given
    )
    assert machine["metadata"] == given
    assert machine["metadata"] is not given


def test_view_derives_active_sessions_and_fills_in_what_a_record_lacks():
    taken = machines.occupy(machines.occupy(make(), 3, "s-3"), 1, "s-1")
    assert machines.view(taken)["active_sessions"] == ["s-1", "s-3"]  # in slot order
    stored = {k: v for k, v in taken.items() if k not in ("metadata", "updated_at")}
    stored["last_heartbeat"] = "2026-01-19T12:05:00.000Z"
    shown = machines.view(stored)
    assert (shown["metadata"], shown["updated_at"]) == ({}, "2026-01-19T12:05:00.000Z")
    assert "active_sessions" not in taken  # derived on every answer, never stored


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


def test_a_machine_went_offline_when_its_silence_passed_the_threshold():
    gone = machines.settle(make(), T0 + timedelta(hours=3))
    assert gone["updated_at"] == "2026-01-19T12:05:01.000Z"


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
    busy = machines.occupy(make(), 2, "s-1")
    down = {**make("offline"), "machine_id": "down"}
    full = {**machines.occupy(make(slots=(1,)), 1, "s-2"), "machine_id": "full"}
    assert machines.available([busy, down, full]) == [
        {
            "machine_id": "macbook-pro-m1",
            "hostname": "macbook.local",
            "available_slots": 3,
            "total_slots": 4,
            "assigned_sessions": 1,
            "status": "online",
            "occupied_slots": 1,
            "active_sessions": ["s-1"],
            "last_heartbeat": "2026-01-19T12:00:00.000Z",
            "available_slot_numbers": [1, 3, 4],
        },
        {
            "machine_id": "full",
            "hostname": "macbook.local",
            "available_slots": 0,
            "total_slots": 1,
            "assigned_sessions": 1,
            "status": "online",
            "occupied_slots": 1,
            "active_sessions": ["s-2"],
            "last_heartbeat": "2026-01-19T12:00:00.000Z",
            "available_slot_numbers": [],
        },
    ]


def test_the_first_free_slot_in_slot_order_or_a_conflict():
    assert machines.first_free_slot(machines.occupy(make(slots=(3, 1, 2)), 3, "s-1")) == 1
    with pytest.raises(Conflict, match="No available docker slots on machine m-full - all 1"):
        machines.first_free_slot(
            {**machines.occupy(make(slots=(1,)), 1, "s"), "machine_id": "m-full"}
        )


def test_update_writes_slots_status_and_metadata_and_counts_as_a_heartbeat():
    taken = machines.occupy(make(), 2, "s-1")
    later = T0 + timedelta(minutes=5)
    updated = machines.update(
        taken, {"docker_slots": [2, 5], "status": "maintenance", "metadata": {"os": "x"}}, later
    )
    assert updated["docker_slots"] == [2, 5]
    assert updated["assigned_sessions"] == {"2": "s-1", "5": None}
    assert (updated["status"], updated["metadata"]) == ("maintenance", {"os": "x"})
    assert updated["last_heartbeat"] == "2026-01-19T12:05:00.000Z"
    assert machines.update(make(), {"docker_slots": [7]}, later)["assigned_sessions"] == {}


def test_update_cannot_remove_a_held_slot():
    with pytest.raises(
        IllegalState, match="Cannot remove docker slot 2 - currently in use by session s-1"
    ):
        machines.update(machines.occupy(make(), 2, "s-1"), {"docker_slots": [1, 3]}, T0)


def test_taken_offline_a_machine_keeps_its_sessions():
    taken = machines.occupy(make(), 2, "s-1")
    offline = machines.take_offline(taken)
    assert offline == {**taken, "status": "offline"}


def test_select_filters_by_status_and_hostname():
    found = [make(), {**make("offline"), "machine_id": "b", "hostname": "b.local"}]
    assert [m["machine_id"] for m in machines.select(found, status="offline")] == ["b"]
    assert [m["machine_id"] for m in machines.select(found, hostname="macbook.local")] == [
        "macbook-pro-m1"
    ]
