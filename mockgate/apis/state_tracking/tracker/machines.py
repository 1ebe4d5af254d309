"""Machines and the docker slots sessions hold on them, over the store.

A held slot is written on both sides: the machine's ``assigned_sessions`` names the session, the
session's ``machine_id``/``docker_slot`` name the slot. The operations here keep the two in step:
registering, reading, updating, taking offline and heartbeating machines, assigning a session to
a slot and releasing it, and the slot bookkeeping the session operations need (``release``,
``hold``, ``reoccupy``; see ``tracker.sessions``). Only live sessions hold slots.

A session may name a slot it does not hold: the real server checks neither machines nor slots
when a session is created, updated or recovered, so neither does the mock (only a slot another
session really holds is refused, with the document's 409, on create). ``hold`` takes a slot when
it can be held: the machine is registered, has it, and no other session holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockgate.apis.state_tracking import machines as machine_rules
from mockgate.apis.state_tracking import sessions as session_rules
from mockgate.apis.state_tracking.rules import Conflict, IllegalState, Invalid, RuleError
from mockgate.apis.state_tracking.tracker.records import Records
from mockgate.core.store import Record

__all__ = ["MachineOps"]


@dataclass(frozen=True, slots=True)
class MachineOps:
    records: Records

    def create(self, body: Mapping[str, Any]) -> Record:
        machine_id = body["machine_id"]
        if self.records.store.get("machines", machine_id) is not None:
            raise Conflict(f"Machine with ID {machine_id} already exists")
        machine = machine_rules.new_machine(
            machine_id=machine_id,
            hostname=body["hostname"],
            docker_slots=body["docker_slots"],
            metadata=body.get("metadata"),
            now=self.records.now,
        )
        return self.records.put_machine(machine)

    def update(self, machine_id: str, body: Mapping[str, Any]) -> Record:
        machine = self.records.machine(machine_id)
        return self.records.put_machine(machine_rules.update(machine, body, self.records.now))

    def delete(self, machine_id: str) -> None:
        self.records.put_machine(machine_rules.take_offline(self.records.machine(machine_id)))

    def heartbeat(self, machine_id: str) -> Record:
        machine = machine_rules.heartbeat(self.records.machine(machine_id), self.records.now)
        return self.records.put_machine(machine)

    def assign(self, machine_id: str, session_id: str, slot: int | None) -> Record:
        """Put the session in ``slot`` of the machine (leaving any slot it held); without a slot,
        the one it already holds there, else the first free one (409 when none is). The
        session's ``machine_id``/``docker_slot`` follow. Only live sessions hold slots."""
        machine = self.records.machine(machine_id)
        session = self.records.session(session_id)
        if session["status"] not in session_rules.LIVE:
            raise Invalid.field(
                "session_id",
                f"names a {session['status']} session; only active, paused or stalled sessions"
                " hold docker slots",
            )
        if slot is None:
            held = [
                s for s in machine["docker_slots"] if machine_rules.holder(machine, s) == session_id
            ]
            slot = held[0] if held else machine_rules.first_free_slot(machine)
        taken = machine_rules.occupy(machine, slot, session_id)
        if session["machine_id"] != machine_id:
            self.release(session)
        self.records.put_session({**session, "machine_id": machine_id, "docker_slot": slot})
        return self.records.put_machine(taken)

    def release_session(self, machine_id: str, session_id: str) -> Record:
        """``release-session`` (the real server's route): the session leaves the slot it holds on
        the machine (``IllegalState`` when it holds none there) and names no slot any more."""
        machine = self.records.machine(machine_id)
        if session_id not in machine["assigned_sessions"].values():
            raise IllegalState(f"Session {session_id} is not assigned to machine {machine_id}")
        freed = self.records.put_machine(machine_rules.release(machine, session_id))
        session = self.records.store.get("sessions", session_id)
        if session is not None and session["machine_id"] == machine_id:
            self.records.put_session({**session, "docker_slot": None})
        return freed

    def release(self, session: Mapping[str, Any]) -> None:
        """Free whatever slot the session holds on its machine."""
        machine = self.records.store.get("machines", session["machine_id"])
        if machine is not None and session["session_id"] in machine["assigned_sessions"].values():
            self.records.put_machine(machine_rules.release(machine, session["session_id"]))

    def hold(self, session_id: str, machine_id: str, slot: int) -> bool:
        """Put the session in ``slot`` of the machine when it can be held there (see the
        module); whether it is."""
        machine = self.records.store.get("machines", machine_id)
        if machine is None or not machine_rules.can_hold(machine, slot, session_id):
            return False
        self.records.put_machine(machine_rules.occupy(machine, slot, session_id))
        return True

    def reoccupy(self, session: Record) -> Record:
        """A finished session reopened by an update takes its slot again if it is still free;
        otherwise it runs without a slot (``docker_slot`` null)."""
        slot = session["docker_slot"]
        machine = self.records.store.get("machines", session["machine_id"])
        if slot is None:
            return session
        if machine is not None:
            try:
                self.records.put_machine(machine_rules.occupy(machine, slot, session["session_id"]))
                return session
            except RuleError:
                pass
        return {**session, "docker_slot": None}
