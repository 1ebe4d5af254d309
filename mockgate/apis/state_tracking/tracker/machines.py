"""Machines and the docker slots sessions hold on them, over the store.

A held slot is written on both sides: the machine's ``assigned_sessions`` names the session, the
session's ``machine_id``/``docker_slot`` name the slot. The operations here keep the two in step:
registering and heartbeating machines, assigning a session to a slot, and the slot bookkeeping
the session operations need (``release``, ``take``, ``reoccupy``; see ``tracker.sessions``).
Only live sessions hold slots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockgate.apis.state_tracking import machines as machine_rules
from mockgate.apis.state_tracking import sessions as session_rules
from mockgate.apis.state_tracking.rules import Conflict, Invalid, RuleError
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
            now=self.records.now,
        )
        self.records.put_machine(machine)
        return machine

    def heartbeat(self, machine_id: str) -> Record:
        machine = machine_rules.heartbeat(self.records.machine(machine_id), self.records.now)
        self.records.put_machine(machine)
        return machine

    def assign(self, machine_id: str, session_id: str, slot: int) -> Record:
        """Put the session in ``slot`` of the machine (leaving any slot it held); the session's
        ``machine_id``/``docker_slot`` follow. Only live sessions hold slots."""
        machine = self.records.machine(machine_id)
        session = self.records.session(session_id)
        if session["status"] not in session_rules.LIVE:
            raise Invalid.field(
                "session_id",
                f"names a {session['status']} session; only active, paused or stalled sessions"
                " hold docker slots",
            )
        taken = machine_rules.occupy(machine, slot, session_id)
        if session["machine_id"] != machine_id:
            self.release(session)
        self.records.put_machine(taken)
        self.records.put_session({**session, "machine_id": machine_id, "docker_slot": slot})
        return taken

    def release(self, session: Mapping[str, Any]) -> None:
        """Free whatever slot the session holds on its machine."""
        machine = self.records.store.get("machines", session["machine_id"])
        if machine is not None and session["session_id"] in machine["assigned_sessions"].values():
            self.records.put_machine(machine_rules.release(machine, session["session_id"]))

    def take(self, session: Mapping[str, Any], slot: int | None) -> None:
        """The slot an update asks for, on the session's machine (None: release it). PUT
        declares no 409, so a slot the machine lacks or another session holds is a 400."""
        if slot is None:
            self.release(session)
            return
        machine = self.records.store.get("machines", session["machine_id"])
        if machine is None:
            raise Invalid.field(
                "docker_slot", f"cannot be set: machine {session['machine_id']} is not registered"
            )
        try:
            self.records.put_machine(machine_rules.occupy(machine, slot, session["session_id"]))
        except Conflict:
            raise Invalid.field(
                "docker_slot",
                f"{slot} on machine {machine['machine_id']} is occupied by another session",
            ) from None

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
