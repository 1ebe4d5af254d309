"""Machine rules on plain dicts: registration, heartbeats, going offline, and docker slots.

Machines are the JSON objects the API returns (``Machine`` in ``specs/state-tracking.yaml``).
A machine's ``assigned_sessions`` (slot number as a string -> session id or null) is the one
record of which session holds which slot: ``occupy`` and ``release`` are the only ways it
changes, and a session's ``machine_id``/``docker_slot`` follow it (see ``tracker``). A newly
registered machine has the empty map the document shows; the first change fills in every slot.

**Going offline.** An ``online`` machine whose last heartbeat is more than the offline threshold
old (default 300 s, the session stall threshold: five missed one-minute heartbeats) *is*
``offline``; like the stall rule it is applied lazily whenever machines are read or written
(``settle``), with whole seconds rounded down. Only a heartbeat brings it back online. A machine
in ``maintenance`` keeps that status either way (an operator put it there).

Beside the document's fields a machine carries the real server's ``metadata`` (given at
registration or by ``PUT``), ``updated_at`` (its last change: ``tracker`` stamps every write, the
offline rule the moment the machine went offline) and ``active_sessions`` (the ids holding its
slots, in slot order). ``view`` derives ``active_sessions`` from ``assigned_sessions`` on every
answer, so the two never disagree, and fills in ``metadata``/``updated_at`` for a record stored
without them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from mockgate.apis.state_tracking.rules import Conflict, IllegalState, Invalid
from mockgate.core.timestamps import format_timestamp, parse_timestamp

__all__ = [
    "DEFAULT_OFFLINE_AFTER",
    "STATUSES",
    "active_sessions",
    "available",
    "can_hold",
    "first_free_slot",
    "free_slots",
    "heartbeat",
    "holder",
    "new_machine",
    "occupy",
    "release",
    "select",
    "settle",
    "slot_map",
    "take_offline",
    "update",
    "view",
]

Record = dict[str, Any]

STATUSES = ("online", "offline", "maintenance")
DEFAULT_OFFLINE_AFTER = 300
"""Seconds without a heartbeat after which an online machine is offline."""


def new_machine(
    *,
    machine_id: str,
    hostname: str,
    docker_slots: Sequence[int],
    now: datetime,
    metadata: Mapping[str, Any] | None = None,
) -> Record:
    """A machine as ``POST /machines`` registers it: online, no session assigned yet.

    Repeated slot numbers count once (the schema allows ``[1, 1]``; a slot is a slot).
    """
    stamp = format_timestamp(now)
    return {
        "machine_id": machine_id,
        "hostname": hostname,
        "status": "online",
        "docker_slots": list(dict.fromkeys(docker_slots)),
        "assigned_sessions": {},
        "last_heartbeat": stamp,
        "created_at": stamp,
        "metadata": dict(metadata or {}),
        "updated_at": stamp,
    }


def view(machine: Mapping[str, Any]) -> Record:
    """``machine`` as the API answers it: ``active_sessions`` derived from its slots, and
    ``metadata`` ({}) and ``updated_at`` (its latest timestamp) for a record stored without."""
    shown = dict(machine)
    shown["active_sessions"] = active_sessions(machine)
    shown.setdefault("metadata", {})
    if "updated_at" not in shown:
        shown["updated_at"] = max(
            (machine["created_at"], machine["last_heartbeat"]), key=parse_timestamp
        )
    return shown


def active_sessions(machine: Mapping[str, Any]) -> list[str]:
    """The ids of the sessions holding the machine's slots, in slot order."""
    return [held for held in machine["assigned_sessions"].values() if held is not None]


def settle(machine: Record, now: datetime, offline_after: int = DEFAULT_OFFLINE_AFTER) -> Record:
    """``machine`` as the offline rule has it at ``now`` (the same object when nothing changes);
    it went offline (``updated_at``) ``offline_after`` + 1 whole seconds after its heartbeat."""
    if machine["status"] == "online":
        heard = parse_timestamp(machine["last_heartbeat"])
        if (now - heard) // timedelta(seconds=1) > offline_after:
            gone = format_timestamp(heard + timedelta(seconds=offline_after + 1))
            return {**machine, "status": "offline", "updated_at": gone}
    return machine


def heartbeat(machine: Mapping[str, Any], now: datetime) -> Record:
    """A heartbeat: ``last_heartbeat`` is now and an offline machine is online again."""
    status = "online" if machine["status"] == "offline" else machine["status"]
    return {**machine, "status": status, "last_heartbeat": format_timestamp(now)}


def update(machine: Mapping[str, Any], changes: Mapping[str, Any], now: datetime) -> Record:
    """``PUT /machines/{id}`` (the real server's route): ``docker_slots``, ``status`` and
    ``metadata`` (replacing the stored object) as given, and ``last_heartbeat`` now (the real
    server's update counts as a sign of life). New slots are free; a slot a session holds cannot
    be removed (``IllegalState``, as the real server refuses it)."""
    updated: Record = dict(machine)
    if "docker_slots" in changes:
        slots = list(changes["docker_slots"])
        kept = {str(slot) for slot in slots}
        for key, held in machine["assigned_sessions"].items():
            if held is not None and key not in kept:
                raise IllegalState(
                    f"Cannot remove docker slot {key} - currently in use by session {held}"
                )
        updated["docker_slots"] = slots
        if machine["assigned_sessions"]:
            updated["assigned_sessions"] = slot_map(
                slots, {k: v for k, v in machine["assigned_sessions"].items() if v is not None}
            )
    if "status" in changes:
        updated["status"] = changes["status"]
    if "metadata" in changes:
        updated["metadata"] = dict(changes["metadata"])
    updated["last_heartbeat"] = format_timestamp(now)
    return updated


def take_offline(machine: Mapping[str, Any]) -> Record:
    """``DELETE /machines/{id}`` (the real server's route): the machine is kept, ``offline``; the
    sessions in its slots keep them."""
    return {**machine, "status": "offline"}


def holder(machine: Mapping[str, Any], slot: int) -> str | None:
    """The session holding ``slot`` of ``machine``, if any."""
    held: str | None = machine["assigned_sessions"].get(str(slot))
    return held


def can_hold(machine: Mapping[str, Any], slot: int, session_id: str) -> bool:
    """Whether ``session_id`` can hold ``slot`` of ``machine``: the machine has it, and no
    other session holds it."""
    return slot in machine["docker_slots"] and holder(machine, slot) in (None, session_id)


def free_slots(machine: Mapping[str, Any]) -> list[int]:
    """The machine's slots no session holds, in the machine's order."""
    return [slot for slot in machine["docker_slots"] if holder(machine, slot) is None]


def first_free_slot(machine: Mapping[str, Any]) -> int:
    """The first free slot in ``docker_slots`` order; ``Conflict`` when every slot is held."""
    free = free_slots(machine)
    if not free:
        count = len(machine["docker_slots"])
        raise Conflict(
            f"No available docker slots on machine {machine['machine_id']} - all {count} slots"
            " are occupied"
        )
    return free[0]


def occupy(machine: Mapping[str, Any], slot: int, session_id: str) -> Record:
    """``machine`` with ``slot`` held by ``session_id`` (and any other slot the session held on
    it released). ``Invalid`` if the machine has no such slot, ``Conflict`` if another session
    holds it; holding it already is fine (assigning twice changes nothing)."""
    if slot not in machine["docker_slots"]:
        slots = ", ".join(map(str, machine["docker_slots"])) or "none"
        raise Invalid.field(
            "docker_slot",
            f"must be one of the docker slots of machine {machine['machine_id']} ({slots})",
        )
    current = holder(machine, slot)
    if current is not None and current != session_id:
        raise Conflict(f"Docker slot {slot} on machine {machine['machine_id']} is already occupied")
    assigned = {
        key: (None if value == session_id else value)
        for key, value in machine["assigned_sessions"].items()
    }
    assigned[str(slot)] = session_id
    return {**machine, "assigned_sessions": slot_map(machine["docker_slots"], assigned)}


def release(machine: Mapping[str, Any], session_id: str) -> Record:
    """``machine`` without ``session_id`` in any slot (the same object when it held none)."""
    assigned = machine["assigned_sessions"]
    if session_id not in assigned.values():
        return dict(machine)
    freed = {key: (None if value == session_id else value) for key, value in assigned.items()}
    return {**machine, "assigned_sessions": slot_map(machine["docker_slots"], freed)}


def slot_map(slots: Sequence[int], assigned: Mapping[str, str | None]) -> dict[str, str | None]:
    """Every slot of ``slots`` (in order) with its holder or null; keys of ``assigned`` that are
    not slots of the machine (possible in a hand-written dataset) are kept after them."""
    full = {str(slot): assigned.get(str(slot)) for slot in slots}
    return full | {key: value for key, value in assigned.items() if key not in full}


def select(
    machines: Iterable[Record], *, status: str | None = None, hostname: str | None = None
) -> list[Record]:
    """The machines matching every given filter (exact matches), in registration order."""
    return [
        m
        for m in machines
        if (status is None or m["status"] == status)
        and (hostname is None or m["hostname"] == hostname)
    ]


def available(machines: Iterable[Record]) -> list[Record]:
    """``GET /machines/available``: every online machine with its slot counts (a full machine
    too, with ``available_slots: 0``), in registration order: the document's fields, then the
    real server's ``status``, ``occupied_slots`` (the same count as the document's
    ``assigned_sessions``), ``active_sessions``, ``last_heartbeat`` and
    ``available_slot_numbers``."""
    found = []
    for machine in machines:
        if machine["status"] != "online":
            continue
        free = free_slots(machine)
        total = len(machine["docker_slots"])
        found.append(
            {
                "machine_id": machine["machine_id"],
                "hostname": machine["hostname"],
                "available_slots": len(free),
                "total_slots": total,
                "assigned_sessions": total - len(free),
                "status": machine["status"],
                "occupied_slots": total - len(free),
                "active_sessions": active_sessions(machine),
                "last_heartbeat": machine["last_heartbeat"],
                "available_slot_numbers": free,
            }
        )
    return found
