"""`slot_counts`: a machine's slot figures agree with its slots, in the machine list and in the
available-machines list. Read-only."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mockgate.contracts.checks.state_tracking.answers import API, MAX_REPORTED, items_of
from mockgate.contracts.registry import probe
from mockgate.contracts.session import ProbeSession
from mockgate.reports.findings import Finding

__all__ = ["slot_counts"]


@probe("slot_counts", apis=API)
def slot_counts(session: ProbeSession) -> Iterator[Finding]:
    """A machine's slot figures agree with its slots. Read-only.

    `GET /machines`: a machine's `active_sessions` (the real server's field, where sent) holds
    exactly the sessions its `assigned_sessions` gives a slot. `GET /machines/available`: an
    entry's `available_slots` + `assigned_sessions` (a count there) is its `total_slots`, and
    `occupied_slots`, `active_sessions` and `available_slot_numbers`, where sent, agree with
    those counts; and for a machine that two reads of `GET /machines` around it agree on (no
    change in between), the entry is that machine's: `total_slots` the number of its
    `docker_slots`, `assigned_sessions` the number of them holding a session,
    `available_slot_numbers` and `active_sessions` the free slots and their holders, and the
    machine `online` (the list holds online machines only).

    Orders are not judged (the spec gives slot order; the documents show none), nor which
    online machines the available list holds (one with no free slot may be left out).
    """
    before = session.call("listMachines")
    available = session.call("findAvailableMachines")
    after = session.call("listMachines")
    for answer in (before, available):
        if answer.status != 200:
            session.not_judged(answer.operation_id)  # no list: nothing counted to judge
    machines = items_of(before)
    first = {m.get("machine_id"): m for m in machines}
    steady = {
        m.get("machine_id"): m for m in items_of(after) if first.get(m.get("machine_id")) == m
    }
    records = [p for m in machines for p in _machine_problems(m)]
    if records:
        yield Finding.from_exchanges(
            "slot_counts", "; ".join(records[:MAX_REPORTED]), before, operation="listMachines"
        )
    entries = [
        p
        for entry in items_of(available)
        for p in _entry_problems(entry, steady.get(entry.get("machine_id")))
    ]
    if entries:
        yield Finding.from_exchanges(
            "slot_counts",
            "; ".join(entries[:MAX_REPORTED]),
            before,
            available,
            after,
            operation="findAvailableMachines",
        )


def _machine_problems(machine: Mapping[str, Any]) -> list[str]:
    """A machine record against itself: `active_sessions` against `assigned_sessions`."""
    holders = _holders(machine)
    active = machine.get("active_sessions")
    if holders is None or not isinstance(active, list) or sorted(map(str, active)) == holders:
        return []
    return [
        f"machine {machine.get('machine_id')!r}: active_sessions is {active}, but "
        f"assigned_sessions gives slots to {holders}"
    ]


def _entry_problems(entry: Mapping[str, Any], machine: Mapping[str, Any] | None) -> list[str]:
    """An available-machines entry against itself, and against its machine (when steady)."""
    label = f"available machine {entry.get('machine_id')!r}"
    total, free, used = (
        _count(entry, name) for name in ("total_slots", "available_slots", "assigned_sessions")
    )
    problems = []
    if total is not None and free is not None and used is not None and free + used != total:
        problems.append(
            f"{label}: available_slots {free} + assigned_sessions {used} is not total_slots {total}"
        )
    for name, wanted in (
        ("occupied_slots", used),
        ("active_sessions", used),
        ("available_slot_numbers", free),
    ):
        value = entry.get(name)
        found = len(value) if isinstance(value, list) else _count(entry, name)
        if found is not None and wanted is not None and found != wanted:
            counted = "available_slots" if name == "available_slot_numbers" else "assigned_sessions"
            problems.append(f"{label}: {name} has {found}, but {counted} is {wanted}")
    if machine is not None:
        problems += _against_machine(label, entry, machine)
    return problems


def _against_machine(label: str, entry: Mapping[str, Any], machine: Mapping[str, Any]) -> list[str]:
    slots = machine.get("docker_slots")
    holders = _holders(machine)
    assigned = machine.get("assigned_sessions")
    if not isinstance(slots, list) or holders is None or not isinstance(assigned, dict):
        return []
    problems = []
    if machine.get("status") != "online":
        problems.append(f"{label} is {machine.get('status')!r} in GET /machines, not online")
    free_slots = sorted(s for s in slots if assigned.get(str(s)) is None)
    expected = {
        "total_slots": len(slots),
        "assigned_sessions": len(holders),
        "available_slots": len(free_slots),
    }
    for name, wanted in expected.items():
        value = _count(entry, name)
        if value is not None and value != wanted:
            problems.append(f"{label}: {name} is {value}, but GET /machines makes it {wanted}")
    for name, wanted_list in (
        ("available_slot_numbers", free_slots),
        ("active_sessions", holders),
    ):
        value = entry.get(name)
        if isinstance(value, list) and sorted(value, key=str) != sorted(wanted_list, key=str):
            problems.append(f"{label}: {name} is {value}, but GET /machines makes it {wanted_list}")
    return problems


def _holders(machine: Mapping[str, Any]) -> list[str] | None:
    """The ids of the sessions the machine's `assigned_sessions` gives a slot, sorted."""
    assigned = machine.get("assigned_sessions")
    if not isinstance(assigned, dict):
        return None
    return sorted(str(v) for v in assigned.values() if v is not None)


def _count(record: Mapping[str, Any], name: str) -> int | None:
    value = record.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
