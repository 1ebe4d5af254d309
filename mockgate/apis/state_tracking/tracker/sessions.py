"""Sessions over the store: creating one and moving it along ``sessions``' lifecycle, with the
machine slot and the failure record each change implies.

``sessions`` decides what a session becomes; this module writes it, after the slot bookkeeping
(``tracker.machines``) and the failure record (``tracker.recovery``) the change calls for.

A session is created for any ``machine_id`` and ``project_id`` (the real server checks neither,
and the document's own first workflow never registers its machine); the one refusal is the
document's 409, for a slot another session holds on a registered machine that has it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockgate.apis.state_tracking import machines as machine_rules
from mockgate.apis.state_tracking import pulses
from mockgate.apis.state_tracking import sessions as session_rules
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
    machines: MachineOps
    recovery: RecoveryOps

    def create(self, body: Mapping[str, Any]) -> Record:
        machine = self.records.store.get("machines", body["machine_id"])
        slot = body.get("docker_slot")
        session_id, counters = self.records.next_id("session")
        if machine is not None and slot is not None and slot in machine["docker_slots"]:
            self.records.put_machine(machine_rules.occupy(machine, slot, session_id))
        self.records.store.put("sequences", "ids", counters)
        session = session_rules.new_session(
            session_id=session_id,
            project_id=body["project_id"],
            machine_id=body["machine_id"],
            docker_slot=slot,
            metadata=body.get("metadata"),
            now=self.records.now,
        )
        return self.records.put_session(session)

    def update(self, session_id: str, body: Mapping[str, Any]) -> Record:
        """PUT: the fields as given (``sessions.update``), and the slot they imply, without slot
        checks (as the real server): a finished session holds none; a ``docker_slot`` sent for a
        live one is written as given and held when it can be (``MachineOps.hold``); a session
        reopened without one takes its old slot again if it is still free, else runs without
        a slot."""
        before = self.records.session(session_id)
        after = session_rules.update(before, body, self.records.now)
        if after["status"] not in session_rules.LIVE:
            self.machines.release(before)
        elif "docker_slot" in body:
            self.machines.release(before)
            if body["docker_slot"] is not None:
                self.machines.hold(session_id, before["machine_id"], body["docker_slot"])
        elif before["status"] not in session_rules.LIVE:
            after = self.machines.reoccupy(after)
        if after["status"] == "failed" and before["status"] != "failed":
            reason = after["metadata"].get("failure_reason") or "Set to failed by an update"
            self.recovery.record_failure(after, str(reason), None)
        return self.records.put_session(self.settling.session(after))

    def delete(self, session_id: str) -> None:
        before = self.records.session(session_id)
        after = session_rules.soft_delete(before, self.records.now)
        if after is not before:
            self.machines.release(before)
            self.records.put_session(after)

    def heartbeat(self, session_id: str) -> Record:
        session = session_rules.heartbeat(self.records.session(session_id), self.records.now)
        return self.records.put_session(session)

    def mark_failed(
        self, session_id: str, reason: str, error_details: Mapping[str, Any] | None
    ) -> Record:
        before = self.records.session(session_id)
        after = session_rules.mark_failed(before, reason, self.records.now)
        self.machines.release(before)
        self.recovery.record_failure(after, reason, error_details)
        return self.records.put_session(after)

    def mark_stalled(self, session_id: str, reason: str) -> Record:
        """``mark-stalled``: a live session keeps its slot; an archived one reopened takes its
        old slot again if it is still free (as an update reopening it)."""
        before = self.records.session(session_id)
        after = session_rules.mark_stalled(before, reason, self.records.now)
        if before["status"] not in session_rules.LIVE:
            after = self.machines.reoccupy(after)
        return self.records.put_session(after)

    def archive(self, session_id: str) -> Record:
        before = self.records.session(session_id)
        after = session_rules.archive(before, self.records.now)
        if after is before:  # already archived: nothing changes
            return before
        self.machines.release(before)
        return self.records.put_session(after)

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
