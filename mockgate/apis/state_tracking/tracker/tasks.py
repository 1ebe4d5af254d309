"""Tasks over the store: creating one for a session and moving it along ``tasks``' lifecycle
(the document's start, complete and fail; the real server's update and soft delete).

Starting a task also makes it its session's ``current_task_id``: a write to another record, so
it happens here rather than in ``tasks``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockgate.apis.state_tracking import tasks as task_rules
from mockgate.apis.state_tracking.tracker.records import Records
from mockgate.core.store import Record

__all__ = ["TaskOps"]


@dataclass(frozen=True, slots=True)
class TaskOps:
    records: Records

    def create(self, body: Mapping[str, Any]) -> Record:
        self.records.session(body["session_id"])
        task_id, counters = self.records.next_id("task")
        self.records.store.put("sequences", "ids", counters)
        task = task_rules.new_task(
            task_id=task_id,
            session_id=body["session_id"],
            project_id=body["project_id"],
            github_issue_id=body.get("github_issue_id"),
            task_name=body.get("task_name"),
            metadata=body.get("metadata"),
            now=self.records.now,
        )
        self.records.store.put("tasks", task["task_id"], task)
        return task

    # A change writes the task back under the key it was read from.

    def start(self, task_id: str) -> Record:
        task = self._put(task_id, task_rules.start(self.records.task(task_id), self.records.now))
        session = self.records.store.get("sessions", task["session_id"])
        if session is not None:
            self.records.put_session({**session, "current_task_id": task_id})
        return task

    def complete(self, task_id: str) -> Record:
        return self._put(task_id, task_rules.complete(self.records.task(task_id), self.records.now))

    def fail(self, task_id: str, error_message: str) -> Record:
        task = self.records.task(task_id)
        return self._put(task_id, task_rules.fail(task, error_message, self.records.now))

    def update(self, task_id: str, changes: Mapping[str, Any]) -> Record:
        task = self.records.task(task_id)
        return self._put(task_id, task_rules.update(task, changes, self.records.now))

    def delete(self, task_id: str) -> Record:
        return self._put(task_id, task_rules.delete(self.records.task(task_id), self.records.now))

    def _put(self, task_id: str, task: Record) -> Record:
        self.records.store.put("tasks", task_id, task)
        return task
