"""Failed sessions over the store: the failure record, the reports that read it, and recovery.

A failure's reason and details live in the internal ``failures`` collection, keyed by session id
(see ``recovery`` for its shape): written when a session fails (``tracker.sessions``), read by the
failure-info and health reports, dropped when the session is recovered or purged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockgate.apis.state_tracking import health, recovery
from mockgate.apis.state_tracking.tracker.records import Records
from mockgate.core.store import Record
from mockgate.core.timestamps import format_timestamp

__all__ = ["RecoveryOps"]


@dataclass(frozen=True, slots=True)
class RecoveryOps:
    records: Records

    def record_failure(
        self, session: Mapping[str, Any], reason: str, error_details: Mapping[str, Any] | None
    ) -> None:
        failed_at = session["completed_at"] or format_timestamp(self.records.now)
        record = recovery.failure_record(session["session_id"], reason, error_details, failed_at)
        self.records.store.put("failures", session["session_id"], record)

    def failure_info(self, session_id: str) -> Record:
        session = self.records.session(session_id)
        return recovery.failure_info(
            session,
            self.records.store.get("failures", session_id),
            self.records.session_tasks(session_id),
            self.records.store.get("machines", session["machine_id"]),
        )

    def health(self, session_id: str, threshold: int) -> Record:
        session = self.records.session(session_id)
        return health.session_health(
            session,
            now=self.records.now,
            threshold=threshold,
            failure_reason=self._failure_reason(session),
        )

    def prepare(self, session_id: str) -> Record:
        session = self.records.session(session_id)
        return recovery.plan(
            session,
            tasks=self.records.session_tasks(session_id),
            machines=self.records.machines_by_id(),
            now=self.records.now,
        )

    def recover(self, session_id: str, body: Mapping[str, Any]) -> Record:
        session = self.records.session(session_id)
        recovered, changed = recovery.recover(
            session,
            new_machine_id=body.get("new_machine_id"),
            new_docker_slot=body.get("new_docker_slot"),
            resume_from_task_id=body.get("resume_from_task_id"),
            tasks=self.records.session_tasks(session_id),
            machines=self.records.machines_by_id(),
            now=self.records.now,
        )
        for machine in changed.values():
            self.records.put_machine(machine)
        self.records.store.delete("failures", session_id)
        return self.records.put_session(recovered)

    def _failure_reason(self, session: Mapping[str, Any]) -> str | None:
        """The failure record's reason, else the session's ``metadata.failure_reason``."""
        failure = self.records.store.get("failures", session["session_id"]) or {}
        reason = failure.get("failure_reason") or (session.get("metadata") or {}).get(
            "failure_reason"
        )
        return str(reason) if reason else None
