"""Sessions over the store: creating one and moving it along ``sessions``' lifecycle, with the
machine slot and the failure record each change implies.

``sessions`` decides what a session becomes; this module writes it, after the slot bookkeeping
(``tracker.machines``) and the failure record (``tracker.recovery``) the change calls for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockgate.apis.state_tracking import machines as machine_rules
from mockgate.apis.state_tracking import pulses
from mockgate.apis.state_tracking import sessions as session_rules
from mockgate.apis.state_tracking.rules import NotFound
from mockgate.apis.state_tracking.tracker.listing import Listing
from mockgate.apis.state_tracking.tracker.machines import MachineOps
from mockgate.apis.state_tracking.tracker.records import Records
from mockgate.apis.state_tracking.tracker.recovery import RecoveryOps
from mockgate.apis.state_tracking.tracker.settling import Settling
from mockgate.core.store import Record

__all__ = ["SessionOps"]


@dataclass(frozen=True, slots=True)
class SessionOps:
    records: Records
    settling: Settling
    listing: Listing
    machines: MachineOps
    recovery: RecoveryOps

    def create(self, body: Mapping[str, Any]) -> Record:
        machine = self.records.machine(body["machine_id"])
        if not self.listing.known_project(body["project_id"]):
            raise NotFound(f"Project with ID {body['project_id']} not found")
        slot = body.get("docker_slot")
        session_id, counters = self.records.next_id("session")
        if slot is not None:
            self.records.put_machine(machine_rules.occupy(machine, slot, session_id))
        self.records.store.put("sequences", "ids", counters)
        session = session_rules.new_session(
            session_id=session_id,
            project_id=body["project_id"],
            machine_id=machine["machine_id"],
            docker_slot=slot,
            metadata=body.get("metadata"),
            now=self.records.now,
        )
        self.records.put_session(session)
        return session

    def update(self, session_id: str, body: Mapping[str, Any]) -> Record:
        """PUT: the fields as given (``sessions.update``), and the slot they imply: a finished
        session holds none; a ``docker_slot`` sent for a live one is taken (400 when the machine
        lacks it or another session holds it: PUT declares no 409); a session reopened without
        one takes its old slot again if it is still free, else runs without a slot."""
        before = self.records.session(session_id)
        after = session_rules.update(before, body, self.records.now)
        if after["status"] not in session_rules.LIVE:
            self.machines.release(before)
        elif "docker_slot" in body:
            self.machines.take(before, body["docker_slot"])
        elif before["status"] not in session_rules.LIVE:
            after = self.machines.reoccupy(after)
        if after["status"] == "failed" and before["status"] != "failed":
            reason = after["metadata"].get("failure_reason") or "Set to failed by an update"
            self.recovery.record_failure(after, str(reason), None)
        after = self.settling.session(after)
        self.records.put_session(after)
        return after

    def delete(self, session_id: str) -> None:
        before = self.records.session(session_id)
        after = session_rules.soft_delete(before, self.records.now)
        if after is not before:
            self.machines.release(before)
            self.records.put_session(after)

    def heartbeat(self, session_id: str) -> Record:
        session = session_rules.heartbeat(self.records.session(session_id), self.records.now)
        self.records.put_session(session)
        return session

    def mark_failed(
        self, session_id: str, reason: str, error_details: Mapping[str, Any] | None
    ) -> Record:
        before = self.records.session(session_id)
        after = session_rules.mark_failed(before, reason, self.records.now)
        self.machines.release(before)
        self.recovery.record_failure(after, reason, error_details)
        self.records.put_session(after)
        return after

    def archive(self, session_id: str) -> Record:
        before = self.records.session(session_id)
        after = session_rules.archive(before, self.records.now)
        self.machines.release(before)
        self.records.put_session(after)
        return after

    def purge(self, session_id: str) -> int:
        """Remove the session, its tasks and internal records; how many tasks went with it."""
        session = self.records.session(session_id)
        self.machines.release(session)
        doomed = self.records.session_tasks(session_id)
        store = self.records.store
        for task in doomed:
            store.delete("tasks", task["task_id"])
        store.delete("failures", session_id)
        store.delete("pulses", pulses.key("session", session_id))
        store.delete("sessions", session_id)
        return len(doomed)
