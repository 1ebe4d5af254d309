"""`slot_conflict`: docker slots are exclusive. The probe occupies one free slot of a listed
machine with a session it creates, and tries to put others in it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mockgate.contracts.checks.state_tracking.answers import LIST_LIMIT, body_of, items_of
from mockgate.contracts.checks.state_tracking.flow import DOC_PROJECT, PROBE_MARK, Flow, flow_probe

__all__ = ["slot_conflict"]


@flow_probe("slot_conflict")
def slot_conflict(flow: Flow) -> None:
    """Docker slots are exclusive: the probe creates a session in a free slot of a listed
    machine (which the machine's `assigned_sessions` then names), and then assigning another
    session to that occupied slot is a 409, creating a session in it is a 409, and assigning
    a session to a slot the machine does not have (one above its highest) is a 400.

    Needs a listed machine with a free slot (`assigned_sessions` null or absent for one of its
    `docker_slots`), preferably online; without one nothing is judged.
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
    listed = flow.call("listMachines")
    machine = next((m for m in items_of(listed) if m.get("machine_id") == machine_id), None)
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


def _free_slot(machines: Sequence[Mapping[str, Any]]) -> tuple[str, int, list[int]] | None:
    ranked = sorted(machines, key=lambda m: m.get("status") != "online")
    for machine in ranked:
        slots = machine.get("docker_slots")
        assigned = machine.get("assigned_sessions")
        if not isinstance(slots, list) or not isinstance(assigned, dict):
            continue
        numbers = [s for s in slots if isinstance(s, int) and not isinstance(s, bool)]
        for slot in numbers:
            if assigned.get(str(slot)) is None and isinstance(machine.get("machine_id"), str):
                return machine["machine_id"], slot, numbers
    return None
