"""`slot_conflict`: docker slots are exclusive. The probe occupies one free slot of a listed
machine with a session it creates, and tries to put others in it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from mockgate.contracts.checks.state_tracking.answers import LIST_LIMIT, body_of, items_of
from mockgate.contracts.checks.state_tracking.flow import DOC_PROJECT, PROBE_MARK, Flow, flow_probe

__all__ = ["slot_conflict"]

_ADDRESSABLE = re.compile(r"[A-Za-z0-9._~:@!$&'()*+,;=-]+")  # RFC 3986 pchar, unencoded


@flow_probe("slot_conflict")
def slot_conflict(flow: Flow) -> None:
    """Docker slots are exclusive: the probe creates a session in a free slot of a listed
    machine (which the machine's `assigned_sessions` then names), and then assigning another
    session to that occupied slot is a 409, creating a session in it is a 409, and assigning
    a session to a slot the machine does not have (one above its highest) is a 400. Where the
    server has `POST /machines/{id}/release-session` (inferred from the real server and its
    client), releasing the holder frees the slot (the machine no longer names it there), and
    an assignment without a `docker_slot` that the server accepts puts the session in one of
    the machine's slots.

    Needs a listed machine with a free slot (`assigned_sessions` null or absent for one of its
    `docker_slots`), preferably online, whose id can stand in a URL path as it is (no `/`,
    `%`, `?`, `#`, space or non-ASCII: a fuzzed record may have any id, and whether a server
    routes an encoded `/` is not the contract's business); without one nothing is judged.
    """
    machines = flow.call("listMachines")
    chosen = _free_slot(items_of(machines))
    if chosen is None:
        return
    machine_id, slot, slots = chosen
    projects = items_of(flow.session.call("listSessions", query={"limit": LIST_LIMIT}))
    project = next((str(s["project_id"]) for s in projects if s.get("project_id")), DOC_PROJECT)
    flow.place = (machine_id, project)
    _, holder = flow.new_session(docker_slot=slot)
    if holder is None:
        return
    machine = _machine(flow, machine_id)
    assigned = machine.get("assigned_sessions") if machine else None
    if isinstance(assigned, dict) and assigned.get(str(slot)) != holder:
        flow.fail(
            f"session {holder!r} was created in slot {slot} of {machine_id!r}, but the machine's "
            f"assigned_sessions gives slot {slot} to {assigned.get(str(slot))!r}"
        )
    _, other = flow.new_session()
    if other is None:
        return
    flow.expect(
        flow.call(
            "assignSessionToMachine",
            path_params={"id": machine_id},
            body={"session_id": other, "docker_slot": slot},
        ),
        409,
        f"assigning a session to slot {slot}, which another session occupies",
    )
    third = flow.call(
        "createSession",
        body={
            "project_id": project,
            "machine_id": machine_id,
            "docker_slot": slot,
            "metadata": {PROBE_MARK: flow.check},
        },
    )
    if third.status == 201 and isinstance(body_of(third).get("session_id"), str):
        flow.created.append(body_of(third)["session_id"])
    flow.expect(third, 409, f"creating a session in the occupied slot {slot}")
    missing = max(slots) + 1
    flow.expect(
        flow.call(
            "assignSessionToMachine",
            path_params={"id": machine_id},
            body={"session_id": other, "docker_slot": missing},
        ),
        400,
        f"assigning a session to slot {missing}, which {machine_id!r} does not have "
        f"(its slots: {sorted(slots)})",
    )
    _release(flow, machine_id, slot, holder, other)


def _release(flow: Flow, machine_id: str, slot: int, holder: str, other: str) -> None:
    released = flow.call(
        "releaseSessionFromMachine", path_params={"id": machine_id}, body={"session_id": holder}
    )
    if released.status in (404, 405):
        return  # no such route: the document does not have it
    if not flow.expect(released, 200, f"releasing {holder!r} from slot {slot}"):
        return
    if _holder(flow, machine_id, slot) == holder:
        flow.fail(
            f"release-session answered 200, but {machine_id!r} still gives slot {slot} to "
            f"{holder!r}",
            "releaseSessionFromMachine",
        )
        return
    assigned = flow.call(
        "assignSessionToMachine", path_params={"id": machine_id}, body={"session_id": other}
    )
    if assigned.status not in (200, 201):
        return  # a server may require the slot: the document's example always sends one
    machine = _machine(flow, machine_id)
    held = machine.get("assigned_sessions") if machine else None
    if isinstance(held, dict) and other not in held.values():
        flow.fail(
            f"assigning {other!r} without a docker_slot answered {assigned.status}, but no slot "
            f"of {machine_id!r} holds it: {held}",
            "assignSessionToMachine",
        )


def _machine(flow: Flow, machine_id: str) -> Mapping[str, Any] | None:
    listed = flow.call("listMachines")
    return next((m for m in items_of(listed) if m.get("machine_id") == machine_id), None)


def _holder(flow: Flow, machine_id: str, slot: int) -> Any:
    machine = _machine(flow, machine_id)
    assigned = machine.get("assigned_sessions") if machine else None
    return assigned.get(str(slot)) if isinstance(assigned, dict) else None


def _free_slot(machines: Sequence[Mapping[str, Any]]) -> tuple[str, int, list[int]] | None:
    ranked = sorted(machines, key=lambda m: m.get("status") != "online")
    for machine in ranked:
        slots = machine.get("docker_slots")
        assigned = machine.get("assigned_sessions")
        if not isinstance(slots, list) or not isinstance(assigned, dict):
            continue
        numbers = [s for s in slots if isinstance(s, int) and not isinstance(s, bool)]
        machine_id = machine.get("machine_id")
        if not isinstance(machine_id, str) or not _ADDRESSABLE.fullmatch(machine_id):
            continue
        for slot in numbers:
            if assigned.get(str(slot)) is None:
                return machine_id, slot, numbers
    return None
